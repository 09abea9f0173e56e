"""Properties of the parsers and normalisers, on generated input (hypothesis).

- Whole files: `transcode_to_utf8`, `read_table` and `CsvSource` raise nothing but `FileRejected`,
  whose reason is Japanese and whose line (if any) exists in the file.
- Dates: `parse_date` raises nothing but `DateProblem`; every date written in a notation the
  portal documents reads back as itself.
- Cells: the functions of nhi_portal/intake/values.py never raise; the whole-column versions
  agree with the one-value versions; a cell that passes carries no formula, markup or control
  character.
- Normalisers are idempotent: `clean_text`, `normalize_header`, `normalize_name`,
  `normalize_address`.
- CSV: any valid CSV built from random cells reads back to the same cells, whatever the
  encoding, line ends and block size, with each row on its physical line.

Known defects are strict xfails with a fixed counterexample. Pure functions: no database.
Example counts are kept moderate so the file runs in seconds (NHI_PROPERTY_SCALE multiplies them).
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
from datetime import date

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from enrollment.matching.addresses import normalize_address
from enrollment.matching.names import normalize_name
from nhi_portal.domain.wareki import DateProblem, format_wareki, format_wareki_short, parse_date
from nhi_portal.intake import values
from nhi_portal.intake.decoding import transcode_to_utf8
from nhi_portal.intake.errors import FileRejected
from nhi_portal.intake.table import Column, CsvSource, match_header, normalize_header, read_table

# NHI_PROPERTY_SCALE=20 runs twenty times as many examples (a deeper search before a release).
_SCALE = max(1, int(os.environ.get("NHI_PROPERTY_SCALE", "1")))
FAST = settings(
    max_examples=150 * _SCALE, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
SLOW = settings(
    max_examples=60 * _SCALE, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

SPEC = (Column("a", ("a", "項目A")), Column("b", ("b",)), Column("c", ("c",), required=False))
HEADER = ["a", "b", "c"]

# --- strategies ---------------------------------------------------------------------------------

# Bytes that make CSV and encodings interesting: quotes, separators, line ends, BOMs, NUL, lead and
# trail bytes of UTF-8 and CP932, and a little ASCII.
_TRICKY = [
    b",", b'"', b"\r", b"\n", b"\r\n", b"\x00", b"\t", b" ", b"a", b"1", b"\xef\xbb\xbf", b"\xff\xfe",
    b"\xe3\x81\x82", b"\x82\xa0", b"\x93\x8c", b"\xe6\x9d\xb1", b"\xf0\x40", b"\xa0", b"\x80", b"\xc3",
    "東京都".encode("cp932"), "東京都".encode(), b"=cmd|' /C calc'!A0",
]  # fmt: skip
tricky_bytes = st.lists(st.sampled_from(_TRICKY) | st.binary(max_size=8), max_size=40).map(b"".join)
header_bytes = st.sampled_from(
    [b"a,b,c\r\n", b"a,b\n", b"\xef\xbb\xbfa,b,c\n", "項目A,b\r\n".encode("cp932"), b""]
)
csv_like = st.builds(lambda head, body: head + body, header_bytes, tricky_bytes)

# Text a clerk's file may hold: letters, kana, kanji, full-width forms, spaces of every kind,
# invisible and bidi marks, private use, controls, formula starts, markup.
_SPECIAL_CHARS = (
    " \u3000\u00a0\t\r\n\x00\x07\x1b\x7f\x85\u200b\u200d\u200e\u200f\u202e\u2060\u2066\u2069\ufeff\u00ad"
    "\ue000\uf8f0=+-@<>\"',.?'ＡＢＣ１２３－ー丁目番地号の一二三十百〒東京都小金井市本町"
    "ÀÉÑÜĐđßæŒ\u0301\u0308ﾃｽﾄ"
)
cell_text = st.text(
    alphabet=st.sampled_from(_SPECIAL_CHARS) | st.characters(blacklist_categories=["Cs"]), max_size=30
)
_ADDRESS_CHARS = [
    *"0123456789０１２３４５６７８９一二三四五六七八九十百千〇-－‐ー―丁目番地号の之ヶケが大字郡市区町村 　",
    *("東京都", "小金井市", "本町", "西多摩郡", "瑞穂町", "〒184-0004", "コーポ", "101号室", "室", "北1条西"),
]
address_text = st.lists(st.sampled_from(_ADDRESS_CHARS) | cell_text, max_size=14).map("".join)

# --- whole files ----------------------------------------------------------------------------------


def _check_rejection(exc: FileRejected, data: bytes) -> None:
    assert exc.reason and not exc.reason.isascii(), exc.reason  # said in Japanese
    if exc.line is not None:
        # a lone CR ends a line too (as in editors and the csv module)
        lines = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n") + 1
        assert 1 <= exc.line <= lines, (exc.line, data)


@FAST
@given(st.one_of(st.binary(max_size=300), tricky_bytes, csv_like))
def test_transcoding_raises_only_file_rejected(data):
    try:
        decoded = transcode_to_utf8(io.BytesIO(data))
    except FileRejected as exc:
        _check_rejection(exc, data)
    else:
        decoded.data.decode("utf-8")  # always valid UTF-8
        assert not decoded.data.startswith(b"\xef\xbb\xbf")


@FAST
@given(st.one_of(csv_like, tricky_bytes, st.binary(max_size=200)))
def test_reading_a_table_raises_only_file_rejected(data):
    try:
        table = read_table(data, SPEC, what="テスト")
    except FileRejected as exc:
        _check_rejection(exc, data)
    else:
        assert table.header_line >= 1
        assert all(line > table.header_line for line in table.lines.tolist())
        assert list(table.lines) == sorted(set(table.lines.tolist()))


@FAST
@given(st.lists(cell_text, max_size=6))
def test_matching_a_header_raises_only_file_rejected(header):
    try:
        mapped = match_header(header, SPEC, what="テスト")
    except FileRejected as exc:
        assert exc.reason and exc.line == 1
    else:
        assert {c.key for c in mapped if c} >= {"a", "b"}


# --- CSV round trip ----------------------------------------------------------------------------------

# Cells of any text a CSV can carry: no NUL (binary), no BOM (glued files), no other control
# characters (a flood of them means binary), nothing over the field limit.
round_trip_cell = st.text(
    alphabet=st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters="\ufeff")
    | st.sampled_from(list(',"\r\n\t ')),
    max_size=20,
)
_KANA_KANJI = [chr(c) for c in range(0x3041, 0x3094)] + [chr(c) for c in range(0x30A1, 0x30F7)]
# JIS level-1 kanji (CP932 lead bytes 0x88-0x9F): their first byte is never a UTF-8 lead byte, so a
# Shift_JIS line of them can never be mistaken for UTF-8.
_KANA_KANJI += [
    bytes([lead, trail]).decode("cp932")
    for lead in range(0x89, 0x98, 3)
    for trail in range(0x40, 0xFC, 7)
    if trail != 0x7F
]
cp932_cell = st.text(alphabet=st.sampled_from([*_KANA_KANJI, *'abcXYZ019 ,"\r\n-']), max_size=12)


def _quote(cell: str) -> str:
    # Quote every cell with a separator, quote or line break (csv.writer leaves a lone CR bare
    # when the line terminator is LF).
    if any(ch in cell for ch in ',"\r\n'):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def _write(rows, *, terminator: str) -> str:
    return "".join(",".join(map(_quote, row)) + terminator for row in [HEADER, *rows])


def _expected_lines(rows, *, terminator: str) -> list[int]:
    lines, line = [], 2
    for row in rows:
        lines.append(line)
        text = _write([row], terminator=terminator).split(terminator, 1)[1]
        line += text.count("\n")
    return lines


def _read(data: bytes, *, block_bytes: int = 8 << 20):
    table = CsvSource(io.BytesIO(data), SPEC, what="テスト", block_bytes=block_bytes).read_all()
    cells = [list(row) for row in zip(*(table.arrays[k].to_pylist() for k in ("a", "b", "c")), strict=True)]
    return cells, table.lines.tolist()


def _rows(cell):
    return st.lists(st.lists(cell, min_size=3, max_size=3), min_size=1, max_size=8)


@SLOW
@given(
    rows=_rows(round_trip_cell),
    terminator=st.sampled_from(["\r\n", "\n"]),
    bom=st.booleans(),
    block_bytes=st.sampled_from([16, 64, 8 << 20]),
)
def test_any_valid_utf8_csv_reads_back_to_its_cells(rows, terminator, bom, block_bytes):
    data = (b"\xef\xbb\xbf" if bom else b"") + _write(rows, terminator=terminator).encode()
    cells, _ = _read(data, block_bytes=block_bytes)
    assert cells == rows


@SLOW
@given(rows=_rows(cp932_cell), terminator=st.sampled_from(["\r\n", "\n"]))
def test_any_valid_shift_jis_csv_reads_back_to_its_cells(rows, terminator):
    data = _write(rows, terminator=terminator).encode("cp932")
    cells, _ = _read(data)
    assert cells == rows


def test_a_shift_jis_file_read_in_blocks_is_not_called_mixed():
    rows = [["0,ぁ", ",ゅぁ", ""]]
    data = _write(rows, terminator="\n").encode("cp932")
    assert _read(data)[0] == rows  # in one block: read as it should
    assert _read(data, block_bytes=16)[0] == rows


@SLOW
@given(
    rows=_rows(round_trip_cell.filter(lambda s: "\r" not in s)), terminator=st.sampled_from(["\r\n", "\n"])
)
@example(rows=[["東京都\n小金井市", "x", "y"], ["a", "b", "c"]], terminator="\n")
def test_each_row_is_read_on_its_physical_line(rows, terminator):
    data = _write(rows, terminator=terminator).encode()
    _, lines = _read(data)
    assert lines == _expected_lines(rows, terminator=terminator)


# --- dates ------------------------------------------------------------------------------------------------

date_notations = st.one_of(
    st.text(max_size=16),
    st.text(alphabet="0123456789/-.年月日元令和平成昭和大正明治RHSTM０１２３４５６ ", max_size=14),
    st.builds(
        lambda era, y, m, d: f"{era}{y}年{m}月{d}日",
        st.sampled_from(["明治", "大正", "昭和", "平成", "令和"]),
        st.integers(-1, 100),
        st.integers(-1, 14),
        st.integers(-1, 33),
    ),
)


@FAST
@given(date_notations)
def test_parse_date_raises_only_date_problem(text):
    try:
        parsed = parse_date(text)
    except DateProblem as exc:
        assert exc.reason and not exc.reason.isascii()
    else:
        assert isinstance(parsed, date)


@FAST
@given(st.dates(min_value=date(1868, 1, 25), max_value=date(2099, 12, 31)))
def test_every_documented_notation_reads_back(day):
    for text in (
        f"{day:%Y%m%d}",
        f"{day:%Y/%m/%d}",
        f"{day:%Y-%m-%d}",
        f"{day.year}年{day.month}月{day.day}日",
        format_wareki(day, with_western=False),
        format_wareki_short(day),
    ):
        assert parse_date(text) == day, text


# --- cells ----------------------------------------------------------------------------------------------

CELL_FUNCTIONS = {
    "text_cell": values.text_cell,
    "name_alpha_cell": values.name_alpha_cell,
    "name_alpha_cell(optional)": lambda raw: values.name_alpha_cell(raw, required=False),
    "address_cell": values.address_cell,
    "sex_cell": values.sex_cell,
    "date_cell": values.date_cell(not_after=date(2026, 11, 1), not_before=date(1900, 1, 1)),
    "date_cell(empty ok)": values.date_cell(allow_empty=True),
    "lg_code_cell": values.lg_code_cell({"132101"}),
    "digits_cell": values.digits_cell(length=11, label="住民票コード"),
    "choice_cell": values.choice_cell({"在住": "resident"}, "状態が違います"),
}


@FAST
@given(st.one_of(cell_text, address_text, date_notations))
def test_cell_functions_never_raise(raw):
    for name, fn in CELL_FUNCTIONS.items():
        _, problems = fn(raw)
        for reason, severity in problems:
            assert reason and severity in ("error", "warning"), name
    for fn in (
        values.formula_problem,
        values.markup_problem,
        values.name_alpha_problem,
        values.address_problem,
    ):
        fn(raw)
    values.parse_sex(raw)
    values.parse_date_cell(raw)
    values.parse_lg_code(raw)
    values.parse_digits(raw, length=7, label="郵便番号", allow_empty=True)


@FAST
@given(st.lists(st.one_of(cell_text, address_text), max_size=8))
def test_whole_column_versions_agree_with_the_one_value_versions(raws):
    pairs = [
        (values.address_cells, values.address_cell),
        (values.name_alpha_cells, values.name_alpha_cell),
        (values.text_cells, values.text_cell),
        (
            lambda v: values.name_alpha_cells(v, required=False),
            lambda r: values.name_alpha_cell(r, required=False),
        ),
    ]
    for many, one in pairs:
        clean, bad = many(raws)
        for index, raw in enumerate(raws):
            value, problems = one(raw)
            assert clean[index] == value, (raw, many)
            assert bad.get(index, ()) == problems, (raw, many)


@FAST
@given(st.one_of(cell_text, address_text))
def test_a_cell_that_passes_carries_no_formula_markup_or_control_character(raw):
    for fn in (values.text_cell, values.address_cell, values.name_alpha_cell):
        value, problems = fn(raw)
        if any(severity == "error" for _, severity in problems) or not value:
            continue
        assert values.formula_problem(value) is None, (fn, raw, value)
        assert "<" not in value and ">" not in value
        assert not _CONTROL_OR_BIDI.search(value), (fn, raw, value)
        assert value == value.strip()


# Every character a cell must not keep: C0/C1 controls, line and paragraph separators, and the
# Unicode bidirectional controls (Bidi_Control=Yes).
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_CONTROL_OR_BIDI = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{BIDI_CONTROLS}]")


@pytest.mark.parametrize("mark", [pytest.param(ch, id=f"U+{ord(ch):04X}") for ch in BIDI_CONTROLS])
def test_every_bidi_control_is_removed_with_a_warning(mark):
    value, problems = values.address_cell(f"東京都{mark}小金井市本町1-2-3")
    assert value == "東京都小金井市本町1-2-3"
    assert [severity for _, severity in problems] == ["warning"]


# --- idempotent normalisers -----------------------------------------------------------------------------


@FAST
@given(st.one_of(cell_text, address_text))
def test_clean_text_is_idempotent(raw):
    once = values.clean_text(raw).value
    twice = values.clean_text(once)
    assert twice.value == once
    assert not any(severity == "error" for _, severity in twice.problems)


def _no_combining_mark(text: str) -> bool:
    return not any(unicodedata.category(ch).startswith("M") for ch in unicodedata.normalize("NFKC", text))


@FAST
@given(cell_text.filter(_no_combining_mark))
def test_normalize_header_is_idempotent(raw):
    once = normalize_header(raw)
    assert normalize_header(once) == once


@pytest.mark.parametrize(
    "raw",
    ["a \u0301", "A\u00b4", "\u0130\u0327"],
    ids=["mark after a space", "acute accent", "dotted I with cedilla"],
)
def test_normalize_header_is_idempotent_with_combining_marks(raw):
    once = normalize_header(raw)
    assert normalize_header(once) == once


@FAST
@given(st.one_of(cell_text, st.text(alphabet="ABCabcĐđỄễÀß'’- .,?\u200b\u0301ＡＢ", max_size=20)))
def test_normalize_name_is_idempotent(raw):
    once = normalize_name(raw)
    assert normalize_name(once) == once


@SLOW
@given(address_text)
@example("1丁目一丁目")
def test_normalize_address_is_idempotent(raw):
    once = normalize_address(raw)
    assert normalize_address(once) == once, (raw, once)


@FAST
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=20))
def test_a_header_spelled_any_way_is_the_same_header(raw):
    assume(raw.strip())
    assert normalize_header(raw) == normalize_header(f"\ufeff {raw}\u3000")
