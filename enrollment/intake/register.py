"""Importer for the resident register extract (住民基本台帳). Snapshot or delta; both upsert by
resident_code, and every change of a field is kept as a ResidentEvent with the batch.

A row with an error is not applied (a half-valid person would be worse than the old one); it
is listed with its line, column and reason in the batch report. Validation works a column at a
time; into an empty register the rows stream straight into COPY."""

from __future__ import annotations

import logging
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection
from django.utils import timezone

from enrollment.intake.codes import MunicipalityCodeTally
from enrollment.intake.nationality import nationality_cell
from enrollment.linking.index import index_imported
from enrollment.models import RESIDENT_STATUS_FROM_REGISTER, Resident, ResidentEvent
from nhi_portal.intake.bulk import (
    copy_arrow,
    copy_arrow_staged,
    indexes_built_after,
    insert_rows,
    set_based,
    update_rows,
)
from nhi_portal.intake.columns import (
    Check,
    SeenKeys,
    constant,
    constant_text,
    first_occurrence,
    validate_slice,
)
from nhi_portal.intake.table import Column, CsvSource
from nhi_portal.intake.values import (
    address_cell,
    address_cells,
    address_column,
    choice_cell,
    date_cell,
    digits_cell,
    lg_code_cell,
    name_alpha_cell,
    name_alpha_cells,
    name_alpha_column,
    sex_cell,
    text_cell,
    text_cells,
    text_column,
)

logger = logging.getLogger(__name__)

WHAT = "住民基本台帳"
COLUMNS = (
    Column("resident_code", ("resident_code", "住民票コード")),
    Column("name_alpha", ("name_alpha", "氏名英字")),
    Column("name_kana", ("name_kana", "氏名カナ")),
    Column("name_kanji", ("name_kanji", "氏名漢字")),
    Column("sex", ("sex", "性別")),
    Column("birth_date", ("birth_date", "生年月日")),
    Column("nationality", ("nationality", "国籍")),
    Column("residence_status", ("residence_status", "在留資格")),
    Column("lg_code", ("lg_code", "地方公共団体コード")),
    Column("address", ("address", "住所")),
    Column("moved_in_date", ("moved_in_date", "転入日")),
    Column("moved_out_date", ("moved_out_date", "転出日")),
    Column("status", ("status", "状態")),
    Column("postal_code", ("postal_code", "郵便番号"), required=False),
    Column("household_head_code", ("household_head_code", "世帯主住民票コード"), required=False),
    Column("residence_period", ("residence_period", "在留期間"), required=False),
    Column("residence_expiry", ("residence_expiry", "在留期間満了日"), required=False),
)
# Fields compared for changes, in this order.
VALUE_FIELDS = [
    "name_alpha", "name_kana", "name_kanji", "sex", "birth_date", "nationality", "residence_status",
    "lg_code", "address", "postal_code", "household_head_code", "moved_in_date", "moved_out_date", "status",
    "residence_period", "residence_expiry",
]  # fmt: skip
INSERT_FIELDS = [
    "municipality_id",
    "resident_code",
    *VALUE_FIELDS,
    "first_batch_id",
    "last_batch_id",
    "updated_at",
]
STAGE_FIELDS = ["resident_code", *VALUE_FIELDS]
ELEVEN_DIGITS = r"^[0-9]{11}$"
ELEVEN_DIGITS_OR_EMPTY = r"^([0-9]{11})?$"
STATUS = {label: str(value) for label, value in RESIDENT_STATUS_FROM_REGISTER.items()} | {
    str(v): str(v) for v in RESIDENT_STATUS_FROM_REGISTER.values()
}


class ResidentImporter:
    kind = "residents"
    what = WHAT

    def open(self, stream, *, batch) -> CsvSource:
        return CsvSource(stream, COLUMNS, what=WHAT)

    def _checks(self, batch) -> dict[str, Check]:
        now = timezone.localdate()
        return {
            "resident_code": Check(digits_cell(length=11, label="住民票コード"), fast=ELEVEN_DIGITS),
            "name_alpha": Check(
                lambda raw: name_alpha_cell(raw, required=False),
                many=lambda values: name_alpha_cells(values, required=False),
                vector=lambda column: name_alpha_column(column, required=False),
                max_length=120,
            ),
            "name_kana": Check(text_cell, many=text_cells, vector=text_column, max_length=120),
            "name_kanji": Check(text_cell, many=text_cells, vector=text_column, max_length=120),
            "sex": Check(sex_cell, cached=True),
            "birth_date": Check(
                date_cell(not_after=now, not_before=date(1890, 1, 1)), pa.date32(), cached=True
            ),
            "nationality": Check(nationality_cell, cached=True),
            "residence_status": Check(text_cell, cached=True, max_length=40),
            "lg_code": Check(lg_code_cell(batch.municipality.all_codes()), cached=True),
            "address": Check(address_cell, many=address_cells, vector=address_column, max_length=200),
            "postal_code": Check(digits_cell(length=7, label="郵便番号", allow_empty=True), cached=True),
            "household_head_code": Check(
                digits_cell(length=11, label="世帯主の住民票コード", allow_empty=True),
                fast=ELEVEN_DIGITS_OR_EMPTY,
            ),
            "moved_in_date": Check(date_cell(allow_empty=True, not_after=now), pa.date32(), cached=True),
            "moved_out_date": Check(date_cell(allow_empty=True, not_after=now), pa.date32(), cached=True),
            "residence_period": Check(text_cell, cached=True, max_length=20),
            "residence_expiry": Check(date_cell(allow_empty=True), pa.date32(), cached=True),
            "status": Check(
                choice_cell(STATUS, "状態は 在住、転出、死亡、国外転出 のいずれかで指定してください"),
                cached=True,
            ),
        }

    def save(self, source: CsvSource, *, batch, state: dict, progress) -> list:
        checks = self._checks(batch)
        existing_count = Resident.objects.for_municipality(batch.municipality_id).count()
        state.update(created=0, changed=0, unchanged=0, skipped=0, seen=0)
        caches: dict = {}
        problems: list = []
        seen = SeenKeys()  # resident codes met so far, with their first line
        codes = MunicipalityCodeTally(batch.municipality.all_codes())
        now = timezone.now()
        code_label = source.label_of("resident_code")

        def parts():
            for part in source.slices():
                checked = validate_slice(part, checks, label_of=source.label_of, caches=caches)
                self._refuse_repeated_codes(checked, part.lines, seen, code_label)
                codes.add(checked.raw["lg_code"], checked.clean["lg_code"])
                problems.extend(checked.found.problems)
                keep = ~checked.found.error_mask(len(part))
                state["skipped"] += int((~keep).sum())
                state["seen"] += int(keep.sum())
                if keep.all():
                    yield checked.clean
                else:
                    yield {name: array.filter(pa.array(keep)) for name, array in checked.clean.items()}
                progress(source.rows_read)

        if existing_count == 0:
            # First load: everyone is new, so the rows stream straight into one COPY (into an
            # empty table, with the indexes built once afterwards).
            tables = (self._insert_table(rows, batch=batch, now=now) for rows in parts())
            with indexes_built_after(Resident):
                state["created"] = copy_arrow(Resident, INSERT_FIELDS, tables)
        elif set_based():
            # A later snapshot or a delta: the rows go into a staging table with COPY, then a
            # few set-based statements record what changed, update it and add the new people.
            tables = (self._stage_table(rows) for rows in parts())
            staging, _ = copy_arrow_staged(Resident, STAGE_FIELDS, tables, name=f"resident_{batch.pk}")
            self._apply_staged(staging, batch=batch, state=state, now=now)
        else:
            for rows in parts():
                self._upsert(rows, batch=batch, state=state, now=now)
        codes.refuse_if_foreign(municipality=batch.municipality, column=source.label_of("lg_code"))
        return problems

    @staticmethod
    def _refuse_repeated_codes(checked, lines: np.ndarray, seen: SeenKeys, label: str) -> None:
        """A resident code met on an earlier line is an error of the later row (the first one is
        applied). Codes are eleven digits, so they are compared as integers, a slice at a time."""
        codes = checked.clean["resident_code"]
        present = pc.not_equal(codes, "").to_numpy(zero_copy_only=False)
        rows = np.flatnonzero(present)
        keys = pc.cast(codes.filter(pa.array(present)), pa.int64()).to_numpy()
        earlier = first_occurrence(keys, lines[rows], seen)
        repeated = np.flatnonzero(earlier)
        for first in np.unique(earlier[repeated]).tolist():
            checked.found.add_rows(
                rows[repeated[earlier[repeated] == first]].tolist(),
                checked.raw["resident_code"],
                field_name="resident_code",
                label=label,
                reason=f"住民票コードが重複しています（{first}行目と同じ）",
            )

    def _insert_table(self, rows: dict[str, pa.Array], *, batch, now) -> pa.Table:
        n = len(rows["resident_code"])
        return pa.table(
            [
                constant(batch.municipality_id, n, pa.int64()),
                rows["resident_code"],
                *(rows[f] for f in VALUE_FIELDS),
                constant(batch.pk, n, pa.int64()),
                constant(batch.pk, n, pa.int64()),
                constant_text(now.isoformat(), n),
            ],
            names=INSERT_FIELDS,
        )

    @staticmethod
    def _stage_table(rows: dict[str, pa.Array]) -> pa.Table:
        return pa.table([rows[f] for f in STAGE_FIELDS], names=STAGE_FIELDS)

    @staticmethod
    def _apply_staged(staging: str, *, batch, state: dict, now) -> None:
        """The diff of the staged rows against the register, in SQL. One pass over the staged rows
        (a join with the register) keeps the rows that are new or differ, with the history of
        each changed person ({field: [old, new]} of the fields that differ, as `_upsert` writes
        it); the history, the updates and the inserts then read only those rows."""
        qn = connection.ops.quote_name
        resident = qn(Resident._meta.db_table)
        event = qn(ResidentEvent._meta.db_table)
        diff = qn(f"diff_{batch.pk}")
        old_row = ", ".join(f"r.{qn(f)}" for f in VALUE_FIELDS)
        new_row = ", ".join(f"s.{qn(f)}" for f in VALUE_FIELDS)
        changes = ", ".join(
            f"'{f}', CASE WHEN r.{qn(f)} IS DISTINCT FROM s.{qn(f)} "
            f"THEN jsonb_build_array(r.{qn(f)}, s.{qn(f)}) END"
            for f in VALUE_FIELDS
        )
        stage_columns = ", ".join(f"s.{qn(f)}" for f in STAGE_FIELDS)
        params = {
            "m": batch.municipality_id,
            "batch": batch.pk,
            "now": now,
            "kind": ResidentEvent.Kind.CHANGED,
        }
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE {diff} ON COMMIT DROP AS "  # noqa: S608 - names from model meta
                f"SELECT r.id, CASE WHEN r.id IS NOT NULL THEN jsonb_strip_nulls(jsonb_build_object({changes})) "
                f"END AS changes, {stage_columns} FROM {staging} AS s LEFT JOIN {resident} AS r "
                "ON r.municipality_id = %(m)s AND r.resident_code = s.resident_code "
                f"WHERE r.id IS NULL OR ({old_row}) IS DISTINCT FROM ({new_row})",
                params,
            )
            cursor.execute(
                f"INSERT INTO {event} (resident_id, batch_id, kind, changes, recorded_at) "  # noqa: S608
                f"SELECT id, %(batch)s, %(kind)s, changes, %(now)s FROM {diff} WHERE id IS NOT NULL ORDER BY id",
                params,
            )
            assignments = ", ".join(f"{qn(f)} = s.{qn(f)}" for f in VALUE_FIELDS)
            cursor.execute(
                f"UPDATE {resident} AS r SET {assignments}, last_batch_id = %(batch)s, updated_at = %(now)s "  # noqa: S608
                f"FROM {diff} AS s WHERE s.id IS NOT NULL AND r.id = s.id",
                params,
            )
            state["changed"] += cursor.rowcount
            cursor.execute(
                f"INSERT INTO {resident} ({', '.join(qn(f) for f in INSERT_FIELDS)}) "  # noqa: S608
                f"SELECT %(m)s, {stage_columns}, %(batch)s, %(batch)s, %(now)s FROM {diff} AS s WHERE s.id IS NULL",
                params,
            )
            state["created"] += cursor.rowcount
        state["unchanged"] += state["seen"] - state["changed"] - state["created"]

    def _upsert(self, rows: dict[str, pa.Array], *, batch, state: dict, now) -> None:
        codes = rows["resident_code"].to_pylist()
        existing = {
            row[1]: row
            for row in Resident.objects.for_municipality(batch.municipality_id)
            .filter(resident_code__in=codes)
            .values_list("pk", "resident_code", *VALUE_FIELDS)
            .iterator(chunk_size=10_000)
        }
        is_new = pc.invert(pc.is_in(rows["resident_code"], pa.array(list(existing), pa.string())))
        new_rows = {name: array.filter(is_new) for name, array in rows.items()}
        state["created"] += copy_arrow(
            Resident, INSERT_FIELDS, [self._insert_table(new_rows, batch=batch, now=now)]
        )
        if not existing:
            return
        values = list(zip(*(rows[f].to_pylist() for f in VALUE_FIELDS), strict=True))
        changed_rows, events = [], []
        for code, incoming in zip(codes, values, strict=True):
            old = existing.get(code)
            if old is None:
                continue
            changes = {
                f: [_jsonable(a), _jsonable(b)]
                for f, a, b in zip(VALUE_FIELDS, old[2:], incoming, strict=True)
                if a != b
            }
            if changes:
                changed_rows.append((old[0], *incoming, batch.pk, now))
                events.append((old[0], batch.pk, ResidentEvent.Kind.CHANGED, changes, now))
            else:
                state["unchanged"] += 1
        update_rows(Resident, [*VALUE_FIELDS, "last_batch_id", "updated_at"], changed_rows)
        insert_rows(ResidentEvent, ["resident_id", "batch_id", "kind", "changes", "recorded_at"], events)
        state["changed"] += len(changed_rows)

    def finish(self, *, batch, state: dict) -> dict:
        # The matching index of the people this batch created or changed, in the same transaction:
        # no separate index build before the next match run.
        indexed = index_imported(batch.municipality_id, batch.pk)
        logger.info("batch %s: matching index updated for %s residents", batch.pk, indexed["indexed"])
        summary = {k: state.get(k, 0) for k in ("created", "changed", "unchanged", "skipped")}
        if batch.mode == "snapshot":
            total = Resident.objects.for_municipality(batch.municipality_id).count()
            summary["not_in_snapshot"] = total - state.get("seen", 0)
        return summary


def _jsonable(value):
    return value.isoformat() if isinstance(value, date) else value
