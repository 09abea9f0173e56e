"""Forms of the case pages: the input of each case action (checked again on the confirm page
before the service acts) and the person search. Input checks only; the case rules are in
enrollment.cases.services."""

from __future__ import annotations

from datetime import date
from typing import Self

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from enrollment.models import CloseReason, Response

NOTE_MAX = 1000
NOTE_HINT = _("記録に残ります。氏名・住所などの個人情報は書かないでください。")


def _note(label, *, required=False, help_text=NOTE_HINT, required_message=""):
    return forms.CharField(
        label=label,
        required=required,
        max_length=NOTE_MAX,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": required_message} if required_message else {},
    )


class CaseActionForm(forms.Form):
    """An action's input. `summary()` is what the confirm page lists; `to_session()` and
    `from_session()` carry the checked input from the form to the confirm page."""

    def summary(self) -> list[tuple[str, str]]:
        rows = []
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            if isinstance(field, forms.BooleanField):
                continue  # a confirmation tick, not a value to restate
            if isinstance(field, forms.ChoiceField):
                value = dict(field.choices).get(value, value)
            elif isinstance(value, date):
                value = f"{value:%Y-%m-%d}"
            rows.append((str(field.label), str(value) if value not in (None, "") else "（なし）"))
        return rows

    def to_session(self) -> dict:
        return {k: v.isoformat() if isinstance(v, date) else v for k, v in self.cleaned_data.items()}

    @classmethod
    def from_session(cls, data: dict) -> Self:
        form = cls(data)
        form.is_valid()
        return form


class NoInputForm(CaseActionForm):
    """An action that needs nothing typed (queue the second reminder)."""


class ResponseForm(CaseActionForm):
    response = forms.ChoiceField(
        label=_("回答の内容"),
        choices=Response.choices,
        widget=forms.RadioSelect,
        help_text=_("窓口・電話・郵便で受けた回答を選んでください。"),
        error_messages={"required": _("回答の内容を選んでください。")},
    )
    note = _note(_("メモ（任意）"), help_text=format_lazy("{} {}", _("例: 窓口で加入手続済み。"), NOTE_HINT))


class CloseForm(CaseActionForm):
    reason = forms.ChoiceField(
        label=_("完了の理由"),
        choices=[c for c in CloseReason.choices if c[0] != CloseReason.EX_OFFICIO],
        widget=forms.RadioSelect,
        error_messages={"required": _("完了の理由を選んでください。")},
    )
    note = _note(
        _("メモ"), help_text=format_lazy("{} {}", _("「その他」のときは必ず書いてください。"), NOTE_HINT)
    )

    def clean(self):
        data = super().clean()
        if data.get("reason") == CloseReason.OTHER and not data.get("note", "").strip():
            self.add_error("note", _("「その他」で完了するときは、理由をメモに書いてください。"))
        return data


class ProposeForm(CaseActionForm):
    loss_date = forms.DateField(
        label=_("資格喪失年月日"),
        required=False,  # blank: the pension list's date (the view fills it in, or asks for it)
        help_text=_(
            "被用者保険の被保険者になった日（年金の一覧の資格喪失年月日）。年金WMで確かめてください。例: 2026-10-01"
        ),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("資格喪失年月日を入力してください。"),
            "invalid": _("資格喪失年月日は 2026-10-01 の形で入力してください。"),
        },
    )
    note = _note(
        _("確認した内容（任意）"),
        help_text=format_lazy("{} {}", _("例: 年金WMで第2号被保険者を確認。"), NOTE_HINT),
    )


class _ReasonForm(CaseActionForm):
    reason = _note(_("理由"), required=True, required_message=_("理由を書いてください。"))

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("理由を書いてください。"))
        return reason


class ApproveForm(_ReasonForm):
    reason = _note(
        _("承認の理由"),
        required=True,
        help_text=_("何を確かめて承認するか（例: 年金WMで第2号被保険者を確認）。出力にも載ります。"),
        required_message=_("承認の理由を書いてください。"),
    )


class RejectForm(_ReasonForm):
    reason = _note(
        _("差し戻す理由"),
        required=True,
        help_text=_("提案した人に何を確かめてほしいか。記録に残ります。"),
        required_message=_("差し戻す理由を書いてください。"),
    )


class ReturnedForm(CaseActionForm):
    returned_on = forms.DateField(
        label=_("返戻日"),
        help_text=_("通知書が戻ってきた日。例: 2026-11-05"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("返戻日を入力してください。"),
            "invalid": _("返戻日は 2026-11-05 の形で入力してください。"),
        },
    )
    note = _note(
        _("メモ（任意）"), help_text=format_lazy("{} {}", _("例: 宛所に尋ねあたりません。"), NOTE_HINT)
    )

    def clean_returned_on(self) -> date:
        day = self.cleaned_data["returned_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("返戻日に未来の日付は入力できません。"))
        return day


class PersonSearchForm(forms.Form):
    q = forms.CharField(
        label=_("氏名・カナ・漢字・住民票コード"),
        required=False,
        max_length=120,
        help_text=_("英字氏名は順不同で一部でも探せます。住民票コードは11桁で。"),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "data-shortcut": "/"}),
    )
    birth_date = forms.DateField(
        label=_("生年月日"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("生年月日は 1998-04-12 の形で入力してください。")},
    )

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("q", "").strip() and data.get("birth_date") is None:
            raise forms.ValidationError(_("氏名・カナ・漢字・住民票コードか生年月日を入力してください。"))
        return data
