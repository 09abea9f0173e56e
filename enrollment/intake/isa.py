"""Importer for the ISA monthly files (別紙1 entry, 別紙2 separation, 別紙3 status change).

The annex is recognised from the sixth header (or forced by the caller). Every row is kept:
a value that cannot be read is stored empty with its raw text and reason, so matching can
still use the other fields but never auto-matches on it. Validation works a column at a time
and streams into PostgreSQL's COPY (1,000,000 rows in seconds)."""

from __future__ import annotations

from collections import Counter
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection
from django.utils import timezone
from django.utils.timezone import localdate

from enrollment.intake.codes import MunicipalityCodeTally
from enrollment.models import IsaRecord
from nhi_portal.intake.bulk import copy_arrow
from nhi_portal.intake.columns import Check, constant, null_if_equal, validate_slice
from nhi_portal.intake.errors import FileRejected
from nhi_portal.intake.table import Column, CsvSource
from nhi_portal.intake.values import (
    address_cell,
    address_cells,
    address_column,
    date_cell,
    lg_code_cell,
    name_alpha_cell,
    name_alpha_cells,
    name_alpha_column,
    sex_cell,
)
from nhi_portal.models import LANDED_STATUSES, ImportBatch

WHAT = "ISAファイル（特定技能）"
BASE_COLUMNS = (
    Column("name", ("氏名（英字）", "氏名(英字)", "氏名英字", "氏名")),
    Column(
        "lg_code",
        ("住居地（地方公共団体コード）", "住居地(地方公共団体コード)", "地方公共団体コード", "住居地コード"),
    ),
    Column("address", ("住居地",)),
    Column("sex", ("性別",)),
    Column("birth_date", ("生年月日",)),
)
EVENT_COLUMNS = {
    1: Column("event_1", ("入国年月日（上陸年月日）", "入国年月日", "上陸年月日"), required=False),
    2: Column("event_2", ("受入終了（離職）年月日", "受入終了年月日", "離職年月日"), required=False),
    3: Column("event_3", ("在留資格変更年月日", "在留資格変更日"), required=False),
}
ANNEX_LABELS = {1: "別紙1（入国）", 2: "別紙2（受入終了・離職）", 3: "別紙3（在留資格変更）"}
FIELDS = [
    "municipality_id", "batch_id", "row_number", "line_number", "annex",
    "raw_name", "raw_lg_code", "raw_address", "raw_sex", "raw_birth_date", "raw_event_date",
    "name", "lg_code", "address", "sex", "birth_date", "event_date", "problem_fields",
]  # fmt: skip
OLDEST_BIRTH = date(1900, 1, 1)
OLDEST_EVENT = date(2019, 4, 1)  # the Specified Skilled Worker scheme started on 2019-04-01
MIN_SSW_AGE = 18  # a Specified Skilled Worker (特定技能) is at least 18 on landing or status change


class IsaImporter:
    kind = "isa"
    what = WHAT

    def open(self, stream, *, batch) -> CsvSource:
        table = CsvSource(stream, [*BASE_COLUMNS, *EVENT_COLUMNS.values()], what=WHAT)
        found = [annex for annex, col in EVENT_COLUMNS.items() if table.has(col.key)]
        if len(found) != 1:
            expected = "・".join(col.label for col in EVENT_COLUMNS.values())
            raise FileRejected(
                f"6列目の見出しから別紙1〜3のどれか判別できません（{expected} のいずれか1つが必要です）。",
                line=table.header_line,
            )
        annex = found[0]
        if batch.annex and batch.annex != annex:
            raise FileRejected(
                f"指定された{ANNEX_LABELS[batch.annex]}と、ファイルの見出し（{ANNEX_LABELS[annex]}）が一致しません。"
                "ファイルか指定を確認してください。",
                line=table.header_line,
            )
        batch.annex = annex
        return table

    def event_source(self, batch) -> str:
        """The file column the event date comes from."""
        return EVENT_COLUMNS[batch.annex].key

    def checks(self, batch) -> dict[str, Check]:
        now = localdate()
        return {
            "name": Check(name_alpha_cell, many=name_alpha_cells, vector=name_alpha_column, max_length=200),
            "lg_code": Check(lg_code_cell(batch.municipality.all_codes()), cached=True),
            "address": Check(address_cell, many=address_cells, vector=address_column, max_length=300),
            "sex": Check(sex_cell, cached=True),
            "birth_date": Check(date_cell(not_after=now, not_before=OLDEST_BIRTH), pa.date32(), cached=True),
            "event_date": Check(
                date_cell(not_after=now, not_before=OLDEST_EVENT),
                pa.date32(),
                cached=True,
                source=self.event_source(batch),
            ),
        }

    def save(self, table: CsvSource, *, batch, state: dict, progress) -> list:
        checks = self.checks(batch)
        caches: dict = {}
        problems: list = []
        months: Counter = Counter()
        codes = MunicipalityCodeTally(batch.municipality.all_codes())

        def tables():
            for part in table.slices():
                n = len(part)
                checked = validate_slice(part, checks, label_of=table.label_of, caches=caches)
                self._check_date_order(checked, batch=batch, label_of=table.label_of)
                found, raw, clean = checked.found, checked.raw, checked.clean
                codes.add(raw["lg_code"], clean["lg_code"])
                problems.extend(found.problems)
                events = clean["event_date"].drop_null()
                if len(events):
                    # Months counted in numpy: Arrow's strftime took two seconds a million rows.
                    month, count = np.unique(
                        events.to_numpy(zero_copy_only=False).astype("datetime64[M]"), return_counts=True
                    )
                    for value, n_rows in zip(month.astype(str).tolist(), count.tolist(), strict=True):
                        months[value] += n_rows
                yield pa.table(
                    [
                        constant(batch.municipality_id, n, pa.int64()),
                        constant(batch.pk, n, pa.int64()),
                        pa.array(np.arange(part.first_row_number, part.first_row_number + n), pa.int64()),
                        pa.array(part.lines, pa.int64()),
                        constant(batch.annex, n, pa.int64()),
                        null_if_equal(raw["name"], clean["name"]),
                        null_if_equal(raw["lg_code"], clean["lg_code"]),
                        null_if_equal(raw["address"], clean["address"]),
                        raw["sex"],
                        raw["birth_date"],
                        raw["event_date"],
                        clean["name"],
                        clean["lg_code"],
                        clean["address"],
                        clean["sex"],
                        clean["birth_date"],
                        clean["event_date"],
                        found.field_column(n),
                    ],
                    names=FIELDS,
                )
                progress(table.rows_read)

        state["records"] = copy_arrow(IsaRecord, FIELDS, tables())
        codes.refuse_if_foreign(municipality=batch.municipality, column=table.label_of("lg_code"))
        state["months"] = months
        return problems

    def _check_date_order(self, checked, *, batch, label_of) -> None:
        """Dates that cannot both be right: the event before the birth, or (annexes 1-3) a holder
        under 18 on the event date — a Specified Skilled Worker is at least 18. Either date may
        be the wrong one, so both are kept; the problem is an error on the birth date, which
        keeps the record from an automatic match (a wrong birth date could link the wrong person)."""
        birth, event = checked.clean["birth_date"], checked.clean["event_date"]
        both = pc.and_(pc.is_valid(birth), pc.is_valid(event)).to_numpy(zero_copy_only=False)
        if not both.any():
            return
        rows = np.flatnonzero(both)
        by, bmd = _year_and_month_day(birth.take(pa.array(rows)))
        ey, emd = _year_and_month_day(event.take(pa.array(rows)))
        age = ey - by - (emd < bmd)
        before_birth = (ey * 10000 + emd) < (by * 10000 + bmd)
        minor = (
            ~before_birth & (age < MIN_SSW_AGE) if batch.annex in ANNEX_LABELS else np.zeros(len(rows), bool)
        )
        if not (before_birth.any() or minor.any()):
            return
        event_label = label_of(self.event_source(batch))
        birth_label = label_of("birth_date")
        flagged = np.flatnonzero(before_birth | minor)
        events = event.take(pa.array(rows[flagged])).to_pylist()  # the few flagged rows only
        for index, event_date in zip(flagged.tolist(), events, strict=True):
            when = f"{event_date:%Y-%m-%d}"
            if before_birth[index]:
                reason = f"{event_label}（{when}）が生年月日より前です。どちらかの日付が誤っています"
            else:
                reason = (
                    f"{event_label}（{when}）の時点で{int(age[index])}歳です。特定技能は18歳以上のため、"
                    "生年月日か日付の誤りと考えられます"
                )
            checked.found.add_rows(
                [int(rows[index])],
                checked.raw["birth_date"],
                field_name="birth_date",
                label=birth_label,
                reason=reason,
            )

    def finish(self, *, batch, state: dict) -> dict:
        months: Counter = state.get("months", Counter())
        if batch.data_month is None and months:
            year, month = max(months, key=lambda m: (months[m], m)).split("-")
            batch.data_month = date(int(year), int(month), 1)
        summary = {"records": state.get("records", 0)}
        if overlap := batch_overlap(batch, rows=summary["records"]):
            summary["overlap"] = overlap
        return summary


PENSION_COLUMNS = (
    Column("name", ("氏名（英字）", "氏名(英字)", "name_alpha")),
    Column("name_kana", ("氏名（カナ）", "氏名(カナ)", "name_kana"), required=False),
    Column("sex", ("性別", "sex")),
    Column("birth_date", ("生年月日", "birth_date")),
    Column("address", ("住所", "address")),
    Column("lost_date", ("資格喪失年月日", "資格喪失日", "lost_date")),
    Column("basic_pension_number", ("基礎年金番号", "basic_pension_number"), required=False),
)


class PensionListImporter(IsaImporter):
    """The Japan Pension Service lists (DOMAIN §3): persons who lost category-2 status (left
    company employment → enrollment reminder) or category-1/3 status (joined employee insurance
    → withdrawal reminder). Stored beside the ISA records and matched the same way; the list is
    the municipality's own, so its code is the municipality's."""

    annex = 0
    what = "年金の資格喪失者一覧"

    def open(self, stream, *, batch) -> CsvSource:
        batch.annex = self.annex
        return CsvSource(stream, PENSION_COLUMNS, what=self.what)

    def event_source(self, batch) -> str:
        return "lost_date"

    def checks(self, batch) -> dict[str, Check]:
        checks = super().checks(batch)
        code = batch.municipality.lg_code
        checks["lg_code"] = Check(lambda raw: (code, ()), cached=True)  # the list has no code column
        checks["event_date"] = Check(
            date_cell(not_after=localdate(), not_before=date(1986, 4, 1)),
            pa.date32(),
            cached=True,
            source="lost_date",
        )
        return checks


class PensionCat2Importer(PensionListImporter):
    kind = "pension_cat2_lost"
    annex = 21
    what = "第2号被保険者資格喪失者一覧表"


class PensionCat13Importer(PensionListImporter):
    kind = "pension_cat13_lost"
    annex = 22
    what = "第1号・第3号被保険者資格喪失一覧表"


def _year_and_month_day(dates: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Year and month*100+day of a date32 column without nulls, in numpy."""
    days = dates.to_numpy(zero_copy_only=False).astype("datetime64[D]")
    years = days.astype("datetime64[Y]")
    months = days.astype("datetime64[M]")
    month_of_year = (months - years.astype("datetime64[M]")).astype(np.int64) + 1
    day_of_month = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    return years.astype(np.int64) + 1970, month_of_year * 100 + day_of_month


OVERLAP_SHARE = 0.5  # at least this share of a batch's rows identical to one earlier batch: say so


def batch_overlap(batch, *, rows: int) -> dict | None:
    """The earlier batch of the same kind sharing the most rows with this one, when at least half
    of this batch's rows are identical to rows of it (same name, code, address, sex, birth date,
    event date and annex, as cleaned): the same month imported twice, or two months' files mixed
    up. Identical content is refused already (by its hash); this is the near-copy. None if not."""
    earlier = list(
        ImportBatch.objects.for_municipality(batch.municipality_id)
        .filter(kind=batch.kind, status__in=LANDED_STATUSES)
        .exclude(pk=batch.pk)
        .values_list("pk", flat=True)
    )
    if not earlier or not rows:
        return None
    table = IsaRecord._meta.db_table
    placeholders = ",".join(["%s"] * len(earlier))  # one per earlier batch: a handful (SQLite has no ANY)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT e.batch_id, count(DISTINCT n.row_number)
              FROM {table} n
              JOIN {table} e
                ON e.municipality_id = n.municipality_id AND e.name = n.name AND e.lg_code = n.lg_code
               AND e.address = n.address AND e.sex = n.sex AND e.annex = n.annex
               AND e.birth_date IS NOT DISTINCT FROM n.birth_date
               AND e.event_date IS NOT DISTINCT FROM n.event_date
             WHERE n.municipality_id = %s AND n.batch_id = %s AND e.batch_id IN ({placeholders})
             GROUP BY e.batch_id
             ORDER BY 2 DESC, 1 DESC
             LIMIT 1
            """,  # noqa: S608 - the table name comes from the model, the placeholders are ours
            [batch.municipality_id, batch.pk, *earlier],
        )
        found = cursor.fetchone()
    if found is None or found[1] < rows * OVERLAP_SHARE:
        return None
    other = ImportBatch.objects.get(pk=found[0])
    return {
        "batch_id": other.pk,
        "source_name": other.source_name,
        "received_at": timezone.localtime(other.created_at).strftime("%Y-%m-%d %H:%M"),
        "rows": found[1],
        "of": rows,
    }
