"""Read a UTF-8 CSV into columns with exact line numbers, checking its structure. Comma- or
tab-separated (Excel's 「Unicode テキスト」 and 「テキスト（タブ区切り）」): the header line decides.

The fast path parses with Apache Arrow's multi-threaded CSV reader (a 1,000,000-row file in
about a second). Files it cannot take exactly — blank lines, line breaks inside quoted values,
lone CR line ends, or any structural problem — go through the csv module, which knows the
physical line of every row and so can say where the problem is.

Structure problems reject the whole file: no header, missing / unknown / duplicated columns, a
row with too many or too few cells, a quote left open, a field longer than any real value, a
truncated last line.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from nhi_portal.intake.decoding import Utf8Blocks
from nhi_portal.intake.errors import FileRejected

MAX_FIELD_CHARS = 4096
csv.field_size_limit(MAX_FIELD_CHARS)


def normalize_header(value: str) -> str:
    """Width, case and spaces do not matter in a header. Repeated until nothing changes (lower-casing
    or removing spaces can leave text that NFKC changes again), so it is idempotent."""
    text = value
    for _ in range(4):
        before = text
        text = "".join(unicodedata.normalize("NFKC", text).strip().strip("\ufeff").lower().split())
        text = unicodedata.normalize("NFKC", text)
        if text == before:
            break
    return text


@dataclass(frozen=True)
class Column:
    key: str  # the field it feeds, e.g. "birth_date"
    headers: tuple[str, ...]  # accepted header spellings; the first is the documented one
    required: bool = True

    @property
    def label(self) -> str:
        return self.headers[0]


@dataclass
class Slice:
    """A run of consecutive rows: string arrays by column key, their lines and row numbers."""

    arrays: dict[str, pa.Array]
    lines: np.ndarray  # physical line of each row
    first_row_number: int  # 1-based data row number of the first row

    def __len__(self) -> int:
        return len(self.lines)

    def column(self, key: str) -> pa.Array:
        array = self.arrays.get(key)
        return array if array is not None else pa.array([""] * len(self), pa.string())


@dataclass
class Table:
    columns: list[Column]  # recognised columns, in file order
    arrays: dict[str, pa.Array]
    lines: np.ndarray
    header_line: int

    def __len__(self) -> int:
        return len(self.lines)

    def has(self, key: str) -> bool:
        return key in self.arrays

    def label_of(self, key: str) -> str:
        return next((c.label for c in self.columns if c.key == key), key)

    def slices(self, size: int) -> Iterator[Slice]:
        for start in range(0, len(self), size):
            stop = min(start + size, len(self))
            yield Slice(
                arrays={k: a.slice(start, stop - start) for k, a in self.arrays.items()},
                lines=self.lines[start:stop],
                first_row_number=start + 1,
            )


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


def match_header(
    header: Sequence[str], spec: Sequence[Column], *, what: str, line: int = 1
) -> list[Column | None]:
    normalized = [normalize_header(h) for h in header]
    seen: dict[str, int] = {}
    for position, name in enumerate(normalized, start=1):
        if not name:
            raise FileRejected(f"見出し行の{position}列目が空です。", line=line)
        if name in seen:
            raise FileRejected(
                f"見出し「{header[position - 1].strip()}」が2回出てきます（{seen[name]}列目と{position}列目）。",
                line=line,
            )
        seen[name] = position
    lookup = {normalize_header(alias): col for col in spec for alias in col.headers}
    mapped = [lookup.get(name) for name in normalized]
    unknown = [header[i].strip() for i, col in enumerate(mapped) if col is None]
    keys = [col.key for col in mapped if col]
    duplicated = sorted({c.label for c in spec if keys.count(c.key) > 1})
    if duplicated:
        raise FileRejected("同じ項目の列が2つあります: " + "、".join(duplicated), line=line)
    missing = [col.label for col in spec if col.required and col.key not in keys]
    if missing or unknown:
        parts = []
        if missing:
            parts.append("必要な列がありません: " + "、".join(missing))
        if unknown:
            parts.append("想定外の列があります: " + "、".join(unknown))
        expected = "、".join(col.label for col in spec)
        raise FileRejected(
            f"{what}の見出しが違います。" + "。".join(parts) + f"。（想定する列: {expected}）", line=line
        )
    return mapped


class CsvSource:
    """A CSV file read as a stream: the header is checked when the source is opened, then
    `slices()` yields the rows block by block (about 8 MB each) as they are decoded and parsed,
    so an importer can validate and store one block while the next is being read."""

    def __init__(
        self, stream: BinaryIO, spec: Sequence[Column], *, what: str, block_bytes: int = 8 << 20
    ) -> None:
        stream.seek(0, io.SEEK_END)
        self.size = stream.tell()
        stream.seek(0)
        self._utf8 = Utf8Blocks(stream, block_size=block_bytes)
        self._blocks = _line_blocks(iter(self._utf8), block_bytes)
        self.rows_read = 0
        data, _, is_last = next(self._blocks)
        self.header_line, header_start, header_end = _find_header(data)
        header_text = data[header_start:header_end].rstrip(b"\r\n")
        if b"\r" in header_text:
            raise FileRejected(
                "改行がCR（古いMacの形式）だけのファイルは読めません。改行をCRLFかLFにして保存し直してください。",
                line=self.header_line,
            )
        # A header with more tabs than commas is a tab-separated file (Excel's text formats).
        self.delimiter = "\t" if header_text.count(b"\t") > header_text.count(b",") else ","
        try:
            header = next(csv.reader([header_text.decode("utf-8")], strict=True, delimiter=self.delimiter))
        except (csv.Error, StopIteration):
            raise FileRejected("見出し行がCSVとして読めません。", line=self.header_line) from None
        self.width = len(header)
        self._mapped = match_header(header, spec, what=what, line=self.header_line)
        self.columns: list[Column] = [c for c in self._mapped if c is not None]
        # Messages name the column as the file writes it (生年月日, not birth_date).
        self._labels = {
            c.key: header[i].strip() or c.label for i, c in enumerate(self._mapped) if c is not None
        }
        first_body_line = self.header_line + 1
        self._first_body: tuple[bytes, int, bool] | None = (data[header_end:], first_body_line, is_last)

    @property
    def encoding(self) -> str:
        return self._utf8.encoding

    @property
    def bytes_read(self) -> int:
        return self._utf8.bytes_read

    def has(self, key: str) -> bool:
        return any(c.key == key for c in self.columns)

    def label_of(self, key: str) -> str:
        return self._labels.get(key) or next((c.label for c in self.columns if c.key == key), key)

    def slices(self) -> Iterator[Slice]:
        first, self._first_body = self._first_body, None
        blocks = _chain([first] if first else [], self._blocks)
        row_number = 1
        for body, first_line, is_last in blocks:
            arrays, lines = _parse_block(
                body, self.width, first_line, is_last=is_last, delimiter=self.delimiter
            )
            if len(lines) == 0:
                continue
            by_key = {col.key: arrays[i] for i, col in enumerate(self._mapped) if col is not None}
            self.rows_read += len(lines)
            yield Slice(arrays=by_key, lines=lines, first_row_number=row_number)
            row_number += len(lines)

    def read_all(self) -> Table:
        parts = list(self.slices())
        keys = [c.key for c in self.columns]
        if parts:
            arrays = {k: pa.concat_arrays([p.arrays[k] for p in parts]) for k in keys}
            lines = np.concatenate([p.lines for p in parts])
        else:
            arrays = {k: pa.array([], pa.string()) for k in keys}
            lines = np.array([], dtype=np.int64)
        return Table(columns=self.columns, arrays=arrays, lines=lines, header_line=self.header_line)


def read_table(data: bytes, spec: Sequence[Column], *, what: str) -> Table:
    """Small inputs and tests: the whole file at once."""
    return CsvSource(io.BytesIO(data), spec, what=what).read_all()


def _chain(first: list, rest: Iterator) -> Iterator:
    yield from first
    yield from rest


def _line_blocks(blocks: Iterator[bytes], size: int) -> Iterator[tuple[bytes, int, bool]]:
    """Re-cut UTF-8 blocks at line ends outside quotes: (data, its first line number, is_last)."""
    buffer = b""
    line = 1
    for block in blocks:
        buffer += block
        if len(buffer) < size:
            continue
        cut = _safe_cut(buffer)
        if cut <= 0:
            continue  # one huge line so far: keep reading (the csv reader will refuse it)
        piece, buffer = buffer[:cut], buffer[cut:]
        yield piece, line, False
        line += piece.count(b"\n")
    yield buffer, line, True


def _safe_cut(buffer: bytes) -> int:
    """Offset just after the last newline that is not inside a quoted value (0 if none)."""
    cut = buffer.rfind(b"\n") + 1
    while cut > 0 and buffer.count(b'"', 0, cut) % 2:
        cut = buffer.rfind(b"\n", 0, cut - 1) + 1
    return cut


def _find_header(data: bytes) -> tuple[int, int, int]:
    """(line number of the header, byte offsets of its start and just after it), skipping blank
    lines before it."""
    offset, line = 0, 1
    while True:
        end = data.find(b"\n", offset)
        end = len(data) if end < 0 else end + 1
        if data[offset:end].strip():
            return line, offset, end
        if end >= len(data):
            raise FileRejected("見出し行がありません。ファイルが空か、CSVではありません。")
        offset, line = end, line + 1


def _parse_block(
    body: bytes, width: int, first_line: int, *, is_last: bool, delimiter: str = ","
) -> tuple[list[pa.Array], np.ndarray]:
    if not body.strip():
        return [pa.array([], pa.string()) for _ in range(width)], np.array([], dtype=np.int64)
    if _fast_path_possible(body, delimiter):
        try:
            arrays = _read_arrow(body, width, delimiter)
        except pa.ArrowInvalid:
            arrays = None
        # One row per physical line, or a quoted line break fooled Arrow: the exact path knows.
        if arrays is not None and len(arrays[0]) != body.rstrip(b"\r\n").count(b"\n") + 1:
            arrays = None
        if arrays is not None:
            lines = np.arange(first_line, first_line + len(arrays[0]), dtype=np.int64)
            _check_field_lengths(arrays, lines)
            return arrays, lines
    return _read_exact(body.decode("utf-8"), width, first_line - 1, is_last=is_last, delimiter=delimiter)


# A quote inside a value that is not itself quoted (or text after a closing quote): Arrow is
# lenient there and the csv module is not, so such a block takes the exact path.
_STRAY_QUOTE = {
    ",": re.compile(rb'(?<![,\n"])"(?![",\r\n])'),
    "\t": re.compile(rb'(?<![\t\n"])"(?!["\t\r\n])'),
}


def _has_stray_quote(body: bytes, delimiter: str) -> bool:
    """What _STRAY_QUOTE finds, in numpy: a quote neither after a delimiter, line end or quote nor
    before one (the regular expression took seconds over a file whose addresses are quoted)."""
    if body.count(b'"') > len(body) // 64:  # quotes everywhere: the regular expression is as quick
        return bool(_STRAY_QUOTE[delimiter].search(body))
    return _stray_quote_at(body, delimiter)


def _stray_quote_at(body: bytes, delimiter: str) -> bool:
    raw = np.frombuffer(body, dtype=np.uint8)
    quotes = np.flatnonzero(raw == ord('"'))
    sep = ord(delimiter)
    before = raw[np.maximum(quotes - 1, 0)]
    after = raw[np.minimum(quotes + 1, len(raw) - 1)]
    # As the regular expression's lookarounds: the start and the end of the block allow nothing.
    ok_before = (quotes > 0) & ((before == sep) | (before == ord("\n")) | (before == ord('"')))
    ok_after = (quotes < len(raw) - 1) & (
        (after == sep) | (after == ord("\r")) | (after == ord("\n")) | (after == ord('"'))
    )
    return bool((~ok_before & ~ok_after).any())


def _fast_path_possible(body: bytes, delimiter: str = ",") -> bool:
    """Whether Arrow may read the block: no blank line (Arrow reads it as a row of empty cells),
    no stray quote. A lone CR needs no search of its own: it is a line end to Arrow, so the row
    count then differs from the LF count (checked after reading)."""
    body = body.rstrip(b"\r\n")
    if b'"' in body and _has_stray_quote(body, delimiter):
        return False
    return (
        bool(body)
        and not body.startswith((b"\n", b"\r"))  # a blank line first (after the header, or a cut)
        and b"\n\n" not in body
        and b"\n\r\n" not in body
    )


def _read_arrow(body: bytes, width: int, delimiter: str = ",") -> list[pa.Array]:
    names = [f"c{i}" for i in range(width)]
    table = pacsv.read_csv(
        io.BytesIO(body.rstrip(b"\r\n") + b"\n"),
        read_options=pacsv.ReadOptions(column_names=names, block_size=16 << 20),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter, newlines_in_values=False, ignore_empty_lines=False
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    return [table.column(i).combine_chunks() for i in range(width)]


def _check_field_lengths(arrays: list[pa.Array], lines: np.ndarray) -> None:
    for array in arrays:
        # A cell of at most MAX_FIELD_CHARS bytes has at most as many characters: the byte
        # lengths come from the offsets, without reading the text.
        if len(array) == 0 or pc.max(pc.binary_length(array)).as_py() <= MAX_FIELD_CHARS:
            continue
        lengths = pc.utf8_length(array)
        if pc.max(lengths).as_py() > MAX_FIELD_CHARS:
            index = pc.index(pc.greater(lengths, MAX_FIELD_CHARS), True).as_py()
            raise FileRejected(_csv_error_reason("field larger than field limit"), line=int(lines[index]))


def _read_exact(
    text: str, width: int, line_offset: int, *, is_last: bool, delimiter: str = ","
) -> tuple[list[pa.Array], np.ndarray]:
    """The csv module with a physical line for every row: blank lines skipped, quoted line breaks.
    `line_offset` is the number of lines before this text in the file."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True, delimiter=delimiter)
    rows: list[list[str]] = []
    lines: list[int] = []
    line_start = line_offset + 1
    pending: tuple[int, list[str]] | None = None
    try:
        for cells in reader:
            start, line_start = line_start, line_offset + reader.line_num + 1
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            if pending is not None:
                _reject_width(*pending, width, is_last=False)
            if len(cells) != width:
                pending = (start, cells)
                continue
            rows.append(cells)
            lines.append(start)
    except csv.Error as exc:
        raise FileRejected(_csv_error_reason(str(exc)), line=line_start) from None
    if pending is not None:
        _reject_width(*pending, width, is_last=is_last)
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in range(width)]
    return [pa.array(col, pa.string()) for col in columns], np.array(lines, dtype=np.int64)


def _reject_width(start: int, cells: list[str], width: int, *, is_last: bool) -> None:
    if is_last and len(cells) < width:
        raise FileRejected(
            f"最終行が途中で切れているか、列が足りません（{width}列のはずが{len(cells)}列）。"
            "ファイルを最後まで受け取り直してください。",
            line=start,
        )
    more_or_less = "多すぎます" if len(cells) > width else "足りません"
    raise FileRejected(
        f'列の数が{more_or_less}（見出しは{width}列、この行は{len(cells)}列）。値の中のカンマは "…" で囲んでください。',
        line=start,
    )
