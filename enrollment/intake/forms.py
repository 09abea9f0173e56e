"""The upload form a clerk fills in to import a file."""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from nhi_portal.models import ImportKind, ImportMode

PEOPLE_KINDS = [
    (ImportKind.ISA, ImportKind.ISA.label),
    (ImportKind.RESIDENTS, ImportKind.RESIDENTS.label),
    (ImportKind.NHI_LEDGER, ImportKind.NHI_LEDGER.label),
    (ImportKind.PENSION_CAT2_LOST, ImportKind.PENSION_CAT2_LOST.label),
    (ImportKind.PENSION_CAT13_LOST, ImportKind.PENSION_CAT13_LOST.label),
]
ANNEX_CHOICES = [
    ("", _("見出しから判別する（推奨）")),
    ("1", _("別紙1 入国")),
    ("2", _("別紙2 受入終了（離職）")),
    ("3", _("別紙3 在留資格変更")),
]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (the month's three ISA files at once)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".csv,.txt,text/csv"}))
        # Empty files are refused by clean_files with their name (Django's own message has none).
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("ファイルの種類"), choices=PEOPLE_KINDS, initial=ImportKind.ISA)
    files = MultipleFileField(
        label=_("CSVファイル"),
        help_text=_(
            "UTF-8 または Shift_JIS のCSV（Excelの「Unicode テキスト」のタブ区切りも可）。"
            "ISAファイルは3つまとめて選べます。"
        ),
    )
    annex = forms.ChoiceField(label=_("ISAファイルの別紙"), choices=ANNEX_CHOICES, required=False)
    mode = forms.ChoiceField(
        label=_("台帳の区分"),
        choices=ImportMode.choices,
        initial=ImportMode.DELTA,
        help_text=_(
            "全件: その時点の台帳すべて。差分: 変更のあった人だけ。どちらも住民票コード等で更新します。"
        ),
    )
    data_month = forms.CharField(
        label=_("対象月（任意）"),
        required=False,
        help_text=_("例: 2026-10。空欄ならISAファイル・年金一覧の日付から判断します。"),
        max_length=7,
    )

    def clean_files(self):
        uploaded = self.cleaned_data["files"]
        if not uploaded:
            raise forms.ValidationError(_("ファイルを選んでください。"))
        for f in uploaded:
            if f.size == 0:
                raise forms.ValidationError(
                    _("「%(name)s」は空のファイルです。中身のあるCSVを選んでください。") % {"name": f.name}
                )
            if f.size > settings.NHI_MAX_UPLOAD_BYTES:
                raise forms.ValidationError(
                    _(
                        "「%(name)s」は大きすぎます（上限 %(limit)s MB）。夜間バッチの受信フォルダを使ってください。"
                    )
                    % {"name": f.name, "limit": settings.NHI_MAX_UPLOAD_BYTES // (1024 * 1024)}
                )
        return uploaded

    def clean_data_month(self) -> date | None:
        value = self.cleaned_data["data_month"].strip()
        if not value:
            return None
        match = re.fullmatch(r"(\d{4})[-/](\d{1,2})", value)
        if not match or not 1 <= int(match[2]) <= 12:
            raise forms.ValidationError(_("対象月は 2026-10 の形で入力してください。"))
        return date(int(match[1]), int(match[2]), 1)

    def clean(self):
        data = super().clean()
        files = data.get("files") or []
        if data.get("kind") != ImportKind.ISA and len(files) > 1:
            self.add_error("files", _("ISAファイル以外は1つずつ取り込んでください。"))
        return data
