"""Importer for the NHI ledger extract (国民健康保険被保険者台帳): one row per period of
membership, upserted by (insured_number, acquired_date). Snapshot or delta."""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection
from django.utils import timezone

from enrollment.models import NhiMembership
from nhi_portal.intake.bulk import (
    copy_arrow,
    copy_arrow_staged,
    indexes_built_after,
    set_based,
    update_rows,
)
from nhi_portal.intake.columns import Check, constant, constant_text, validate_slice
from nhi_portal.intake.table import Column, CsvSource
from nhi_portal.intake.values import clean_text, date_cell, digits_cell, text_cell

WHAT = "国保被保険者台帳"
COLUMNS = (
    Column("insured_number", ("insured_number", "被保険者番号")),
    Column("resident_code", ("resident_code", "住民票コード")),
    Column("household_head_code", ("household_head_code", "世帯主住民票コード")),
    Column("acquired_date", ("acquired_date", "資格取得日")),
    Column("lost_date", ("lost_date", "資格喪失日")),
    Column("lost_reason", ("lost_reason", "喪失事由")),
)
VALUE_FIELDS = ["resident_code", "household_head_code", "lost_date", "lost_reason"]
STAGE_FIELDS = ["insured_number", "acquired_date", *VALUE_FIELDS]
INSERT_FIELDS = [
    "municipality_id",
    "insured_number",
    "acquired_date",
    *VALUE_FIELDS,
    "last_batch_id",
    "updated_at",
]
_INSURED_NUMBER = re.compile(r"^[0-9A-Za-z]{1,20}$")
ELEVEN_DIGITS = r"^[0-9]{11}$"
OLDEST = date(1958, 1, 1)  # the National Health Insurance Act of 1958


def insured_number_cell(raw: str):
    cleaned = clean_text(raw)
    if not _INSURED_NUMBER.match(cleaned.value):
        return "", (*cleaned.problems, ("被保険者番号は英数字20文字以内で指定してください", "error"))
    return cleaned.value, tuple(cleaned.problems)


class LedgerImporter:
    kind = "nhi_ledger"
    what = WHAT

    def open(self, stream, *, batch) -> CsvSource:
        return CsvSource(stream, COLUMNS, what=WHAT)

    def save(self, source: CsvSource, *, batch, state: dict, progress) -> list:
        table = source
        now = timezone.localdate()
        checks = {
            # `fast`: a column whose every cell already has the clean form is taken as it is.
            "insured_number": Check(insured_number_cell, fast=_INSURED_NUMBER.pattern),
            "resident_code": Check(digits_cell(length=11, label="住民票コード"), fast=ELEVEN_DIGITS),
            "household_head_code": Check(
                digits_cell(length=11, label="世帯主の住民票コード"), fast=ELEVEN_DIGITS
            ),
            "acquired_date": Check(date_cell(not_after=now, not_before=OLDEST), pa.date32(), cached=True),
            "lost_date": Check(date_cell(allow_empty=True, not_before=OLDEST), pa.date32(), cached=True),
            "lost_reason": Check(text_cell, cached=True, max_length=40),
        }
        caches: dict = {}
        problems: list = []
        seen: dict[str, int] = {}  # "insured number|acquired date" → the line it was first met on
        state.update(created=0, changed=0, unchanged=0, skipped=0)
        stamp = timezone.now()
        first_load = not NhiMembership.objects.for_municipality(batch.municipality_id).exists()

        def parts():
            for part in table.slices():
                checked = validate_slice(part, checks, label_of=table.label_of, caches=caches)
                keep = self._usable_rows(checked, part.lines, seen, table.label_of)
                problems.extend(checked.found.problems)
                state["skipped"] += int((~keep).sum())
                rows = checked.clean
                if not keep.all():
                    rows = {name: array.filter(pa.array(keep)) for name, array in rows.items()}
                yield rows
                progress(source.rows_read)

        if first_load:
            # Nobody's periods yet: every row is new, streamed into one COPY.
            tables = (self._insert_table(rows, batch=batch, stamp=stamp) for rows in parts())
            with indexes_built_after(NhiMembership):
                state["created"] = copy_arrow(NhiMembership, INSERT_FIELDS, tables)
        elif set_based():
            # A later ledger: staged with COPY, then compared and applied in two statements.
            tables = (pa.table([rows[f] for f in STAGE_FIELDS], names=STAGE_FIELDS) for rows in parts())
            staging, staged = copy_arrow_staged(
                NhiMembership, STAGE_FIELDS, tables, name=f"membership_{batch.pk}"
            )
            self._apply_staged(staging, staged, batch=batch, state=state, stamp=stamp)
        else:
            for rows in parts():
                columns = {
                    name: rows[name].to_pylist()
                    for name in ("insured_number", "acquired_date", *VALUE_FIELDS)
                }
                incoming = {
                    key: values
                    for key, values in zip(
                        zip(columns["insured_number"], columns["acquired_date"], strict=True),
                        zip(*(columns[f] for f in VALUE_FIELDS), strict=True),
                        strict=True,
                    )
                }
                self._upsert(incoming, batch=batch, state=state, stamp=stamp)
        return problems

    @staticmethod
    def _usable_rows(checked, lines: np.ndarray, seen: dict[str, int], label_of) -> np.ndarray:
        """The rows to apply: no error, a lost date not before the acquired date, and a period
        (insured number, acquired date) not met on an earlier line."""
        clean, found = checked.clean, checked.found
        keep = ~found.error_mask(len(lines))
        lost_first = pc.fill_null(pc.less(clean["lost_date"], clean["acquired_date"]), False).to_numpy(
            zero_copy_only=False
        )
        lost_first &= keep
        if lost_first.any():
            found.add_rows(
                np.flatnonzero(lost_first).tolist(),
                checked.raw["lost_date"],
                field_name="lost_date",
                label=label_of("lost_date"),
                reason="資格喪失日が資格取得日より前です",
            )
            keep &= ~lost_first
        rows = np.flatnonzero(keep)
        keys = pc.binary_join_element_wise(
            clean["insured_number"].filter(pa.array(keep)),
            pc.cast(clean["acquired_date"].filter(pa.array(keep)), pa.string()),
            "|",
        ).to_pylist()
        here = dict(zip(keys, lines[rows].tolist(), strict=True))
        if len(here) == len(keys) and seen.keys().isdisjoint(here):
            seen.update(here)  # the usual case: no period twice
            return keep
        repeated = []
        for row, key in zip(rows.tolist(), keys, strict=True):
            first = seen.setdefault(key, int(lines[row]))
            if first != lines[row]:
                repeated.append((row, first))
        for row, first in repeated:
            found.add_rows(
                [row],
                checked.raw["insured_number"],
                field_name="insured_number",
                label=label_of("insured_number"),
                reason=f"同じ被保険者番号・資格取得日の行があります（{first}行目）",
            )
            keep[row] = False
        return keep

    def _insert_table(self, rows: dict[str, pa.Array], *, batch, stamp) -> pa.Table:
        n = len(rows["insured_number"])
        return pa.table(
            [
                constant(batch.municipality_id, n, pa.int64()),
                rows["insured_number"],
                rows["acquired_date"],
                *(rows[f] for f in VALUE_FIELDS),
                constant(batch.pk, n, pa.int64()),
                constant_text(stamp.isoformat(), n),
            ],
            names=INSERT_FIELDS,
        )

    @staticmethod
    def _apply_staged(staging: str, staged: int, *, batch, state: dict, stamp) -> None:
        """Periods whose values differ are updated, periods not held yet are inserted (set-based)."""
        qn = connection.ops.quote_name
        table = qn(NhiMembership._meta.db_table)
        old_row = ", ".join(f"m.{qn(f)}" for f in VALUE_FIELDS)
        new_row = ", ".join(f"s.{qn(f)}" for f in VALUE_FIELDS)
        assignments = ", ".join(f"{qn(f)} = s.{qn(f)}" for f in VALUE_FIELDS)
        same_period = (
            "m.municipality_id = %(m)s AND m.insured_number = s.insured_number "
            "AND m.acquired_date = s.acquired_date"
        )
        params = {"m": batch.municipality_id, "batch": batch.pk, "now": stamp}
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS m SET {assignments}, last_batch_id = %(batch)s, updated_at = %(now)s "  # noqa: S608 - names from model meta
                f"FROM {staging} AS s WHERE {same_period} AND ({old_row}) IS DISTINCT FROM ({new_row})",
                params,
            )
            state["changed"] += cursor.rowcount
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(qn(f) for f in INSERT_FIELDS)}) "  # noqa: S608
                f"SELECT %(m)s, {', '.join(f's.{qn(f)}' for f in STAGE_FIELDS)}, %(batch)s, %(now)s "
                f"FROM {staging} AS s WHERE NOT EXISTS (SELECT 1 FROM {table} AS m WHERE {same_period})",
                params,
            )
            state["created"] += cursor.rowcount
        state["unchanged"] += staged - state["changed"] - state["created"]

    def _upsert(self, incoming: dict, *, batch, state: dict, stamp) -> None:
        numbers = list({number for number, _ in incoming})
        existing = {
            (row[1], row[2]): row
            for row in NhiMembership.objects.for_municipality(batch.municipality_id)
            .filter(insured_number__in=numbers)
            .values_list("pk", "insured_number", "acquired_date", *VALUE_FIELDS)
            .iterator(chunk_size=10_000)
        }
        new_rows, changed_rows = [], []
        for (number, acquired), values in incoming.items():
            old = existing.get((number, acquired))
            if old is None:
                new_rows.append((number, acquired, *values))
            elif tuple(old[3:]) != values:
                changed_rows.append((old[0], *values, batch.pk, stamp))
            else:
                state["unchanged"] += 1
        if new_rows:
            n = len(new_rows)
            columns = list(zip(*new_rows, strict=True))
            table = pa.table(
                [
                    constant(batch.municipality_id, n, pa.int64()),
                    pa.array(columns[0], pa.string()),
                    pa.array(columns[1], pa.date32()),
                    pa.array(columns[2], pa.string()),
                    pa.array(columns[3], pa.string()),
                    pa.array(columns[4], pa.date32()),
                    pa.array(columns[5], pa.string()),
                    constant(batch.pk, n, pa.int64()),
                    pa.array([stamp] * n, pa.timestamp("us", tz="UTC")),
                ],
                names=INSERT_FIELDS,
            )
            copy_arrow(NhiMembership, INSERT_FIELDS, [table])
        update_rows(NhiMembership, [*VALUE_FIELDS, "last_batch_id", "updated_at"], changed_rows)
        state["created"] += len(new_rows)
        state["changed"] += len(changed_rows)

    def finish(self, *, batch, state: dict) -> dict:
        from enrollment.cases.services import cases_close_by_ledger

        summary = {k: state.get(k, 0) for k in ("created", "changed", "unchanged", "skipped")}
        closed = cases_close_by_ledger(municipality=batch.municipality)
        summary["cases_closed_enrolled"] = closed.get("enrolled", 0)
        summary["cases_closed_withdrew"] = closed.get("withdrew", 0)
        return summary
