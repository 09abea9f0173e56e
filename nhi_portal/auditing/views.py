"""The auditors' pages (view_access_log: auditors and administrators). Reading the access log shows
ids only; the CSV export is itself an access-log entry with its content hash; the change log,
whose values may be personal, writes one entry per page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from nhi_portal.access import PortalPermissionRequiredMixin
from nhi_portal.audit import PURPOSE_LABELS, Purpose, log_export
from nhi_portal.auditing import forms, selectors, summary
from nhi_portal.auditing.labels import action_label, known, object_type_label
from nhi_portal.listing import AccessLoggedListMixin

PERMISSION = "view_access_log"
PAGE_SIZE = 100


class _AuditPage(PortalPermissionRequiredMixin, TemplateView):
    permission_required = PERMISSION
    tab = ""

    def get_context_data(self, **kwargs):
        return super().get_context_data(nav_section="access-log", tab=self.tab, **kwargs)


class AccessLogView(_AuditPage):
    """閲覧記録: search by user, period, action, purpose, object type and person id."""

    template_name = "audit/access_log.html"
    tab = "access-log"

    def get_context_data(self, **kwargs):
        user = self.request.user
        form = forms.AccessLogFilterForm(self.request.GET or None, user=user)
        entries = selectors.access_log(user=user, filters=form.filters())
        page = Paginator(entries, PAGE_SIZE).get_page(self.request.GET.get("page"))
        for entry in page:
            entry.action_label = action_label(entry.action)
            entry.action_known = known(entry.action)
            entry.purpose_label = PURPOSE_LABELS.get(entry.purpose, entry.purpose)
            entry.object_label = object_type_label(entry.object_type)
        query = self.request.GET.copy()
        query.pop("page", None)
        searched_code = form.cleaned_data.get("resident_code") if form.is_bound and form.is_valid() else ()
        return super().get_context_data(
            form=form,
            page_obj=page,
            entries=page,
            query=query.urlencode(),
            person_code=self.request.GET.get("resident_code", "").strip() if searched_code else "",
            **kwargs,
        )


class AccessLogExportView(PortalPermissionRequiredMixin, View):
    """The search's result as CSV; the download is logged with the SHA-256 of its bytes."""

    permission_required = PERMISSION

    def get(self, request):
        form = forms.AccessLogFilterForm(request.GET or None, user=request.user)
        entries = selectors.access_log(user=request.user, filters=form.filters())
        if entries.count() > selectors.EXPORT_MAX_ROWS:
            messages.error(
                request,
                f"出力できるのは{selectors.EXPORT_MAX_ROWS:,}件までです。期間などで絞り込んでください。",
            )
            return redirect(f"{reverse('access-log')}?{request.GET.urlencode()}")
        content, ids = selectors.access_log_csv(entries)
        log_export(
            request,
            action="export_access_log",
            purpose=Purpose.AUDIT,
            object_type="access_log",
            ids=ids,
            content=content,
        )
        stamp = timezone.localtime().strftime("%Y%m%d_%H%M%S")
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="access_log_{stamp}.csv"'
        response["Cache-Control"] = "no-store"
        return response


class AccessLogSummaryView(_AuditPage):
    """月次の確認: per user, and the reads that look unusual."""

    template_name = "audit/access_log_summary.html"
    tab = "access-log-summary"

    def get_context_data(self, **kwargs):
        form = forms.MonthForm(self.request.GET or None)
        month = form.chosen_month()
        result = summary.monthly_summary(municipality_id=self.request.user.municipality_id, month=month)
        for entry in [*result.outside_hours, *result.bulk]:
            entry.action_label = action_label(entry.action)
        return super().get_context_data(
            form=form, summary=result, month=month, factor=settings.NHI_AUDIT_PEER_FACTOR, **kwargs
        )


class ChangeLogView(AccessLoggedListMixin, _AuditPage):
    """変更記録: who changed what from what to what. The values may be personal: one access-log
    entry per page, naming the change-log rows shown."""

    template_name = "audit/change_log.html"
    tab = "change-log"
    paginate_by = PAGE_SIZE
    log_action = "view_change_log"
    log_purpose = Purpose.AUDIT
    log_object_type = "change_log"

    def get_context_data(self, **kwargs):
        page = self.logged_page(selectors.change_log(user=self.request.user))
        return super().get_context_data(page_obj=page, changes=page, **kwargs)


class SignInLogView(_AuditPage):
    """認証の記録: sign-ins, failures, lockouts, 2FA, tokens."""

    template_name = "audit/signin_log.html"
    tab = "signin-log"

    def get_context_data(self, **kwargs):
        page = Paginator(selectors.security_events(user=self.request.user), PAGE_SIZE).get_page(
            self.request.GET.get("page")
        )
        return super().get_context_data(page_obj=page, events=page, **kwargs)


class PurgeLogView(_AuditPage):
    """保存期間経過データの削除: what the retention purge deleted (counts only)."""

    template_name = "audit/purge_log.html"
    tab = "purge-log"

    def get_context_data(self, **kwargs):
        page = Paginator(selectors.purges(user=self.request.user), 25).get_page(self.request.GET.get("page"))
        return super().get_context_data(page_obj=page, purges=page, **kwargs)
