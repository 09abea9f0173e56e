"""Forms of the receipts pages: uploading assessment/payment files, asking for a statement."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.intake.forms import MultipleFileField
from nhi_portal.models import ImportKind

RECEIPT_KINDS = [
    (ImportKind.ASSESSMENTS, ImportKind.ASSESSMENTS.label),
    (ImportKind.PAYMENTS, ImportKind.PAYMENTS.label),
]


class ReceiptUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("ファイルの種類"), choices=RECEIPT_KINDS, widget=forms.RadioSelect)
    files = MultipleFileField(
        label=_("CSVファイル"),
        help_text=_("UTF-8 または Shift_JIS のCSV。列は docs/formats.md のとおり。"),
    )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class StatementRequestForm(forms.Form):
    resident_code = forms.RegexField(
        label=_("対象者の住民票コード"),
        regex=r"^\d{11}$",
        help_text=_("11桁。在留期間の更新などで証明を求められた本人のコードです。"),
        error_messages={"invalid": _("住民票コードは11桁の数字で入力してください。")},
    )
    as_of = forms.DateField(
        label=_("基準日"), widget=DateInput(), help_text=_("この日までの納付を証明します。通常は今日です。")
    )
    purpose = forms.CharField(
        label=_("用途"), required=False, max_length=60, help_text=_("例: 在留期間更新許可申請")
    )

    def clean_as_of(self):
        value = self.cleaned_data["as_of"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("基準日に未来の日付は指定できません。"))
        return value


class StatementIssueForm(forms.Form):
    fiscal_years = forms.TypedMultipleChoiceField(
        label=_("証明する年度"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("証明する年度を1つ以上選んでください。")},
    )

    def __init__(self, *args, years: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fiscal_years"].choices = years
