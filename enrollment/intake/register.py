"""Importer for the resident register extract (住民基本台帳). Snapshot or delta; both upsert by
resident_code, and every change of a field is kept as a ResidentEvent with the batch.

A row with an error is not applied (a half-valid person would be worse than the old one); it
is listed with its line, column and reason in the batch report."""

from __future__ import annotations

from datetime import date
from functools import partial

from django.utils import timezone

from enrollment.intake.cells import CachedParser, RowContext, cell, today
from enrollment.intake.nationality import parse_nationality
from enrollment.models import RESIDENT_STATUS_FROM_REGISTER, Resident, ResidentEvent
from nhi_portal.intake.bulk import insert_rows, update_rows
from nhi_portal.intake.table import Chunk, Column, TableReader
from nhi_portal.intake.values import (
    address_problem,
    formula_problem,
    markup_problem,
    name_alpha_problem,
    parse_date_cell,
    parse_digits,
    parse_lg_code,
    parse_sex,
)

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
)
# Fields compared for changes, in this order (also the order of the tuples below).
VALUE_FIELDS = [
    "name_alpha", "name_kana", "name_kanji", "sex", "birth_date", "nationality", "residence_status",
    "lg_code", "address", "postal_code", "household_head_code", "moved_in_date", "moved_out_date", "status",
]  # fmt: skip
STATUS_LABELS = "、".join(RESIDENT_STATUS_FROM_REGISTER)


def _parse_status(value: str) -> tuple[str, str | None]:
    status = RESIDENT_STATUS_FROM_REGISTER.get(value)
    if status is None:
        return "", f"状態は {STATUS_LABELS} のいずれかで指定してください"
    return str(status), None


def _plain_text_problem(value: str) -> str | None:
    return formula_problem(value) or markup_problem(value)


class ResidentImporter:
    kind = "residents"
    what = WHAT

    def open(self, text, *, batch) -> TableReader:
        return TableReader(text, COLUMNS, what=WHAT)

    def _parsers(self, state: dict, batch) -> dict:
        if "parsers" not in state:
            now = today()
            state["parsers"] = {
                "birth": CachedParser(partial(parse_date_cell, not_after=now, not_before=date(1890, 1, 1))),
                "other_date": CachedParser(partial(parse_date_cell, allow_empty=True, not_after=now)),
                "sex": CachedParser(parse_sex),
                "lg": CachedParser(parse_lg_code),
                "nationality": CachedParser(parse_nationality),
                "status": CachedParser(_parse_status),
            }
            state["codes"] = batch.municipality.all_codes()
            state["seen"] = {}
            state.update(created=0, changed=0, unchanged=0, skipped=0)
        return state["parsers"]

    def _read_row(
        self, row: list[str], line: int, reader: TableReader, state: dict
    ) -> tuple[RowContext, str, tuple]:
        p = state["parsers"]
        ctx = RowContext(line)

        def get(key: str) -> tuple[str, str, str]:
            index = reader.index_of(key)
            raw = row[index] if index is not None else ""
            return raw, cell(ctx, key, reader.label_of(key), raw), reader.label_of(key)

        def check(key: str, value, reason: str | None, raw: str, label: str):
            if reason:
                ctx.add(key, label, raw, reason)
            return value

        raw, code, lbl = get("resident_code")
        code = check("resident_code", *parse_digits(code, length=11, label="住民票コード"), raw, lbl)
        values = []
        for key in ("name_alpha", "name_kana", "name_kanji"):
            raw, value, lbl = get(key)
            if value:
                reason = name_alpha_problem(value) if key == "name_alpha" else _plain_text_problem(value)
                check(key, None, reason, raw, lbl)
            values.append(value)
        raw, value, lbl = get("sex")
        values.append(check("sex", *p["sex"](value), raw, lbl))
        raw, value, lbl = get("birth_date")
        values.append(check("birth_date", *p["birth"](value), raw, lbl))
        raw, value, lbl = get("nationality")
        values.append(check("nationality", *p["nationality"](value), raw, lbl))
        raw, value, lbl = get("residence_status")
        values.append(check("residence_status", value, _plain_text_problem(value), raw, lbl))
        raw, value, lbl = get("lg_code")
        lg_code = check("lg_code", *p["lg"](value), raw, lbl)
        if lg_code and lg_code not in state["codes"]:
            ctx.add("lg_code", lbl, raw, "この自治体（またはその区）のコードではありません")
        values.append(lg_code)
        raw, value, lbl = get("address")
        values.append(check("address", value, address_problem(value), raw, lbl))
        raw, value, lbl = get("postal_code")
        values.append(
            check("postal_code", *parse_digits(value, length=7, label="郵便番号", allow_empty=True), raw, lbl)
        )
        raw, value, lbl = get("household_head_code")
        values.append(
            check(
                "household_head_code",
                *parse_digits(value, length=11, label="世帯主の住民票コード", allow_empty=True),
                raw,
                lbl,
            )
        )
        for key in ("moved_in_date", "moved_out_date"):
            raw, value, lbl = get(key)
            values.append(check(key, *p["other_date"](value), raw, lbl))
        raw, value, lbl = get("status")
        values.append(check("status", *p["status"](value), raw, lbl))
        return ctx, code, tuple(values)

    def save_chunk(self, chunk: Chunk, reader: TableReader, *, batch, state: dict) -> list:
        self._parsers(state, batch)
        seen: dict[str, int] = state["seen"]
        problems = []
        incoming: dict[str, tuple] = {}
        for row, line in zip(chunk.rows, chunk.lines, strict=True):
            ctx, code, values = self._read_row(row, line, reader, state)
            if code and code in seen:
                ctx.add(
                    "resident_code",
                    reader.label_of("resident_code"),
                    code,
                    f"住民票コードが重複しています（{seen[code]}行目と同じ）",
                )
            problems.extend(ctx.problems)
            if ctx.has_errors:
                state["skipped"] += 1
                continue
            seen[code] = line
            incoming[code] = values
        self._upsert(incoming, batch=batch, state=state)
        return problems

    def _upsert(self, incoming: dict[str, tuple], *, batch, state: dict) -> None:
        existing = {
            row[1]: row
            for row in Resident.objects.for_municipality(batch.municipality_id)
            .filter(resident_code__in=list(incoming))
            .values_list("pk", "resident_code", *VALUE_FIELDS)
            .iterator(chunk_size=5000)
        }
        now = timezone.now()
        new_rows, changed_rows, events = [], [], []
        for code, values in incoming.items():
            old = existing.get(code)
            if old is None:
                new_rows.append((batch.municipality_id, code, *values, batch.pk, now))
                continue
            changes = {
                f: [_jsonable(a), _jsonable(b)]
                for f, a, b in zip(VALUE_FIELDS, old[2:], values, strict=True)
                if a != b
            }
            if changes:
                changed_rows.append((old[0], *values, batch.pk, now))
                events.append((old[0], batch.pk, ResidentEvent.Kind.CHANGED, changes, now))
            else:
                state["unchanged"] += 1
        insert_rows(
            Resident,
            ["municipality_id", "resident_code", *VALUE_FIELDS, "last_batch_id", "updated_at"],
            new_rows,
        )
        update_rows(Resident, [*VALUE_FIELDS, "last_batch_id", "updated_at"], changed_rows)
        if new_rows:
            created_ids = (
                Resident.objects.for_municipality(batch.municipality_id)
                .filter(resident_code__in=[r[1] for r in new_rows])
                .values_list("pk", flat=True)
            )
            events.extend(
                (pk, batch.pk, ResidentEvent.Kind.CREATED, {}, now) for pk in created_ids.iterator()
            )
        insert_rows(ResidentEvent, ["resident_id", "batch_id", "kind", "changes", "recorded_at"], events)
        state["created"] += len(new_rows)
        state["changed"] += len(changed_rows)

    def finish(self, *, batch, state: dict) -> dict:
        summary = {k: state.get(k, 0) for k in ("created", "changed", "unchanged", "skipped")}
        if batch.mode == "snapshot":
            total = Resident.objects.for_municipality(batch.municipality_id).count()
            summary["not_in_snapshot"] = total - len(state.get("seen", {}))
        return summary


def _jsonable(value):
    return value.isoformat() if isinstance(value, date) else value
