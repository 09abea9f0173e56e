"""Forms of the notice pages: the draft (grounds, facts with dates, interview notes, documents) and
the input of each action (checked again on the confirm page before the service acts). Input
checks only; the notice rules are in enrollment.notices.services."""

from __future__ import annotations

from datetime import date

from django import forms
from django.forms import formset_factory
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from enrollment.cases.forms import CaseActionForm
from enrollment.models import SendMethod
from enrollment.notices.documents import MAX_BYTES, document_check

TEXT_MAX = 2000
DOCUMENT_SLOTS = 3


class GroundChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return format_html('{}<span class="hint"> 根拠：{}</span>', obj.label, obj.legal_basis)


class DraftForm(forms.Form):
    grounds = GroundChoiceField(
        label=_("通知の理由"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("自治体で定めた一覧から選びます（複数可）。根拠は通知書に印字されます。"),
        error_messages={"required": _("通知の理由を1つ以上選んでください。")},
    )
    employment = forms.CharField(
        label=_("就労の状況（任意）"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("窓口での聞き取りや提出された資料で確かめた内容。例: 勤務先を尋ねたが答えなかった。"),
    )
    schooling = forms.CharField(
        label=_("就学の状況（任意）"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    summary = forms.CharField(
        label=_("補足（任意）"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("通知書に「補足」として載ります。ISAの特定技能ファイルの情報は書かないでください。"),
    )

    def __init__(self, *args, grounds_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grounds"].queryset = grounds_queryset
        for n in range(1, DOCUMENT_SLOTS + 1):
            self.fields[f"document_title_{n}"] = forms.CharField(
                label=_("資料名") + f" {n}",
                required=False,
                max_length=120,
                help_text=_("例: 高額療養費支給申請書の写し") if n == 1 else "",
            )
            self.fields[f"document_file_{n}"] = forms.FileField(
                label=_("ファイル") + f" {n}",
                required=False,
                help_text=_("PDF・JPEG・PNG、{}MBまで。").format(MAX_BYTES // (1024 * 1024))
                if n == 1
                else "",
            )

    @property
    def document_slots(self):
        return [
            (self[f"document_title_{n}"], self[f"document_file_{n}"]) for n in range(1, DOCUMENT_SLOTS + 1)
        ]

    @property
    def other_fields(self):
        return [self["grounds"], self["employment"], self["schooling"], self["summary"]]

    def clean(self):
        data = super().clean()
        documents = []
        for n in range(1, DOCUMENT_SLOTS + 1):
            upload = data.get(f"document_file_{n}")
            title = (data.get(f"document_title_{n}") or "").strip()
            if upload is None:
                if title:
                    self.add_error(
                        f"document_file_{n}", _("資料名を書いたときは、そのファイルを選んでください。")
                    )
                continue
            if upload.size > MAX_BYTES:  # refused before the file is read into memory
                self.add_error(
                    f"document_file_{n}",
                    _("ファイルが大きすぎます（{}MBまで）。解像度を下げて保存し直してください。").format(
                        MAX_BYTES // (1024 * 1024)
                    ),
                )
                continue
            checked = document_check(upload.name, upload.read())
            if isinstance(checked, str):
                self.add_error(f"document_file_{n}", checked)
                continue
            documents.append((title, checked))
        data["documents"] = documents
        return data


class FactForm(forms.Form):
    occurred_on = forms.DateField(
        label=_("日付"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("日付は 2026-11-05 のように入れてください。")},
    )
    description = forms.CharField(
        label=_("確認した事実"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        data = super().clean()
        day, text = data.get("occurred_on"), (data.get("description") or "").strip()
        if "occurred_on" in self.errors:
            return data
        if day and not text:
            self.add_error("description", _("この日付に何を確認したかを書いてください。"))
        if text and not day:
            self.add_error("occurred_on", _("確認した日付を入れてください。"))
        if day and day > timezone.localdate():
            self.add_error("occurred_on", _("未来の日付は入れられません。確認した日を入れてください。"))
        if day and day < date(2000, 1, 1):
            self.add_error("occurred_on", _("2000年より前の日付は入れられません。日付を確かめてください。"))
        data["description"] = text
        return data


class BaseFactFormSet(forms.BaseFormSet):
    def facts(self) -> list[dict]:
        return [
            f.cleaned_data
            for f in self.forms
            if f.cleaned_data.get("occurred_on") and f.cleaned_data.get("description")
        ]

    def clean(self):
        super().clean()
        if any(f.errors for f in self.forms):
            return
        if not self.facts():
            raise forms.ValidationError(_("確認した事実を1つ以上、日付とともに書いてください。"))


FactFormSet = formset_factory(FactForm, formset=BaseFactFormSet, extra=0, max_num=20, absolute_max=20)


# Actions -----------------------------------------------------------------------------------------


class NoticeActionForm(CaseActionForm):
    """An action's input, carried from the form to the confirm page as a case action's is
    (`summary()`, `to_session()`, `from_session()`)."""


class NoInputForm(NoticeActionForm):
    """An action that needs nothing typed (ask for approval)."""


class ApproveForm(NoticeActionForm):
    checked = forms.BooleanField(
        label=_("理由・事実・添付資料を読み、ISAの特定技能ファイルの情報が含まれていないことを確かめました"),
        error_messages={"required": _("内容を確かめたら、チェックを入れてください。")},
    )
    note = forms.CharField(
        label=_("承認の所見（任意）"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("記録に残ります（通知書には載りません）。"),
    )


class _ReasonForm(NoticeActionForm):
    reason = forms.CharField(
        label=_("理由"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("理由を書いてください。")},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("理由を書いてください。"))
        return reason


class RejectForm(_ReasonForm):
    reason = forms.CharField(
        label=_("却下の理由"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("書いた人に何が足りないかを伝えます。記録に残ります。"),
        error_messages={"required": _("却下の理由を書いてください。")},
    )


class WithdrawForm(_ReasonForm):
    reason = forms.CharField(
        label=_("取り下げる理由"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("例: 本人が就労先を示す資料を提出したため。記録に残ります。"),
        error_messages={"required": _("取り下げる理由を書いてください。")},
    )


class SentForm(NoticeActionForm):
    sent_on = forms.DateField(
        label=_("送付日"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": _("送付した日を入れてください。"),
            "invalid": _("日付は 2026-11-05 のように入れてください。"),
        },
    )
    # Not "method": a field of that name would hide the form's own `method` in the DOM.
    sent_method = forms.ChoiceField(
        label=_("送付の方法"),
        choices=SendMethod.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("送付の方法を選んでください。")},
    )
    note = forms.CharField(
        label=_("送付の記録（任意）"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("例: 簡易書留の番号、持参した相手の部署。「その他」のときは必ず書いてください。"),
    )

    def clean(self):
        data = super().clean()
        if data.get("sent_method") == SendMethod.OTHER and not (data.get("note") or "").strip():
            self.add_error("note", _("「その他」のときは、どう送ったかを書いてください。"))
        day = data.get("sent_on")
        if day and day > timezone.localdate():
            self.add_error("sent_on", _("未来の日付は入れられません。送付した日を入れてください。"))
        return data


class RegisterFilterForm(forms.Form):
    year = forms.TypedChoiceField(label=_("年度"), required=False, coerce=int, empty_value=None)
    state = forms.ChoiceField(label=_("状態"), required=False)
    ground = forms.TypedChoiceField(label=_("通知の理由"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, years, grounds, states, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", "すべて"), *((y, f"{y}年度") for y in years)]
        self.fields["state"].choices = [("", "すべて"), *states]
        self.fields["ground"].choices = [("", "すべて"), *((g.pk, g.label) for g in grounds)]
