"""Forms of the review pages: the queue's filters, the register search, and the review actions
(each with an optional note; overturning needs a reason)."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from enrollment.linking.matcher import REMEMBERED_REASONS
from enrollment.matching import REASON_LABELS_JA

# Reasons a record can wait for review with (the others are automatic or no-match outcomes).
REVIEW_REASONS = [
    (code, label)
    for code, label in {**REASON_LABELS_JA, **REMEMBERED_REASONS}.items()
    if code not in {"auto", "no_candidates", "below_threshold", "remembered"}
]
REASON_LABELS = {**REASON_LABELS_JA, **REMEMBERED_REASONS}
ANNEX_CHOICES = [
    ("", _("すべて")),
    ("1", _("別紙1 入国")),
    ("2", _("別紙2 受入終了（離職）")),
    ("3", _("別紙3 在留資格変更")),
]
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
NOTE_MAX = 1000


class QueueFilterForm(forms.Form):
    """The queue's filters. Keys are kept in the item pages' links so the next item respects them."""

    month = forms.CharField(
        label=_("対象月"),
        required=False,
        max_length=7,
        help_text=_("例: 2026-10"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "2026-10", "size": 8}),
    )
    annex = forms.ChoiceField(label=_("別紙"), choices=ANNEX_CHOICES, required=False)
    reason = forms.ChoiceField(label=_("理由"), choices=[("", _("すべて")), *REVIEW_REASONS], required=False)

    KEYS = ("month", "annex", "reason")

    def clean_month(self) -> str:
        month = self.cleaned_data["month"].strip().replace("/", "-")
        if month and not _MONTH.match(month):
            raise forms.ValidationError(_("対象月は 2026-10 の形で入力してください。"))
        return month

    def filters(self) -> dict[str, str]:
        """The valid filters (an invalid one is dropped, and its error shown)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {key: self.cleaned_data[key] for key in self.KEYS if self.cleaned_data.get(key)}


class ResidentSearchForm(forms.Form):
    q = forms.CharField(
        label=_("氏名・カナ・住民票コード"),
        required=False,
        max_length=120,
        help_text=_("英字氏名は順不同で一部でも探せます。住民票コードは11桁で。"),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "data-shortcut": "s"}),
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
            raise forms.ValidationError(_("氏名・カナ・住民票コードか生年月日を入力してください。"))
        return data


class ReviewNoteForm(forms.Form):
    """Not resident here: only the note."""

    note = forms.CharField(
        label=_("メモ（任意）"),
        required=False,
        max_length=NOTE_MAX,
        help_text=_("判断の根拠（例: 在留カードで確認）。氏名などの個人情報は書かないでください。"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReviewPickForm(ReviewNoteForm):
    """Confirm a candidate, or choose a person found in the register."""

    resident = forms.IntegerField(
        label=_("住民"),
        min_value=1,
        widget=forms.HiddenInput,
        error_messages={"required": _("住民を選んでください。"), "invalid": _("住民を選んでください。")},
    )


class OverturnForm(forms.Form):
    """Undo a link: to "not resident here" (no resident) or to another person, with a reason."""

    resident = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("取り消す理由"),
        max_length=NOTE_MAX,
        help_text=_("なぜ今の照合が誤りか（例: 在留カードの生年月日が違う）。記録に残ります。"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("取り消す理由を書いてください。")},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("取り消す理由を書いてください。"))
        return reason
