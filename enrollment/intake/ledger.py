"""Importer for the NHI ledger extract (国民健康保険被保険者台帳): one row per period of
membership, upserted by (insured_number, acquired_date). Snapshot or delta."""

from __future__ import annotations

import re
from datetime import date
from functools import partial

from django.utils import timezone

from enrollment.intake.cells import CachedParser, RowContext, cell, today
from enrollment.models import NhiMembership
from nhi_portal.intake.bulk import insert_rows, update_rows
from nhi_portal.intake.table import Chunk, Column, TableReader
from nhi_portal.intake.values import formula_problem, markup_problem, parse_date_cell, parse_digits

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
_INSURED_NUMBER = re.compile(r"^[0-9A-Za-z]{1,20}$")


class LedgerImporter:
    kind = "nhi_ledger"
    what = WHAT

    def open(self, text, *, batch) -> TableReader:
        return TableReader(text, COLUMNS, what=WHAT)

    def save_chunk(self, chunk: Chunk, reader: TableReader, *, batch, state: dict) -> list:
        if "dates" not in state:
            state["dates"] = CachedParser(
                partial(parse_date_cell, not_after=today(), not_before=date(1958, 1, 1))
            )
            state["optional_dates"] = CachedParser(
                partial(parse_date_cell, allow_empty=True, not_before=date(1958, 1, 1))
            )
            state["seen"] = {}
            state.update(created=0, changed=0, unchanged=0, skipped=0)
        labels = {c.key: c.label for c in reader.columns}
        idx = {c.key: reader.index_of(c.key) for c in reader.columns}
        problems = []
        incoming: dict[tuple[str, date], tuple] = {}
        for row, line in zip(chunk.rows, chunk.lines, strict=True):
            ctx = RowContext(line)
            raw = {key: row[i] for key, i in idx.items()}
            value = {key: cell(ctx, key, labels[key], raw[key]) for key in idx}
            number = value["insured_number"]
            if not _INSURED_NUMBER.match(number):
                ctx.add(
                    "insured_number",
                    labels["insured_number"],
                    raw["insured_number"],
                    "被保険者番号は英数字20文字以内で指定してください",
                )
            resident_code, reason = parse_digits(value["resident_code"], length=11, label="住民票コード")
            if reason:
                ctx.add("resident_code", labels["resident_code"], raw["resident_code"], reason)
            head_code, reason = parse_digits(
                value["household_head_code"], length=11, label="世帯主の住民票コード"
            )
            if reason:
                ctx.add(
                    "household_head_code", labels["household_head_code"], raw["household_head_code"], reason
                )
            acquired, reason = state["dates"](value["acquired_date"])
            if reason:
                ctx.add("acquired_date", labels["acquired_date"], raw["acquired_date"], reason)
            lost, reason = state["optional_dates"](value["lost_date"])
            if reason:
                ctx.add("lost_date", labels["lost_date"], raw["lost_date"], reason)
            elif lost and acquired and lost < acquired:
                ctx.add(
                    "lost_date", labels["lost_date"], raw["lost_date"], "資格喪失日が資格取得日より前です"
                )
            lost_reason = value["lost_reason"]
            if problem := formula_problem(lost_reason) or markup_problem(lost_reason):
                ctx.add("lost_reason", labels["lost_reason"], raw["lost_reason"], problem)
            key = (number, acquired)
            if not ctx.has_errors and key in state["seen"]:
                ctx.add(
                    "insured_number",
                    labels["insured_number"],
                    number,
                    f"同じ被保険者番号・資格取得日の行があります（{state['seen'][key]}行目）",
                )
            problems.extend(ctx.problems)
            if ctx.has_errors:
                state["skipped"] += 1
                continue
            state["seen"][key] = line
            incoming[key] = (resident_code, head_code, lost, lost_reason[:40])
        self._upsert(incoming, batch=batch, state=state)
        return problems

    def _upsert(self, incoming: dict, *, batch, state: dict) -> None:
        numbers = list({number for number, _ in incoming})
        existing = {
            (row[1], row[2]): row
            for row in NhiMembership.objects.for_municipality(batch.municipality_id)
            .filter(insured_number__in=numbers)
            .values_list("pk", "insured_number", "acquired_date", *VALUE_FIELDS)
            .iterator(chunk_size=5000)
        }
        now = timezone.now()
        new_rows, changed_rows = [], []
        for (number, acquired), values in incoming.items():
            old = existing.get((number, acquired))
            if old is None:
                new_rows.append((batch.municipality_id, number, acquired, *values, batch.pk, now))
            elif tuple(old[3:]) != values:
                changed_rows.append((old[0], *values, batch.pk, now))
            else:
                state["unchanged"] += 1
        insert_rows(
            NhiMembership,
            [
                "municipality_id",
                "insured_number",
                "acquired_date",
                *VALUE_FIELDS,
                "last_batch_id",
                "updated_at",
            ],
            new_rows,
        )
        update_rows(NhiMembership, [*VALUE_FIELDS, "last_batch_id", "updated_at"], changed_rows)
        state["created"] += len(new_rows)
        state["changed"] += len(changed_rows)

    def finish(self, *, batch, state: dict) -> dict:
        return {k: state.get(k, 0) for k in ("created", "changed", "unchanged", "skipped")}
