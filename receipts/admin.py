"""Admin for single corrections of assessments and payments. A file of corrections goes through
the one import path like the month's files (`batch_receive`: hashed, checked and imported whole or
not at all, an ImportBatch with its report); django-import-export serves the export only.

Rows are never edited in place: an assessment correction is a new row that becomes current (the
earlier one stays as history); a wrong payment is undone by a refund row. These are
`PortalModelAdmin`s: administrators of the municipality only, its rows only, every change in the
ChangeLog, every read of these household records in the access log."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from import_export.admin import ExportMixin

from nhi_portal.admin import PortalModelAdmin
from nhi_portal.intake import services as intake
from nhi_portal.models import BatchSource, ImportKind
from receipts import services
from receipts.intake import due_date_problem
from receipts.models import Assessment, Payment

ASSESSMENT_FIELDS = ("household_head_code", "fiscal_year", "instalment", "amount", "due_date", "note")
PAYMENT_FIELDS = (
    "household_head_code", "fiscal_year", "instalment", "amount", "paid_date", "channel", "receipt_number", "note",
)  # fmt: skip


class CorrectionFileForm(forms.Form):
    file = forms.FileField(
        label="CSVファイル",
        help_text="UTF-8 または Shift_JIS のCSV。列は毎月のファイルと同じです（docs/formats.md）。",
    )


class _ReceiptsAdmin(ExportMixin, PortalModelAdmin):
    people_data = True  # household codes and what they paid
    editable = True  # add only: see has_change_permission
    change_list_template = "admin/receipts/change_list.html"
    import_kind = ""

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_import"
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name=name), *super().get_urls()]

    def import_view(self, request):
        """A file of corrections, received through batch_receive like any file of its kind."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = CorrectionFileForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            uploaded = form.cleaned_data["file"]
            received = intake.batch_receive(
                municipality=request.user.municipality,
                kind=self.import_kind,
                filename=uploaded.name,
                content=uploaded,
                source=BatchSource.UPLOAD,
                user=request.user,
            )
            level = messages.INFO if received.duplicate else messages.SUCCESS
            messages.add_message(request, level, received.message)
            return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "title": f"{self.opts.verbose_name}をファイルから取り込む",
        }
        return TemplateResponse(request, "admin/receipts/import.html", context)

    def has_change_permission(self, request, obj=None):
        return False

    def has_import_permission(self, request):
        return self.has_add_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)


class AssessmentAdminForm(forms.ModelForm):
    class Meta:
        model = Assessment
        fields = ASSESSMENT_FIELDS

    def clean(self):
        data = super().clean()
        if data.get("due_date") and data.get("fiscal_year"):
            if problem := due_date_problem(data["due_date"], data["fiscal_year"]):
                self.add_error("due_date", problem)
        return data


@admin.register(Assessment)
class AssessmentAdmin(_ReceiptsAdmin):
    """賦課（期別）: a new row for a household, year and instalment corrects the current one."""

    form = AssessmentAdminForm
    import_kind = ImportKind.ASSESSMENTS
    access_object_type = "assessment"
    list_display = [
        "household_head_code",
        "fiscal_year",
        "instalment",
        "amount",
        "due_date",
        "is_current",
        "batch",
        "recorded_at",
    ]
    list_filter = ["fiscal_year", "is_current"]
    search_fields = ["household_head_code"]

    def save_model(self, request, obj, form, change):
        services.assessment_record(assessment=obj, user=request.user)


@admin.register(Payment)
class PaymentAdmin(_ReceiptsAdmin):
    """収納: a payment, prepayment (前納) or refund (還付, a negative amount) recorded by hand."""

    fields = PAYMENT_FIELDS
    import_kind = ImportKind.PAYMENTS
    access_object_type = "payment"
    list_display = [
        "household_head_code",
        "fiscal_year",
        "instalment",
        "amount",
        "paid_date",
        "channel",
        "receipt_number",
        "batch",
    ]
    list_filter = ["fiscal_year", "channel"]
    search_fields = ["household_head_code", "receipt_number"]

    def save_model(self, request, obj, form, change):
        services.payment_record(payment=obj, user=request.user)
