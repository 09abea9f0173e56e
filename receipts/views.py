"""Receipts pages: upload of assessment and payment files (the import runs through the shared
intake; its report is the batch page), and the payment status statement: ask (resident, as-of
date) → check (household, years) → issue → download. Every page that shows a person writes one
access-log entry."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import FormView, TemplateView

from nhi_portal.access import PortalPermissionRequiredMixin
from nhi_portal.audit import Purpose, log_export, log_read
from nhi_portal.intake import services as intake
from nhi_portal.listing import AccessLoggedListMixin
from nhi_portal.models import BatchSource
from receipts import selectors, services
from receipts.forms import ReceiptUploadForm, StatementIssueForm, StatementRequestForm
from receipts.models import PaymentStatement
from receipts.statements import fiscal_year_label


class ReceiptUploadView(PortalPermissionRequiredMixin, FormView):
    permission_required = "import_receipts"
    template_name = "receipts/upload.html"
    form_class = ReceiptUploadForm

    def get_context_data(self, **kwargs):
        return super().get_context_data(nav_section="imports", **kwargs)

    def form_valid(self, form):
        results = [
            intake.batch_receive(
                municipality=self.request.user.municipality,
                kind=form.cleaned_data["kind"],
                filename=uploaded.name,
                content=uploaded,
                source=BatchSource.UPLOAD,
                user=self.request.user,
            )
            for uploaded in form.cleaned_data["files"]
        ]
        for received in results:
            messages.add_message(
                self.request, messages.INFO if received.duplicate else messages.SUCCESS, received.message
            )
        if len(results) == 1:
            return redirect("batch-detail", pk=results[0].batch.pk)
        return redirect("batch-list")


class StatementListView(AccessLoggedListMixin, PortalPermissionRequiredMixin, TemplateView):
    """発行した納付状況証明書: number, person (code only), who issued it, when."""

    permission_required = "issue_statements"
    template_name = "receipts/statement_list.html"
    log_action, log_purpose = "view_statement_list", Purpose.ARREARS

    def logged_ids(self, rows):
        return [s.resident_id for s in rows]

    def get_context_data(self, **kwargs):
        page = self.logged_page(selectors.statements(user=self.request.user))
        return super().get_context_data(statements=page, page_obj=page, nav_section="arrears", **kwargs)


class StatementRequestView(PortalPermissionRequiredMixin, FormView):
    permission_required = "issue_statements"
    template_name = "receipts/statement_new.html"
    form_class = StatementRequestForm

    def get_initial(self):
        return {"as_of": timezone.localdate(), "resident_code": self.request.GET.get("resident_code", "")}

    def get_context_data(self, **kwargs):
        return super().get_context_data(nav_section="arrears", **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        resident = selectors.resident_by_code(user=self.request.user, resident_code=data["resident_code"])
        if resident is None:
            form.add_error("resident_code", "この住民票コードの住民は見つかりません。")
            return self.form_invalid(form)
        query = urlencode(
            {"resident": resident.pk, "as_of": data["as_of"].isoformat(), "purpose": data["purpose"]}
        )
        return redirect(f"{reverse('statement-confirm')}?{query}")


class StatementConfirmView(PortalPermissionRequiredMixin, View):
    """Check before issuing: who, which household, as of when, which years; POST issues."""

    permission_required = "issue_statements"

    def _target(self, request):
        source = request.POST if request.method == "POST" else request.GET
        try:
            resident_id = int(source.get("resident", ""))
            as_of = date.fromisoformat(source.get("as_of", ""))
        except ValueError:
            raise Http404 from None
        resident = selectors.resident_get(user=request.user, pk=resident_id)
        if resident is None:
            raise Http404
        code = selectors.household_of(resident, on=as_of)
        account = selectors.household_account(user=request.user, household_head_code=code, as_of=as_of)
        return resident, as_of, source.get("purpose", "")[:60], account

    def _render(self, request, resident, as_of, purpose, account, form):
        shown = [resident.pk] + ([account.head.pk] if account.head and account.head.pk != resident.pk else [])
        log_read(
            request,
            action="confirm_payment_statement",
            purpose=Purpose.ARREARS,
            object_type="resident",
            ids=shown,
        )
        return render(
            request,
            "receipts/statement_confirm.html",
            {
                "resident": resident,
                "account": account,
                "as_of": as_of,
                "purpose": purpose,
                "form": form,
                "nav_section": "arrears",
            },
        )

    def _form(self, account, data=None):
        years = [(y.fiscal_year, fiscal_year_label(y.fiscal_year)) for y in reversed(account.years)]
        initial = {"fiscal_years": [y for y, _ in years[:2]]}
        return StatementIssueForm(data, years=years, initial=initial)

    def get(self, request):
        resident, as_of, purpose, account = self._target(request)
        return self._render(request, resident, as_of, purpose, account, self._form(account))

    def post(self, request):
        resident, as_of, purpose, account = self._target(request)
        form = self._form(account, request.POST)
        if not form.is_valid():
            return self._render(request, resident, as_of, purpose, account, form)
        try:
            statement = services.statement_issue(
                user=request.user,
                resident=resident,
                as_of=as_of,
                fiscal_years=form.cleaned_data["fiscal_years"],
                purpose=purpose,
            )
        except services.StatementRefused as refusal:
            form.add_error(None, str(refusal))
            return self._render(request, resident, as_of, purpose, account, form)
        messages.success(request, f"納付状況証明書 {statement.number} を発行しました。")
        return redirect("statement-detail", pk=statement.pk)


def _statement_or_404(user, pk: int) -> PaymentStatement:
    try:
        return selectors.statements(user=user).get(pk=pk)
    except PaymentStatement.DoesNotExist:
        raise Http404 from None


class StatementDetailView(PortalPermissionRequiredMixin, TemplateView):
    permission_required = "issue_statements"
    template_name = "receipts/statement_detail.html"

    def get_context_data(self, **kwargs):
        statement = _statement_or_404(self.request.user, self.kwargs["pk"])
        log_read(
            self.request,
            action="view_payment_statement",
            purpose=Purpose.ARREARS,
            object_type="resident",
            ids=[statement.resident_id],
        )
        years = [fiscal_year_label(y) for y in statement.fiscal_years]
        return super().get_context_data(statement=statement, years=years, nav_section="arrears", **kwargs)


class StatementDownloadView(PortalPermissionRequiredMixin, View):
    """The PDF as issued, from private storage."""

    permission_required = "issue_statements"

    def get(self, request, pk: int):
        statement = _statement_or_404(request.user, pk)
        if not statement.file:
            raise Http404
        try:
            handle = statement.file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        log_export(
            request,
            action="download_payment_statement",
            purpose=Purpose.ARREARS,
            object_type="resident",
            ids=[statement.resident_id],
            sha256=statement.sha256,
        )
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=f"statement_{statement.number}.pdf",
            content_type="application/pdf",
        )
        response["Cache-Control"] = "no-store"
        return response
