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
_ARROW_SAFE = "^[\x20-\x7e\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff9f]*$"
_ARROW_FORMULA_OR_MARKUP = "^[=+@-]|[<>]"
_ARROW_ASCII_NAME = r"^[A-Za-z][A-Za-z .,'\-]*$"


def _arrow_plain(array):
    """(cleaned values, ok): NFKC, runs of spaces to one, trimmed — where the cell is safe."""
    ok = pc.fill_null(pc.match_substring_regex(array, _ARROW_SAFE), False)
    normalized = pc.utf8_normalize(array, "NFKC")
    return pc.utf8_trim(pc.replace_substring_regex(normalized, " +", " "), " "), ok


def _arrow_no_formula(values, ok):
    return pc.and_(
        ok, pc.invert(pc.fill_null(pc.match_substring_regex(values, _ARROW_FORMULA_OR_MARKUP), True))
    )


def address_column(array):
    """Arrow version of `_fast_address` over a column: (values, ok); where not ok, use `address_cell`."""
    values, ok = _arrow_plain(array)
    return values, pc.and_(_arrow_no_formula(values, ok), pc.not_equal(pc.utf8_length(values), 0))


def text_column(array):
    """Arrow version of `_fast_text`: (values, ok); where not ok, use `text_cell`."""
    values, ok = _arrow_plain(array)
    return values, _arrow_no_formula(values, ok)


def name_alpha_column(array, *, required: bool = True):
    """Arrow version of `_fast_name` for plain-ASCII names (upper-cased); where not ok, use
    `name_alpha_cell`. Without `required`, an empty cell is fine as it is."""
    values, ok = _arrow_plain(array)
    good = pc.fill_null(pc.match_substring_regex(values, _ARROW_ASCII_NAME), False)
    if not required:
        good = pc.or_(good, pc.equal(pc.utf8_length(values), 0))
    return pc.utf8_upper(values), pc.and_(ok, good)
