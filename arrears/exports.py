"""Layouts of the arrears linkage file (滞納情報の連携). The national record layout was not yet
published when this was written (DOMAIN.md §4), so the layout is versioned: every version is its
own class, kept for ever, and an export records the version it was made with, so an old export is
produced again byte for byte. A new layout is a new class registered in LAYOUTS; never change a
published one. Pure Python: the export's lines come in as plain values.

Layout v1 is documented in docs/arrears.md ("The linkage file, layout v1")."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from nhi_portal import csvsafe


@dataclass(frozen=True)
class LinkageRow:
    """What a layout may use of one flagged person (copied into the export at preview)."""

    resident_code: str
    insured_number: str
    name_alpha: str
    name_kana: str
    birth_date: date | None
    sex: str
    nationality: str
    household_head_codes: str  # ';'-separated
    reason: str  # F1 / F2 / F3
    overdue_instalments: int
    overdue_amount: int
    months_in_arrears: int
    oldest_due_date: date | None
    fiscal_years: str  # ';'-separated


def _ymd(value: date | None) -> str:
    return value.strftime("%Y%m%d") if value else ""


class LinkageExportV1:
    """v1: CSV, UTF-8 without BOM, CRLF, one header row, one row per flagged person sorted by
    resident_code; no timestamp or export number inside the file."""

    version = "v1"
    label = "v1（暫定レイアウト: CSV・UTF-8・CRLF）"
    content_type = "text/csv; charset=utf-8"
    HEADER = (
        "layout_version", "lg_code", "as_of", "resident_code", "insured_number", "name_alpha", "name_kana",
        "birth_date", "sex", "nationality", "household_head_code", "flag_reason", "overdue_instalments",
        "overdue_amount", "months_in_arrears", "oldest_due_date", "fiscal_years",
    )  # fmt: skip

    def file_name(self, *, lg_code: str, as_of: date, export_id: int) -> str:
        return f"arrears_linkage_{lg_code}_{as_of:%Y%m%d}_{self.version}_{export_id}.csv"

    def render(self, *, lg_code: str, as_of: date, rows: Iterable[LinkageRow]) -> bytes:
        buffer = io.StringIO()
        writer = csvsafe.writer(buffer, lineterminator="\r\n")
        writer.writerow(self.HEADER)
        for row in sorted(rows, key=lambda r: r.resident_code):
            writer.writerow(
                [
                    "1",
                    lg_code,
                    _ymd(as_of),
                    row.resident_code,
                    row.insured_number,
                    row.name_alpha,
                    row.name_kana,
                    _ymd(row.birth_date),
                    row.sex,
                    row.nationality,
                    row.household_head_codes,
                    row.reason,
                    row.overdue_instalments,
                    row.overdue_amount,
                    row.months_in_arrears,
                    _ymd(row.oldest_due_date),
                    row.fiscal_years,
                ]
            )
        return buffer.getvalue().encode("utf-8")


LAYOUTS = {layout.version: layout for layout in (LinkageExportV1(),)}
CURRENT_LAYOUT = "v1"


def layout_for(version: str):
    try:
        return LAYOUTS[version]
    except KeyError:
        raise LookupError(f"unknown linkage layout {version!r}") from None
