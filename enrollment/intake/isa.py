"""Importer for the ISA monthly files (別紙1 entry, 別紙2 separation, 別紙3 status change).

The annex is recognised from the sixth header (or forced by the caller). Every row is kept:
a value that cannot be read is stored empty with its raw text and reason, so matching can
still use the other fields but never auto-matches on it."""

from __future__ import annotations

from datetime import date
from functools import partial

from enrollment.intake.cells import CachedParser, RowContext, cell, today
from enrollment.models import IsaRecord
from nhi_portal.intake.bulk import insert_rows
from nhi_portal.intake.errors import FileRejected
from nhi_portal.intake.table import Chunk, Column, TableReader
from nhi_portal.intake.values import (
    address_problem,
    name_alpha_problem,
    parse_date_cell,
    parse_lg_code,
    parse_sex,
)

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


class IsaImporter:
    kind = "isa"
    what = WHAT

    def open(self, text, *, batch) -> TableReader:
        spec = [*BASE_COLUMNS, *EVENT_COLUMNS.values()]
        reader = TableReader(text, spec, what=WHAT)
        found = [annex for annex, col in EVENT_COLUMNS.items() if reader.has(col.key)]
        if len(found) != 1:
            expected = "・".join(col.label for col in EVENT_COLUMNS.values())
            raise FileRejected(
                f"6列目の見出しから別紙1〜3のどれか判別できません（{expected} のいずれか1つが必要です）。",
                line=1,
            )
        annex = found[0]
        if batch.annex and batch.annex != annex:
            raise FileRejected(
                f"指定された{ANNEX_LABELS[batch.annex]}と、ファイルの見出し（{ANNEX_LABELS[annex]}）が一致しません。"
                "ファイルか指定を確認してください。",
                line=1,
            )
        batch.annex = annex
        return reader

    def save_chunk(self, chunk: Chunk, reader: TableReader, *, batch, state: dict) -> list:
        if "codes" not in state:
            state["codes"] = batch.municipality.all_codes()
            state["today"] = today()
            state["dates"] = CachedParser(
                partial(parse_date_cell, not_after=state["today"], not_before=OLDEST_BIRTH)
            )
            state["events"] = CachedParser(
                partial(parse_date_cell, not_after=state["today"], not_before=OLDEST_EVENT)
            )
            state["sexes"] = CachedParser(parse_sex)
            state["lg_codes"] = CachedParser(parse_lg_code)
            state["months"] = {}
        codes, dates, events = state["codes"], state["dates"], state["events"]
        sexes, lg_codes = state["sexes"], state["lg_codes"]
        label = reader.label_of
        event_key = EVENT_COLUMNS[batch.annex].key
        idx = [reader.index_of(k) for k in ("name", "lg_code", "address", "sex", "birth_date", event_key)]
        labels = [label(k) for k in ("name", "lg_code", "address", "sex", "birth_date", event_key)]
        problems = []
        out = []
        municipality_id, batch_id, annex = batch.municipality_id, batch.pk, batch.annex
        for offset, (row, line) in enumerate(zip(chunk.rows, chunk.lines, strict=True)):
            ctx = RowContext(line)
            raw = [row[i] for i in idx]
            name = cell(ctx, "name", labels[0], raw[0])
            if reason := name_alpha_problem(name):
                ctx.add("name", labels[0], raw[0], reason)
                name = ""
            code = cell(ctx, "lg_code", labels[1], raw[1])
            code, reason = lg_codes(code)
            if reason:
                ctx.add("lg_code", labels[1], raw[1], reason)
            elif code not in codes:
                ctx.add("lg_code", labels[1], raw[1], "この自治体（またはその区）のコードではありません")
                code = ""
            address = cell(ctx, "address", labels[2], raw[2])
            if reason := address_problem(address):
                ctx.add("address", labels[2], raw[2], reason)
                address = ""
            sex, reason = sexes(cell(ctx, "sex", labels[3], raw[3]))
            if reason:
                ctx.add("sex", labels[3], raw[3], reason)
            birth, reason = dates(cell(ctx, "birth_date", labels[4], raw[4]))
            if reason:
                ctx.add("birth_date", labels[4], raw[4], reason)
            event, reason = events(cell(ctx, "event_date", labels[5], raw[5]))
            if reason:
                ctx.add("event_date", labels[5], raw[5], reason)
            elif event is not None:
                month = (event.year, event.month)
                state["months"][month] = state["months"].get(month, 0) + 1
            problems.extend(ctx.problems)
            out.append(
                (
                    municipality_id, batch_id, chunk.first_row_number + offset, line, annex,
                    raw[0][:300], raw[1][:60], raw[2][:400], raw[3][:60], raw[4][:60], raw[5][:60],
                    name[:200], code, address[:300], sex, birth, event, ",".join(ctx.bad_fields),
                )
            )  # fmt: skip
        insert_rows(IsaRecord, FIELDS, out)
        state["rows"] = state.get("rows", 0) + len(out)
        return problems

    def finish(self, *, batch, state: dict) -> dict:
        months = state.get("months", {})
        if batch.data_month is None and months:
            year, month = max(months, key=lambda m: (months[m], m))
            batch.data_month = date(year, month, 1)
        return {"records": state.get("rows", 0)}
