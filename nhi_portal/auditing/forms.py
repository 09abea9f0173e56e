"""Filter forms of the auditors' pages (GET, no side effects)."""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.utils import timezone

from nhi_portal.audit import PURPOSE_LABELS
from nhi_portal.auditing import selectors
from nhi_portal.auditing.labels import action_label, object_type_label
from nhi_portal.auditing.people import person_refs

_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AccessLogFilterForm(forms.Form):
    user = forms.TypedChoiceField(label="職員", required=False, coerce=int, empty_value=None)
    date_from = forms.DateField(
        label="期間（から）",
        required=False,
        widget=_DATE,
        error_messages={"invalid": "日付を正しく入力してください（例: 2026-11-01）。"},
    )
    date_to = forms.DateField(
        label="期間（まで）",
        required=False,
        widget=_DATE,
        error_messages={"invalid": "日付を正しく入力してください（例: 2026-11-30）。"},
    )
    action = forms.ChoiceField(label="操作", required=False)
    purpose = forms.ChoiceField(label="利用目的", required=False)
    object_type = forms.ChoiceField(label="対象の種類", required=False)
    resident_code = forms.CharField(
        label="住民票コード",
        required=False,
        max_length=20,
        help_text="その人を見た・出力した記録をすべて探します（11桁）。",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": 13}),
    )
    person = forms.IntegerField(
        label="対象ID（内部ID）",
        required=False,
        min_value=1,
        error_messages={"invalid": "IDは数字で入力してください。", "min_value": "IDは1以上の数字です。"},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [("", "すべて")] + [
            (u.pk, f"{u.get_username()}（{u.get_full_name() or '氏名なし'}）")
            for u in selectors.staff_of(user=user)
        ]
        self.fields["action"].choices = [("", "すべて")] + [
            (a, action_label(a)) for a in selectors.distinct_values(user=user, field="action")
        ]
        self.fields["purpose"].choices = [("", "すべて")] + [
            (p, PURPOSE_LABELS.get(p, p)) for p in selectors.distinct_values(user=user, field="purpose")
        ]
        self.fields["object_type"].choices = [("", "すべて")] + [
            (t, object_type_label(t)) for t in selectors.distinct_values(user=user, field="object_type")
        ]
        self.municipality_id = user.municipality_id

    def clean_resident_code(self) -> tuple:
        """The code, resolved to the ids the log names the person by (empty: no search)."""
        code = (self.cleaned_data.get("resident_code") or "").strip().translate(_FULL_WIDTH_DIGITS)
        if not code:
            return ()
        if not re.fullmatch(r"\d{11}", code):
            raise forms.ValidationError("住民票コードは11桁の数字で入力してください。")
        refs = person_refs(municipality_id=self.municipality_id, resident_code=code)
        if not refs:
            raise forms.ValidationError(
                "この住民票コードの人は、この市区町村の住民記録にいません。コードを確かめてください。"
            )
        return tuple((kind, tuple(ids)) for kind, ids in refs.items())

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "期間の終わりは始まりより後の日付にしてください。")
        return data

    def filters(self) -> selectors.AccessLogFilters:
        if not self.is_bound or not self.is_valid():
            return selectors.AccessLogFilters()
        d = self.cleaned_data
        return selectors.AccessLogFilters(
            user_id=d.get("user"),
            date_from=d.get("date_from"),
            date_to=d.get("date_to"),
            action=d.get("action") or "",
            purpose=d.get("purpose") or "",
            object_type=d.get("object_type") or "",
            person_id=d.get("person"),
            person_refs=d.get("resident_code") or (),
        )


class MonthForm(forms.Form):
    month = forms.CharField(
        label="対象月",
        required=False,
        help_text="例: 2026-11",
        widget=forms.TextInput(attrs={"type": "month"}),
    )

    def clean_month(self) -> date:
        text = (self.cleaned_data.get("month") or "").strip()
        if not text:
            return timezone.localdate().replace(day=1)
        try:
            year, number = (int(x) for x in text.replace("/", "-").split("-", 1))
            return date(year, number, 1)
        except ValueError:
            raise forms.ValidationError("対象月は 2026-11 の形で入力してください。") from None

    def chosen_month(self) -> date:
        if self.is_valid():
            return self.cleaned_data["month"]
        return timezone.localdate().replace(day=1)
