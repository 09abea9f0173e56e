"""Forms of the arrears pages: the as-of filter, instalment agreements, a new linkage export."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from arrears.exports import LAYOUTS
from receipts.forms import DateInput


def _not_future(value):
    if value > timezone.localdate():
        raise forms.ValidationError(_("未来の日付は指定できません。"))
    return value


class ArrearsFilterForm(forms.Form):
    as_of = forms.DateField(label=_("基準日"), required=False, widget=DateInput())
    foreign = forms.BooleanField(label=_("世帯主が外国籍の世帯だけ"), required=False)
    code = forms.RegexField(
        label=_("世帯主の住民票コード"),
        regex=r"^\d{1,11}$",
        required=False,
        error_messages={"invalid": _("住民票コードは数字で入力してください（前方一致）。")},
    )

    def clean_as_of(self):
        value = self.cleaned_data.get("as_of")
        return _not_future(value) if value else timezone.localdate()


class AsOfForm(forms.Form):
    as_of = forms.DateField(label=_("基準日"), required=False, widget=DateInput())

    def clean_as_of(self):
        value = self.cleaned_data.get("as_of")
        return _not_future(value) if value else timezone.localdate()


class AgreementForm(forms.Form):
    agreed_on = forms.DateField(label=_("誓約日"), widget=DateInput())
    first_due_date = forms.DateField(
        label=_("初回の納付期限"),
        widget=DateInput(),
        help_text=_("2回目からは毎月同じ日（月末は月末）です。"),
    )
    monthly_amount = forms.IntegerField(label=_("毎月の納付額（円）"), min_value=1, max_value=10_000_000)
    months = forms.IntegerField(label=_("回数"), min_value=1, max_value=120)
    note = forms.CharField(label=_("備考"), required=False, max_length=200)

    def clean_agreed_on(self):
        return _not_future(self.cleaned_data["agreed_on"])

    def clean(self):
        data = super().clean()
        if (
            data.get("agreed_on")
            and data.get("first_due_date")
            and data["first_due_date"] < data["agreed_on"]
        ):
            self.add_error("first_due_date", _("初回の納付期限は誓約日以降にしてください。"))
        return data


class AgreementCancelForm(forms.Form):
    reason = forms.CharField(label=_("取り消す理由"), max_length=200)


class LinkageExportForm(forms.Form):
    as_of = forms.DateField(
        label=_("基準日"), widget=DateInput(), help_text=_("この日に納期限を過ぎている未納を対象にします。")
    )
    layout_version = forms.ChoiceField(
        label=_("レイアウト"), choices=[(v, layout.label) for v, layout in LAYOUTS.items()], initial="v1"
    )

    def clean_as_of(self):
        return _not_future(self.cleaned_data["as_of"])


class LinkageSettingsForm(forms.Form):
    """連携の設定 (supervisors): thresholds and who in a household is flagged."""

    min_months = forms.IntegerField(
        label=_("滞納月数の下限"),
        min_value=1,
        max_value=60,
        help_text=_("最も古い未納の納期限の月から数えて、この月数以上の人だけを連携します（標準 3か月）。"),
        error_messages={
            "required": _("滞納月数の下限を入力してください。"),
            "min_value": _("1か月以上にしてください。"),
        },
    )
    min_amount = forms.IntegerField(
        label=_("未納額の下限（円）"),
        min_value=1,
        max_value=10_000_000,
        help_text=_("未納額の合計がこの額以上の人だけを連携します（標準 10,000円）。"),
        error_messages={
            "required": _("未納額の下限を入力してください。"),
            "min_value": _("1円以上にしてください。"),
        },
    )
    flag_adult_members = forms.BooleanField(
        label=_("世帯主以外の成年の世帯員も連携する"),
        required=False,
        help_text=_(
            "保険料の納付義務は世帯主にあります。世帯員は、自分が払うべき立場にない未納で連携されます。"
        ),
    )
    flag_minors = forms.BooleanField(
        label=_("未成年（18歳未満）の世帯員も連携する"),
        required=False,
        help_text=_("標準は連携しません。子どもが親の未納で在留審査に不利になることを避けるためです。"),
    )
