"""Admin for single corrections of assessments and payments, with django-import-export for a small
file of corrections. The month's files go through the intake (upload page, commands, nightly
inbox), which checks and imports them whole or not at all.

Rows are never edited in place: an assessment correction is a new row that becomes current (the
earlier one stays as history); a wrong payment is undone by a refund row. These are
`PortalModelAdmin`s: administrators of the municipality only, its rows only, every change in the
ChangeLog, every read of these household records in the access log."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from import_export import resources
from import_export.admin import ImportExportMixin

from nhi_portal.admin import PortalModelAdmin
from receipts import services
from receipts.intake import due_date_problem
from receipts.models import Assessment, Payment

ASSESSMENT_FIELDS = ("household_head_code", "fiscal_year", "instalment", "amount", "due_date", "note")
PAYMENT_FIELDS = (
    "household_head_code", "fiscal_year", "instalment", "amount", "paid_date", "channel", "receipt_number", "note",
)  # fmt: skip


class _CorrectionResource(resources.ModelResource):
    """Every imported row is a new record (never an update of a stored one), saved through the
    subclass's `record(instance, user)` service call."""

    def get_instance(self, instance_loader, row):
        return None

    def save_instance(self, instance, is_create, row, **kwargs):
        # Also on a dry run, inside the import's transaction that is then rolled back: the same
        # checks as a real import.
        self.record(instance, kwargs["user"])


class AssessmentResource(_CorrectionResource):
    class Meta:
        model = Assessment
        fields = ASSESSMENT_FIELDS
        import_id_fields = ()
        use_bulk = False

    def record(self, instance, user) -> None:
        services.assessment_record(assessment=instance, user=user)


class PaymentResource(_CorrectionResource):
    class Meta:
        model = Payment
        fields = PAYMENT_FIELDS
        import_id_fields = ()
        use_bulk = False

    def record(self, instance, user) -> None:
        services.payment_record(payment=instance, user=user)


class _ReceiptsAdmin(ImportExportMixin, PortalModelAdmin):
    people_data = True  # household codes and what they paid
    editable = True  # add only: see has_change_permission

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

    resource_classes = [AssessmentResource]
    form = AssessmentAdminForm
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

    resource_classes = [PaymentResource]
    fields = PAYMENT_FIELDS
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
