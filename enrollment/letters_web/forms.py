"""Forms of the letters pages: the reply form (返信用紙: 資格喪失届 by post) as a clerk records it.
Input checks only; the rules are in enrollment.cases.letters.reply_form_record."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.cases.forms import CaseActionForm


def _date_field(label, help_text, *, required=True):
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("%(label)sを入力してください。") % {"label": label},
            "invalid": _("%(label)sは 2026-11-05 の形で入力してください。") % {"label": label},
        },
    )


class ReplyForm(CaseActionForm):
    """What the returned reply form says. The new insurer's name and the date the person joined
    are what the core system needs to end the NHI period; the rest is checked on paper."""

    received_on = _date_field(_("受付日"), _("返信用紙が届いた日。"))
    insurer = forms.CharField(
        label=_("新しい健康保険の保険者名"),
        max_length=120,
        help_text=_("例: 全国健康保険協会 東京支部"),
        error_messages={
            "required": _("新しい健康保険の保険者名を入力してください（返信用紙の記入どおり）。")
        },
    )
    insurance_number = forms.CharField(
        label=_("記号・番号"), max_length=60, required=False, help_text=_("返信用紙に書かれていれば。")
    )
    acquired_on = _date_field(_("新しい健康保険に入った日"), _("返信用紙の記入どおり。"))
    employer = forms.CharField(label=_("会社の名前（任意）"), max_length=120, required=False)
    signed = forms.BooleanField(
        label=_("世帯主の署名がある"),
        error_messages={"required": _("署名のない返信用紙は受け付けられません。本人に連絡してください。")},
    )
    enclosure = forms.BooleanField(
        label=_("資格確認書または資格情報のお知らせのコピーが同封されている"),
        error_messages={
            "required": _(
                "新しい保険を確かめる書類のコピーがないと受け付けられません。本人に追加で送ってもらってください。"
            )
        },
    )

    def clean_received_on(self) -> date:
        day = self.cleaned_data["received_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("受付日に未来の日付は入力できません。"))
        return day

    def clean(self):
        data = super().clean()
        acquired, received = data.get("acquired_on"), data.get("received_on")
        if acquired and received and acquired > received:
            self.add_error(
                "acquired_on",
                _("新しい健康保険に入った日が受付日より後になっています。返信用紙を確かめてください。"),
            )
        return data

    def summary(self) -> list[tuple[str, str]]:
        rows = super().summary()
        return [(label, {"True": "はい", "False": "いいえ"}.get(value, value)) for label, value in rows]
