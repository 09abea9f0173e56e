"""Arrears pages: households in arrears as of a date (and its CSV), one household's account with
its agreements, recording and cancelling agreements, the linkage exports (new → preview → approve
by a second person → job → download), and collection rates with charts and a CSV. Views parse
input, call one selector or service and render; every page that shows people writes one
access-log entry, and every CSV is recorded with its SHA-256."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views import View
from django.views.generic import FormView, TemplateView

from arrears import rate_charts, selectors, services
from arrears.forms import (
    AgreementCancelForm,
    AgreementForm,
    ArrearsFilterForm,
    AsOfForm,
    LinkageExportForm,
    LinkageSettingsForm,
)
from arrears.models import ExportStatus, InstalmentAgreement, LineDecision, LinkageExport, LinkageSettings
from nhi_portal.access import PortalPermissionRequiredMixin, has_portal_permission
from nhi_portal.audit import Purpose, log_export, log_read
from nhi_portal.listing import AccessLoggedListMixin
from receipts import selectors as receipts
from receipts.statements import fiscal_year_label


def _csv_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


class ArrearsHomeView(AccessLoggedListMixin, PortalPermissionRequiredMixin, TemplateView):
    """滞納: the households in arrears on a date, largest first available through the CSV."""

    permission_required = "view_arrears"
    template_name = "arrears/home.html"
    log_action, log_purpose = "view_arrears_list", Purpose.ARREARS

    def logged_ids(self, rows):
        return [r.head.resident_id for r in rows if r.head]

    def get_context_data(self, **kwargs):
        form = ArrearsFilterForm(self.request.GET or None)
        data = (
            form.cleaned_data
            if form.is_valid()
            else {"as_of": timezone.localdate(), "foreign": False, "code": ""}
        )
        if not form.is_bound:
            form = ArrearsFilterForm(initial={"as_of": data["as_of"]})
        rows = selectors.arrears_rows(
            user=self.request.user, as_of=data["as_of"], foreign_only=data["foreign"], code=data["code"] or ""
        )
        page = self.logged_page(rows, per_page=50)
        return super().get_context_data(
            form=form,
            as_of=data["as_of"],
            page_obj=page,
            rows=page,
            totals={
                "households": len(rows),
                "foreign": sum(1 for r in rows if r.foreign),
                "amount": sum(r.arrears.overdue_amount for r in rows),
            },
            can_export=has_portal_permission(self.request.user, "export_data"),
            nav_section="arrears",
            **kwargs,
        )


class ArrearsCsvView(PortalPermissionRequiredMixin, View):
    """The arrears report as CSV (the same columns as `manage.py arrears_report`)."""

    permission_required = ("view_arrears", "export_data")

    def get(self, request):
        form = AsOfForm(request.GET)
        as_of = form.cleaned_data["as_of"] if form.is_valid() else timezone.localdate()
        data, rows = services.arrears_report(municipality_id=request.user.municipality_id, as_of=as_of)
        log_export(
            request, action="download_arrears_csv", purpose=Purpose.ARREARS, object_type="resident",
            ids=[r.head.resident_id for r in rows if r.head], content=data,
        )  # fmt: skip
        return _csv_response(data, f"arrears_{as_of:%Y%m%d}.csv")


class HouseholdView(PortalPermissionRequiredMixin, TemplateView):
    """One household: instalments by fiscal year (assessed, paid, left, status), what payments
    already cover ahead (前納), the payments, the agreements and whether they are kept."""

    permission_required = "view_arrears"
    template_name = "arrears/household.html"

    def get_context_data(self, **kwargs):
        code = self.kwargs["code"]
        form = AsOfForm(self.request.GET or None)
        as_of = form.cleaned_data["as_of"] if form.is_valid() else timezone.localdate()
        user = self.request.user
        account = receipts.household_account(user=user, household_head_code=code, as_of=as_of)
        agreement_views = selectors.household_agreements(user=user, household_head_code=code, as_of=as_of)
        if account.is_empty and not agreement_views:
            raise Http404
        log_read(
            self.request,
            action="view_household_account",
            purpose=Purpose.ARREARS,
            object_type="resident",
            ids=[account.head.pk] if account.head else [],
        )
        years = [(y, fiscal_year_label(y.fiscal_year)) for y in reversed(account.years)]
        return super().get_context_data(
            account=account,
            years=years,
            agreements=agreement_views,
            as_of=as_of,
            form=form if form.is_bound else AsOfForm(initial={"as_of": as_of}),
            can_record=has_portal_permission(user, "import_receipts"),
            can_issue=has_portal_permission(user, "issue_statements"),
            nav_section="arrears",
            **kwargs,
        )


class AgreementNewView(PortalPermissionRequiredMixin, FormView):
    """分納誓約を記録する (form and confirmation on one page: the values are shown back before saving)."""

    permission_required = "import_receipts"
    template_name = "arrears/agreement_form.html"
    form_class = AgreementForm

    def get_context_data(self, **kwargs):
        code = self.kwargs["code"]
        account = receipts.household_account(
            user=self.request.user, household_head_code=code, as_of=timezone.localdate()
        )
        if account.is_empty:
            raise Http404
        return super().get_context_data(code=code, account=account, nav_section="arrears", **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        if "confirm" not in self.request.POST:
            return self.render_to_response(self.get_context_data(form=form, confirming=True))
        try:
            services.agreement_record(user=self.request.user, household_head_code=self.kwargs["code"], **data)
        except services.ArrearsRefused as refusal:
            form.add_error(None, str(refusal))
            return self.form_invalid(form)
        messages.success(self.request, "分納誓約を記録しました。")
        return redirect("arrears-household", code=self.kwargs["code"])


class AgreementCancelView(PortalPermissionRequiredMixin, View):
    permission_required = "import_receipts"

    def post(self, request, pk: int):
        try:
            agreement = selectors.agreements(user=request.user).get(pk=pk)
        except InstalmentAgreement.DoesNotExist:
            raise Http404 from None
        form = AgreementCancelForm(request.POST)
        if not form.is_valid():
            messages.error(request, "取り消す理由を書いてください。")
        else:
            try:
                services.agreement_cancel(
                    agreement=agreement, user=request.user, reason=form.cleaned_data["reason"]
                )
            except services.ArrearsRefused as refusal:
                messages.error(request, str(refusal))
            else:
                messages.success(request, "分納誓約を取り消しました。")
        return redirect("arrears-household", code=agreement.household_head_code)


# --- the linkage export --------------------------------------------------------------------------


def _export_or_404(user, pk: int) -> LinkageExport:
    try:
        return selectors.linkage_exports(user=user).get(pk=pk)
    except LinkageExport.DoesNotExist:
        raise Http404 from None


class LinkageListView(PortalPermissionRequiredMixin, TemplateView):
    permission_required = "view_arrears"
    template_name = "arrears/linkage_list.html"

    def get_context_data(self, **kwargs):
        page = Paginator(selectors.linkage_exports(user=self.request.user), 25).get_page(
            self.request.GET.get("page")
        )
        return super().get_context_data(
            exports=page,
            page_obj=page,
            can_prepare=has_portal_permission(self.request.user, "export_data"),
            nav_section="arrears",
            **kwargs,
        )


class LinkageNewView(PortalPermissionRequiredMixin, FormView):
    permission_required = ("view_arrears", "export_data")
    template_name = "arrears/linkage_new.html"
    form_class = LinkageExportForm

    def get_initial(self):
        return {"as_of": timezone.localdate(), "layout_version": "v1"}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            nav_section="arrears",
            settings=LinkageSettings.defaults_for(self.request.user.municipality_id),
            can_set=has_portal_permission(self.request.user, "approve_exports"),
            **kwargs,
        )

    def form_valid(self, form):
        data = form.cleaned_data
        params = services.linkage_parameters(
            municipality_id=self.request.user.municipality_id, as_of=data["as_of"]
        )
        try:
            export = services.linkage_preview(
                user=self.request.user, params=params, layout_version=data["layout_version"]
            )
        except services.ArrearsRefused as refusal:
            form.add_error(None, str(refusal))
            return self.form_invalid(form)
        return redirect("linkage-detail", pk=export.pk)


class LinkageDetailView(AccessLoggedListMixin, PortalPermissionRequiredMixin, TemplateView):
    """The preview (flagged and excluded, with reasons), the approval panel, the produced file.
    The people on both lists shown are logged as one read of the page."""

    permission_required = "view_arrears"
    template_name = "arrears/linkage_detail.html"
    paginate_by = 50
    log_action = "view_linkage_export"
    log_purpose = Purpose.ARREARS

    def get_context_data(self, **kwargs):
        user = self.request.user
        export = _export_or_404(user, self.kwargs["pk"])
        flagged = self.page_of(export.lines.filter(decision=LineDecision.FLAGGED).order_by("resident_code"))
        excluded = self.page_of(
            export.lines.filter(decision=LineDecision.EXCLUDED).order_by("resident_code"),
            page_param="excluded_page",
        )
        self.log_ids([line.resident_id for line in flagged], [line.resident_id for line in excluded])
        refusal = services.approval_refusal(export, user)
        return super().get_context_data(
            export=export,
            flagged=flagged,
            excluded=excluded,
            approval_refusal=refusal,
            approve_items=[
                ("基準日", f"{export.as_of:%Y-%m-%d}"),
                ("連携の対象者", f"{export.flagged_count}人"),
                ("除外", f"{export.excluded_count}人"),
                ("レイアウト", export.layout_version),
                ("作成者", export.prepared_by.get_username()),
                ("承認者", user.get_username()),
            ],
            can_approve=refusal is None,
            is_supervisor=has_portal_permission(user, "approve_exports"),
            can_download=export.status == ExportStatus.PRODUCED
            and has_portal_permission(user, "export_data"),
            can_withdraw=export.status == ExportStatus.PREVIEWED
            and has_portal_permission(user, "export_data"),
            reasons=sorted({(line.reason, line.reason_text) for line in export.lines.all().only("reason")}),
            nav_section="arrears",
            **kwargs,
        )


class LinkageApproveView(PortalPermissionRequiredMixin, View):
    permission_required = ("view_arrears", "approve_exports")

    def post(self, request, pk: int):
        export = _export_or_404(request.user, pk)
        if request.POST.get("acknowledged") != "yes":
            # A file for another agency: the ticked box is the deliberate confirmation.
            messages.error(
                request,
                "承認していません。対象者と除外の理由を確かめ、確認欄にチェックを入れてから承認してください。",
            )
            return redirect("linkage-detail", pk=export.pk)
        try:
            services.linkage_approve(export=export, user=request.user)
        except services.ArrearsRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, f"出力 #{export.pk} を承認しました。連携ファイルを作成します。")
        return redirect("linkage-detail", pk=export.pk)


class LinkageWithdrawView(PortalPermissionRequiredMixin, View):
    permission_required = ("view_arrears", "export_data")

    def post(self, request, pk: int):
        export = _export_or_404(request.user, pk)
        try:
            services.linkage_withdraw(export=export, user=request.user)
        except services.ArrearsRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.info(request, f"出力 #{export.pk} を取り下げました。")
        return redirect("linkage-detail", pk=export.pk)


class LinkageVerifyView(PortalPermissionRequiredMixin, View):
    """Make the file again from the approved lines and compare the bytes with what was produced."""

    permission_required = ("view_arrears", "approve_exports")

    def post(self, request, pk: int):
        export = _export_or_404(request.user, pk)
        if services.linkage_verify(export=export):
            messages.success(
                request, f"作り直したファイルは保存したものと同じです（SHA-256 {export.sha256}）。"
            )
        else:
            messages.error(
                request, "作り直したファイルが保存したものと一致しません。管理者に連絡してください。"
            )
        return redirect("linkage-detail", pk=export.pk)


class LinkageDownloadView(PortalPermissionRequiredMixin, View):
    permission_required = ("view_arrears", "export_data")

    def get(self, request, pk: int):
        export = _export_or_404(request.user, pk)
        if export.status != ExportStatus.PRODUCED or not export.file:
            raise Http404
        try:
            handle = export.file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        log_export(
            request,
            action="download_linkage_export",
            purpose=Purpose.ARREARS,
            object_type="resident",
            ids=export.lines.filter(decision=LineDecision.FLAGGED).values_list("resident_id", flat=True),
            sha256=export.sha256,
        )
        response = FileResponse(
            handle, as_attachment=True, filename=export.file_name, content_type="text/csv; charset=utf-8"
        )
        response["Cache-Control"] = "no-store"
        return response


# --- collection rates ------------------------------------------------------------------------------

RATE_HEADER = ("fiscal_year", "month", "group", "assessed", "collected_cumulative", "rate")


def _rate_rows(years: list[selectors.YearRates]) -> list[tuple]:
    rows = []
    for year in sorted(years, key=lambda y: y.fiscal_year):
        for month in year.months:
            for group, assessed, collected in (
                ("all", year.assessed_all, month.collected_all),
                ("foreign_head", year.assessed_foreign, month.collected_foreign),
            ):
                rate = f"{collected / assessed:.4f}" if assessed else ""
                rows.append((year.fiscal_year, f"{month.month:%Y-%m}", group, assessed, collected, rate))
        for group, assessed, collected in (
            ("all", year.assessed_all, year.collected_all),
            ("foreign_head", year.assessed_foreign, year.collected_foreign),
        ):
            rate = f"{collected / assessed:.4f}" if assessed else ""
            rows.append((year.fiscal_year, "total", group, assessed, collected, rate))
    return rows


class CollectionRateView(PortalPermissionRequiredMixin, TemplateView):
    """収納率: collected ÷ assessed, households with a foreign head against all households."""

    permission_required = "view_arrears"
    template_name = "arrears/collection.html"

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        years = selectors.collection_rates(municipality_id=self.request.user.municipality_id, today=today)
        shown = years[0] if years else None
        chosen = self.request.GET.get("year", "")
        for year in years:
            if str(year.fiscal_year) == chosen:
                shown = year
        month_chart = rate_charts.month_chart(shown) if shown is not None else None
        year_chart = rate_charts.year_chart(years)
        return super().get_context_data(
            years=years,
            shown=shown,
            shown_label=fiscal_year_label(shown.fiscal_year) if shown else "",
            month_chart=month_chart,
            year_chart=year_chart,
            today=today,
            can_export=has_portal_permission(self.request.user, "export_data"),
            nav_section="arrears",
            **kwargs,
        )


class CollectionRateCsvView(PortalPermissionRequiredMixin, View):
    permission_required = ("view_arrears", "export_data")

    def get(self, request):
        today = timezone.localdate()
        rows = _rate_rows(
            selectors.collection_rates(municipality_id=request.user.municipality_id, today=today)
        )
        data = services.csv_bytes(RATE_HEADER, rows)
        # Sums over households, no person in it: recorded with its hash all the same.
        log_export(request, action="download_collection_rates", purpose=Purpose.ARREARS, object_type="municipality",
                   ids=[], content=data)  # fmt: skip
        return _csv_response(data, f"collection_rates_{today:%Y%m%d}.csv")


class LinkageSettingsView(PortalPermissionRequiredMixin, FormView):
    """連携の設定: the thresholds and who is flagged, with the legal basis and the consequence,
    set by a supervisor; everyone who prepares exports may read it."""

    permission_required = "view_arrears"
    template_name = "arrears/linkage_settings.html"
    form_class = LinkageSettingsForm

    def get_initial(self):
        current = LinkageSettings.defaults_for(self.request.user.municipality_id)
        return {name: getattr(current, name) for name in services.SETTING_FIELDS}

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            nav_section="arrears",
            current=LinkageSettings.defaults_for(user.municipality_id),
            defaults=LinkageSettings(),
            can_set=has_portal_permission(user, "approve_exports"),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if not has_portal_permission(request.user, "approve_exports"):
            raise PermissionDenied("連携の設定を変えられるのは監督者だけです。")
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            services.linkage_settings_update(user=self.request.user, **form.cleaned_data)
        except services.ArrearsRefused as refusal:
            form.add_error(None, str(refusal))
            return self.form_invalid(form)
        messages.success(self.request, "連携の設定を保存しました。次に作成する連携出力から使われます。")
        return redirect("linkage-settings")
