"""Read a decoded CSV text as a stream of chunks with exact line numbers, checking structure.

Structure problems reject the whole file: no header, missing / unknown / duplicated columns,
a row with too many or too few cells, a quote left open, a field longer than any real value,
a truncated last line.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TextIO

from nhi_portal.intake.errors import FileRejected

MAX_FIELD_CHARS = 4096
csv.field_size_limit(MAX_FIELD_CHARS)


def normalize_header(value: str) -> str:
    text = unicodedata.normalize("NFKC", value).strip().strip("\ufeff").lower()
    return "".join(text.split())


@dataclass(frozen=True)
class Column:
    key: str  # the field it feeds, e.g. "birth_date"
    headers: tuple[str, ...]  # accepted header spellings; the first is the documented one
    required: bool = True

    @property
    def label(self) -> str:
        return self.headers[0]


@dataclass
class Chunk:
    rows: list[list[str]]  # cells in the order of the reader's `columns`
    lines: list[int]  # physical line number where each row starts
    first_row_number: int  # 1-based data row number of rows[0]

    def column(self, index: int | None) -> list[str]:
        if index is None:
            return [""] * len(self.rows)
        return [row[index] for row in self.rows]


def _csv_error_reason(message: str) -> str:
    if "field larger than field limit" in message:
        return f"1つの欄が長すぎます（{MAX_FIELD_CHARS:,}文字を超えています）。ファイルが壊れていないか確認してください。"
    if "unexpected end of data" in message or "EOF" in message:
        return '引用符（"）が閉じられないままファイルが終わっています。ファイルが途中で切れていないか確認してください。'
    if "expected after" in message:
        return '引用符（"）の使い方が正しくありません。値の中の " は "" と二重にしてください。'
    if "new-line character seen in unquoted field" in message:
        return "改行文字の位置が正しくありません。"
    return "CSVとして読めません。"


def match_header(header: Sequence[str], spec: Sequence[Column], *, what: str) -> list[Column]:
    normalized = [normalize_header(h) for h in header]
    seen: dict[str, int] = {}
    for position, name in enumerate(normalized, start=1):
        if not name:
            raise FileRejected(f"見出し行の{position}列目が空です。", line=1)
        if name in seen:
            raise FileRejected(
                f"見出し「{header[position - 1].strip()}」が2回出てきます（{seen[name]}列目と{position}列目）。",
                line=1,
            )
        seen[name] = position
    lookup = {normalize_header(alias): col for col in spec for alias in col.headers}
    mapped = [lookup.get(name) for name in normalized]
    unknown = [header[i].strip() for i, col in enumerate(mapped) if col is None]
    keys = [col.key for col in mapped if col]
    duplicated = sorted({c.label for c in spec if keys.count(c.key) > 1})
    if duplicated:
        raise FileRejected("同じ項目の列が2つあります: " + "、".join(duplicated), line=1)
    missing = [col.label for col in spec if col.required and col.key not in keys]
    if missing or unknown:
        parts = []
        if missing:
            parts.append("必要な列がありません: " + "、".join(missing))
        if unknown:
            parts.append("想定外の列があります: " + "、".join(unknown))
        expected = "、".join(col.label for col in spec)
        raise FileRejected(
            f"{what}の見出しが違います。" + "。".join(parts) + f"。（想定する列: {expected}）", line=1
        )
    return [c for c in mapped if c is not None]


class TableReader:
    """Stream a CSV text in chunks after checking its header. Iterating yields `Chunk`s; any
    structural problem raises FileRejected (the caller's transaction then rolls back)."""

    def __init__(self, text: TextIO, spec: Sequence[Column], *, what: str, chunk_rows: int = 50_000) -> None:
        self._reader = csv.reader(text, strict=True)
        self._chunk_rows = chunk_rows
        self._line_start = 1
        header = self._next_row()
        if header is None:
            raise FileRejected("見出し行がありません。ファイルが空か、CSVではありません。")
        self.header_line, cells = header
        self.width = len(cells)
        self.columns: list[Column] = match_header(cells, spec, what=what)

    def index_of(self, key: str) -> int | None:
        return next((i for i, c in enumerate(self.columns) if c.key == key), None)

    def has(self, key: str) -> bool:
        return self.index_of(key) is not None

    def label_of(self, key: str) -> str:
        return next((c.label for c in self.columns if c.key == key), key)

    def _next_row(self) -> tuple[int, list[str]] | None:
        try:
            for cells in self._reader:
                start, self._line_start = self._line_start, self._reader.line_num + 1
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue  # blank line
                return start, cells
        except csv.Error as exc:
            raise FileRejected(_csv_error_reason(str(exc)), line=self._line_start) from None
        return None

    def __iter__(self) -> Iterator[Chunk]:
        rows: list[list[str]] = []
        lines: list[int] = []
        first = 1
        while (item := self._next_row()) is not None:
            start, cells = item
            if len(cells) != self.width:
                self._reject_width(start, cells)
            rows.append(cells)
            lines.append(start)
            if len(rows) >= self._chunk_rows:
                yield Chunk(rows, lines, first)
                first += len(rows)
                rows, lines = [], []
        if rows:
            yield Chunk(rows, lines, first)

    def _reject_width(self, start: int, cells: list[str]) -> None:
        # A short row that is also the last one is most likely a file cut off in transfer.
        is_last = self._next_row() is None
        if is_last and len(cells) < self.width:
            raise FileRejected(
                f"最終行が途中で切れているか、列が足りません（{self.width}列のはずが{len(cells)}列）。"
                "ファイルを最後まで受け取り直してください。",
                line=start,
            )
        more_or_less = "多すぎます" if len(cells) > self.width else "足りません"
        raise FileRejected(
            f"列の数が{more_or_less}（見出しは{self.width}列、この行は{len(cells)}列）。"
            '値の中のカンマは "…" で囲んでください。',
            line=start,
        )


def read_all(text: str, spec: Sequence[Column], *, what: str) -> tuple[TableReader, list[Chunk]]:
    """Small inputs and tests: the whole table at once."""
    reader = TableReader(io.StringIO(text, newline=""), spec, what=what)
    return reader, list(reader)
