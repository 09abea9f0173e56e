"""Cell-level cleaning and parsing shared by every importer. Each parser returns the clean value
and, if something is wrong, a Japanese reason; nothing here raises on bad input."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import pyarrow.compute as pc

from nhi_portal.domain.codes import lg_code_problem
from nhi_portal.domain.wareki import DateProblem, parse_date

# Invisible characters that survive copy-paste: zero-width spaces/joiners, BOM, bidi marks.
_INVISIBLE = re.compile("[\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")
# C0/C1 control characters (tab/newline included: a cell should never hold them).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
# Private-use characters: user-defined 外字 of CP932 and bytes CP932 maps there (0xA0, 0xFD-0xFF).
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
# Any of the above: one search decides whether a non-ASCII cell needs the careful path.
_SPECIAL = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ue000-\uf8ff]"
)
_FORMULA_START = ("=", "+", "@", "-")
_INTEGER = re.compile(r"-?\d+")


class Cleaned:
    """Result of cleaning one cell: the usable text, plus problems (reason, severity)."""

    __slots__ = ("problems", "value")

    def __init__(self, value: str, problems: list[tuple[str, str]] | None = None) -> None:
        self.value = value
        self.problems = problems or []


def clean_text(raw: str) -> Cleaned:
    """NFKC (full-width letters/digits → half-width, ideographic space → space), trim, collapse
    runs of spaces; invisible characters are removed (a warning), control characters are an error."""
    if raw.isascii() and raw.isprintable():
        value = raw.strip()
        if "  " in value:
            value = " ".join(value.split())
        return Cleaned(value)
    if not _SPECIAL.search(raw):
        return Cleaned(" ".join(unicodedata.normalize("NFKC", raw).split()))
    problems: list[tuple[str, str]] = []
    value = raw
    if _INVISIBLE.search(value):
        value = _INVISIBLE.sub("", value)
        problems.append(("見えない文字（ゼロ幅文字・書字方向の制御文字など）を取り除きました", "warning"))
    value = unicodedata.normalize("NFKC", value)
    if _PRIVATE_USE.search(value):
        problems.append(
            (
                "外字（私用領域の文字）が含まれています。正しい文字で表示・印刷できないおそれがあります",
                "warning",
            )
        )
    if _CONTROL.search(value):
        return Cleaned("", [*problems, ("制御文字（改行・タブなど）が含まれています", "error")])
    return Cleaned(" ".join(value.split()), problems)


def formula_problem(value: str) -> str | None:
    if value.startswith(_FORMULA_START) and not _INTEGER.fullmatch(value):
        return "表計算ソフトの数式として働くおそれのある値です（先頭が = + - @）"
    return None


def markup_problem(value: str) -> str | None:
    if "<" in value or ">" in value:
        return "使用できない文字（< または >）が含まれています"
    return None


_LATIN_NAME = re.compile(r"^[A-Za-z\u00c0-\u024f\u1e00-\u1eff][A-Za-z\u00c0-\u024f\u1e00-\u1eff .,'\-]*$")


def name_alpha_problem(value: str) -> str | None:
    if not value:
        return "氏名（英字）が空です"
    if problem := formula_problem(value) or markup_problem(value):
        return problem
    if not _LATIN_NAME.match(value.replace("?", "A")):
        return "氏名（英字）に英字以外の文字が含まれています（使える記号は空白 . , ' - のみ）"
    return None


def address_problem(value: str) -> str | None:
    if not value:
        return "住所が空です"
    return formula_problem(value) or markup_problem(value)


_SEX = {
    "男": "M", "男性": "M", "M": "M", "MALE": "M", "1": "M",
    "女": "F", "女性": "F", "F": "F", "FEMALE": "F", "2": "F",
}  # fmt: skip


def parse_sex(value: str) -> tuple[str, str | None]:
    code = _SEX.get(value.upper())
    if code is None:
        if not value:
            return "", "性別が空です"
        return "", "性別として読めません（男/女、M/F、1/2 のいずれか）"
    return code, None


def parse_date_cell(
    value: str, *, allow_empty: bool = False, not_after: date | None = None, not_before: date | None = None
) -> tuple[date | None, str | None]:
    if not value:
        return None, (None if allow_empty else "日付が空です")
    try:
        parsed = parse_date(value)
    except DateProblem as exc:
        return None, exc.reason
    if not_after is not None and parsed > not_after:
        return None, f"{parsed:%Y-%m-%d} は未来の日付です"
    if not_before is not None and parsed < not_before:
        return None, f"{parsed:%Y-%m-%d} は古すぎる日付です"
    return parsed, None


def parse_lg_code(value: str) -> tuple[str, str | None]:
    problem = lg_code_problem(value)
    return (value, None) if problem is None else ("", problem)


_DIGITS = re.compile(r"^\d+$")


def parse_digits(value: str, *, length: int, label: str, allow_empty: bool = False) -> tuple[str, str | None]:
    value = value.replace("-", "")
    if not value:
        return "", (None if allow_empty else f"{label}が空です")
    if not _DIGITS.match(value) or len(value) != length:
        return "", f"{label}は{length}桁の数字で指定してください"
    return value, None


# Cell functions for columnar validation (nhi_portal.intake.columns.map_column): each takes the
# raw cell and returns (clean value, ((reason, severity), ...)). A value with an error is ""
# (or None for dates), so the rest of the row stays usable.

Problems = tuple[tuple[str, str], ...]


def _clean(raw: str) -> tuple[str, Problems, bool]:
    cleaned = clean_text(raw)
    has_error = any(sev == "error" for _, sev in cleaned.problems)
    return cleaned.value, tuple(cleaned.problems), has_error


def text_cell(raw: str) -> tuple[str, Problems]:
    value, problems, _ = _clean(raw)
    if value and (reason := formula_problem(value) or markup_problem(value)):
        return "", (*problems, (reason, "error"))
    return value, problems


def name_alpha_cell(raw: str, *, required: bool = True) -> tuple[str, Problems]:
    value, problems, has_error = _clean(raw)
    if has_error:
        return "", problems
    if not value and not required:
        return "", problems
    if reason := name_alpha_problem(value):
        return "", (*problems, (reason, "error"))
    if "?" in value:
        # Shift_JIS cannot hold letters such as Ơ or Ỹ: the sender's conversion wrote "?". The name
        # stays usable (matching reads "?" as one unknown letter) but a clerk should know.
        problems = (
            *problems,
            (
                "Shift_JISで表せない文字が「?」になっています（照合では1文字分の不明な文字として扱います）",
                "warning",
            ),
        )
    return value.upper(), problems


def address_cell(raw: str) -> tuple[str, Problems]:
    value, problems, has_error = _clean(raw)
    if has_error:
        return "", problems
    if reason := address_problem(value):
        return "", (*problems, (reason, "error"))
    return value, problems


def sex_cell(raw: str) -> tuple[str, Problems]:
    value, problems, has_error = _clean(raw)
    if has_error:
        return "", problems
    code, reason = parse_sex(value)
    return code, (*problems, (reason, "error")) if reason else problems


def date_cell(*, allow_empty: bool = False, not_after: date | None = None, not_before: date | None = None):
    def fn(raw: str) -> tuple[date | None, Problems]:
        value, problems, has_error = _clean(raw)
        if has_error:
            return None, problems
        parsed, reason = parse_date_cell(
            value, allow_empty=allow_empty, not_after=not_after, not_before=not_before
        )
        return parsed, (*problems, (reason, "error")) if reason else problems

    return fn


def lg_code_cell(allowed: set[str]):
    def fn(raw: str) -> tuple[str, Problems]:
        value, problems, has_error = _clean(raw)
        if has_error:
            return "", problems
        code, reason = parse_lg_code(value)
        if reason:
            return "", (*problems, (reason, "error"))
        if code not in allowed:
            return "", (*problems, ("この自治体（またはその区）のコードではありません", "error"))
        return code, problems

    return fn


def digits_cell(*, length: int, label: str, allow_empty: bool = False):
    def fn(raw: str) -> tuple[str, Problems]:
        value, problems, has_error = _clean(raw)
        if has_error:
            return "", problems
        digits, reason = parse_digits(value, length=length, label=label, allow_empty=allow_empty)
        return digits, (*problems, (reason, "error")) if reason else problems

    return fn


def choice_cell(mapping: dict[str, str], message: str, *, allow_empty: bool = False):
    def fn(raw: str) -> tuple[str, Problems]:
        value, problems, has_error = _clean(raw)
        if has_error:
            return "", problems
        if not value and allow_empty:
            return "", problems
        found = mapping.get(value) or mapping.get(value.upper())
        if found is None:
            return "", (*problems, (message, "error"))
        return found, problems

    return fn


# Whole-column versions for nearly-unique columns: the common case (no special characters, no
# problem) is handled inline; anything else goes through the one-value function above.


def _many(values: list[str], fast, slow) -> tuple[list, dict[int, Problems]]:
    clean: list = []
    bad: dict[int, Problems] = {}
    append = clean.append
    for index, raw in enumerate(values):
        value = fast(raw)
        if value is None:
            value, problems = slow(raw)
            if problems:
                bad[index] = problems
        append(value)
    return clean, bad


_normalize = unicodedata.normalize
_special = _SPECIAL.search


def _plain(raw: str) -> str | None:
    """Cleaned text if the cell has no special character, else None."""
    if raw.isascii():
        if not raw.isprintable():
            return None
        return " ".join(raw.split())
    if _special(raw):
        return None
    return " ".join(_normalize("NFKC", raw).split())


def _fast_address(raw: str) -> str | None:
    value = _plain(raw)
    if not value or value[0] in "=+@-" or "<" in value or ">" in value:
        return None
    return value


def _fast_name(raw: str) -> str | None:
    value = _plain(raw)
    if not value or "?" in value or not _LATIN_NAME.match(value):
        return None
    return value.upper()


def _fast_text(raw: str) -> str | None:
    value = _plain(raw)
    if value is None or (value and (value[0] in "=+@-" or "<" in value or ">" in value)):
        return None
    return value


def address_cells(values: list[str]):
    return _many(values, _fast_address, address_cell)


def name_alpha_cells(values: list[str], *, required: bool = True):
    return _many(values, _fast_name, lambda raw: name_alpha_cell(raw, required=required))


def text_cells(values: list[str]):
    return _many(values, _fast_text, text_cell)


# Whole-column fast paths in Arrow (C++), for the cells whose every character is one Arrow and
# Python clean alike: printable ASCII, the CJK symbols, kana and ideographs of everyday Japanese,
# and the full/half-width forms (Unicode has not changed their NFKC in decades). Any other cell —
# an accented Latin letter, a tab, a zero-width space, a private-use 外字, a formula — is left to
# the one-value Python functions above, which give it its problems. The result of a fast path is
# exactly what the Python fast path (`_fast_*`) gives for the same cell: a property test checks it.
_ARROW_ASCII_NAME = r"^[A-Za-z][A-Za-z .,'\-]*$"


def _codepoints(*ranges: tuple[int, int]) -> set[int]:
    return {c for lo, hi in ranges for c in range(lo, hi + 1)}


def _re2_class(codepoints: set[int]) -> str:
    """A regular-expression character class (RE2 syntax) of exactly these code points."""
    parts, run = [], []
    for c in sorted(codepoints):
        if run and c == run[-1] + 1:
            run.append(c)
            continue
        if run:
            parts.append(f"\\x{{{run[0]:X}}}-\\x{{{run[-1]:X}}}")
        run = [c]
    if run:
        parts.append(f"\\x{{{run[0]:X}}}-\\x{{{run[-1]:X}}}")
    return "[" + "".join(parts) + "]"


# The characters of a fast-path cell besides its spaces: printable ASCII, the CJK symbols, kana and
# ideographs of everyday Japanese, the full/half-width forms — less the markup characters (< >,
# also full-width) and the few whose NFKC adds a space or several letters (゛゜ゟヿ〶〸〹〺).
_SPACES = _codepoints((0x20, 0x20), (0x3000, 0x3000))
_CELL_CHARS = (
    _codepoints((0x21, 0x7E), (0x3001, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xFF01, 0xFF9F))
    - {ord(c) for c in "<>＜＞\u309b\u309c\u309f\u30ff\u3036\u3038\u3039\u303a"}
    # Combining marks (kana voicing, ideographic tone marks): NFKC composes or reorders them.
    - _codepoints((0x3099, 0x309A), (0x302A, 0x302F))
)
# Of the fast-path characters only these change under NFKC; U+3000 alone is common (kana names).
_ARROW_WIDE = "[\\x{FF01}-\\x{FF9F}]"
# The first non-space character must not start a spreadsheet formula (= + @ -, also full-width).
_FIRST_CHARS = _CELL_CHARS - {ord(c) for c in "=+@-＝＋＠－"}
_S, _C, _F = _re2_class(_SPACES), _re2_class(_CELL_CHARS | _SPACES), _re2_class(_FIRST_CHARS)
_ARROW_CELL_OR_EMPTY = f"^{_S}*(?:{_F}{_C}*)?$"
_ARROW_CELL = f"^{_S}*{_F}{_C}*$"


def _arrow_plain(array, *, required: bool):
    """(cleaned values, ok): NFKC, trimmed, runs of spaces to one — where the cell is safe: one
    regular expression over the raw cells decides that (allowed characters, no formula start, no
    markup, not empty when `required`), so a safe cell needs no check after cleaning."""
    ok = pc.fill_null(
        pc.match_substring_regex(array, _ARROW_CELL if required else _ARROW_CELL_OR_EMPTY), False
    )
    values = array
    if pc.all(pc.string_is_ascii(array)).as_py() not in (True, None):
        # NFKC of a fast-path cell, at a third of the cost of running it on every cell: the
        # ideographic space is a space, and only cells with full/half-width forms need NFKC.
        values = pc.replace_substring(values, "\u3000", " ")
        wide = pc.fill_null(pc.match_substring_regex(values, _ARROW_WIDE), False)
        if pc.any(wide).as_py():
            values = pc.replace_with_mask(values, wide, pc.utf8_normalize(values.filter(wide), "NFKC"))
    values = pc.utf8_trim(values, " ")
    if pc.any(pc.match_substring(values, "  ")).as_py():
        values = pc.replace_substring_regex(values, " +", " ")
    return values, ok


def address_column(array):
    """Arrow version of `_fast_address` over a column: (values, ok); where not ok, use `address_cell`."""
    return _arrow_plain(array, required=True)


def text_column(array):
    """Arrow version of `_fast_text`: (values, ok); where not ok, use `text_cell`."""
    return _arrow_plain(array, required=False)


def name_alpha_column(array, *, required: bool = True):
    """Arrow version of `_fast_name` for plain-ASCII names (upper-cased); where not ok, use
    `name_alpha_cell`. Without `required`, an empty cell is fine as it is."""
    values, ok = _arrow_plain(array, required=required)
    good = pc.fill_null(pc.match_substring_regex(values, _ARROW_ASCII_NAME), False)
    if not required:
        good = pc.or_(good, pc.equal(pc.utf8_length(values), 0))
    return pc.ascii_upper(values), pc.and_(ok, good)
