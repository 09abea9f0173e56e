"""How an ISA record's cells differ from the register: name notations and errors, wrong birth
dates, the date and sex notations of the files, and the matching key used to label the ground truth.
Pure Python, no Django.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from demo.names import FAMILY, ForeignName, given_first
from demo.places import to_fullwidth

# --- difference labels (the `differences` column of truth.csv), one bit each --------------------

LABELS = (
    # name
    "name_order_swapped",  # given name(s) first, family name last
    "middle_name_missing",
    "name_spacing",  # words merged (NGUYENVAN AN) or split (SUPRI YADI)
    "name_typo",  # one character substituted, dropped, doubled or transposed
    "diacritics",  # NGUYỄN VĂN AN (only possible in a UTF-8 file)
    "diacritics_lost",  # the same name after conversion to CP932: NGUY?N V?N AN
    "name_comma",  # NGUYEN, VAN AN
    "fullwidth_name",  # ＮＧＵＹＥＮ　ＶＡＮ　ＡＮ
    "cell_padding",  # leading/trailing (full-width) spaces in the name or address cell
    # address
    "address_notation",  # 1-2-3 for 1丁目2番3号, no prefecture, full-width digits, 1ー2ー3, …
    "address_kanji_numerals",  # 一丁目二番三号
    "address_building_missing",
    "address_room_missing",
    "address_moved",  # another address in the same municipality
    # date of birth, sex
    "dob_day_month_swapped",
    "dob_digit_off",
    "fullwidth_date",  # ２００１０５０３
    "sex_mismatch",
    # the register side
    "former_moved_out",  # register status 転出
    "former_died",  # 死亡
    "former_left_japan",  # 国外転出
    "same_name_dob_sex_in_register",  # another resident with the same name, birth date and sex
    "isa_record_equals_other_resident",  # the ISA cells (after normalisation) equal another resident
    # not in the register
    "unregistered",  # nobody like this person in the register
    "similar_name_in_register",  # hard negative: a resident with the same or a near name
    # namesakes of the person (issue 12); the other resident is made for the pattern
    "doppelganger_same_address",  # same name, birth date and sex at the same address: ambiguous
    "namesake_other_address",  # same name, birth date and sex at another address: the ISA address decides
    "namesake_opposite_sex",  # same name and birth date, the other sex
    "near_name_same_dob",  # a near-identical name (AN/ANH, HOA/HOAI), same birth date and sex
    "registered_elsewhere",  # not in the register: the ISA address is in another municipality
    "namesake_resident_here",  # ... and a resident here (在住) has the same name, birth date and sex
)
BIT = {label: 1 << i for i, label in enumerate(LABELS)}


def near_name(alpha: str) -> str:
    """A near-identical given name, as Vietnamese names pair up: AN↔ANH, HOA↔HOAI, THU↔THUY."""
    if len(alpha) > 2 and alpha.endswith(("NH", "AI", "OI", "UY")):
        return alpha[:-1]
    if alpha.endswith("N"):
        return alpha + "H"
    if alpha.endswith(("A", "O")):
        return alpha + "I"
    if alpha.endswith("U"):
        return alpha + "Y"
    return alpha + "H"


def labels_of(mask: int) -> str:
    return ";".join(label for i, label in enumerate(LABELS) if mask >> i & 1)


# --- name variants -----------------------------------------------------------------------------

_CONFUSABLE = {
    "A": "E", "B": "P", "C": "K", "D": "T", "E": "A", "F": "P", "G": "Q", "H": "N", "I": "Y",
    "J": "G", "K": "C", "L": "R", "M": "N", "N": "M", "O": "U", "P": "B", "Q": "G", "R": "L",
    "S": "Z", "T": "D", "U": "V", "V": "U", "W": "V", "X": "S", "Y": "I", "Z": "S",
}  # fmt: skip


def typo(text: str, rnd) -> str:
    """One-character error in an upper-case Latin name; the result always differs from `text`."""
    positions = [i for i, ch in enumerate(text) if "A" <= ch <= "Z"]
    if not positions:
        return text
    i = positions[int(rnd() * len(positions))]
    op = rnd()
    left_ok = i > 0 and "A" <= text[i - 1] <= "Z"
    right_ok = i + 1 < len(text) and "A" <= text[i + 1] <= "Z"
    if op < 0.25 and (left_ok or right_ok):  # dropped letter, the word keeps at least 1 letter
        result = text[:i] + text[i + 1 :]
    elif op < 0.4:  # doubled letter
        result = text[:i] + text[i] + text[i:]
    elif op < 0.55 and right_ok and text[i] != text[i + 1]:  # transposed
        result = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    else:
        result = text[:i] + _CONFUSABLE[text[i]] + text[i + 1 :]
    return result if result != text else text[:i] + _CONFUSABLE[text[i]] + text[i + 1 :]


def _respace(words: list[str], rnd) -> bool:
    """Merge two adjacent words (NGUYENVAN AN) or split a long one (SUPRI YADI). In place."""
    if len(words) >= 2 and (rnd() < 0.75 or max(len(w) for w in words) < 6):
        i = int(rnd() * (len(words) - 1))
        words[i : i + 2] = [words[i].replace(" ", "") + words[i + 1].replace(" ", "")]
        return True
    long_words = [i for i, w in enumerate(words) if len(w) >= 6 and " " not in w]
    if not long_words:
        return False
    i = long_words[int(rnd() * len(long_words))]
    word = words[i]
    cut = 2 + int(rnd() * (len(word) - 3))
    words[i] = f"{word[:cut]} {word[cut:]}"
    return True


def cp932_safe(text: str, replacement: str = "?") -> str:
    """What a conversion to Shift_JIS/CP932 leaves of `text`: unmappable characters become '?'."""
    try:
        text.encode("cp932")
        return text
    except UnicodeEncodeError:
        pass
    out = []
    for ch in text:
        try:
            ch.encode("cp932")
            out.append(ch)
        except UnicodeEncodeError:
            out.append(replacement)
    return "".join(out)


def name_variant(name: ForeignName, planned: int, rnd, *, cp932: bool) -> tuple[str, int]:
    """The ISA name cell for `name` with the planned name differences; returns (text, applied bits).
    A planned difference that cannot apply to this name (no middle name, nothing to swap) is
    dropped, so the returned bits always describe the cell exactly."""
    applied = 0
    words = name.words
    if planned & BIT["middle_name_missing"] and name.has_middle:
        words = name.without_middle()
        applied |= BIT["middle_name_missing"]
    comma = planned & BIT["name_comma"] and words[0][0] == FAMILY and len(words) >= 2
    if comma:
        applied |= BIT["name_comma"]
    elif planned & BIT["name_order_swapped"]:
        swapped = given_first(words)
        if swapped != words:
            words = swapped
            applied |= BIT["name_order_swapped"]
    marked = planned & (BIT["diacritics"] | BIT["diacritics_lost"]) and any(p.marked for _, p in words)
    texts = [(p.marked or p.alpha) if marked else p.alpha for _, p in words]
    if marked:
        applied |= BIT["diacritics_lost"] if cp932 else BIT["diacritics"]
    if comma:
        family = texts[0]
        rest = texts[1:]
        if planned & BIT["name_spacing"] and _respace(rest, rnd):
            applied |= BIT["name_spacing"]
        text = f"{family}, {' '.join(rest)}"
    else:
        texts = list(texts)
        if planned & BIT["name_spacing"] and _respace(texts, rnd):
            applied |= BIT["name_spacing"]
        text = " ".join(texts)
    if planned & BIT["name_typo"]:
        changed = typo(text, rnd)
        if changed != text:
            text = changed
            applied |= BIT["name_typo"]
    if planned & BIT["fullwidth_name"]:
        text = to_fullwidth(text)
        applied |= BIT["fullwidth_name"]
    if cp932:
        text = cp932_safe(text)
    return text, applied


def within_one_edit(a: str, b: str) -> bool:
    """True if `a` and `b` differ by at most one substitution, insertion, deletion or swap of two
    neighbouring characters."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        i = diff[0]
        return len(diff) == 2 and diff[1] == i + 1 and a[i] == b[i + 1] and a[i + 1] == b[i]
    if abs(la - lb) != 1:
        return False
    if la > lb:
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]


def pad(text: str, rnd) -> str:
    r = rnd()
    if r < 0.4:
        return text + " "
    if r < 0.7:
        return " " + text
    if r < 0.85:
        return text + "　"
    return f"  {text}  "


# --- dates -------------------------------------------------------------------------------------


def swapped_day_month(dob: date) -> date | None:
    if dob.day > 12 or dob.day == dob.month:
        return None
    try:
        return dob.replace(month=dob.day, day=dob.month)
    except ValueError:
        return None


def digit_off(dob: date, rnd, *, not_after: date | None = None) -> date:
    """Change one digit of YYYYMMDD (not the century) so that the result is still a real date,
    at most 10 years away and not later than `not_after`."""
    text = f"{dob:%Y%m%d}"
    for _ in range(100):
        pos = (2, 3, 4, 5, 6, 7)[int(rnd() * 6)]
        digit = int(text[pos])
        new_digit = (digit + (1 if rnd() < 0.5 else -1)) % 10 if rnd() < 0.7 else int(rnd() * 10)
        if new_digit == digit:
            continue
        candidate = text[:pos] + str(new_digit) + text[pos + 1 :]
        try:
            value = date(int(candidate[:4]), int(candidate[4:6]), int(candidate[6:]))
        except ValueError:
            continue
        if (not_after is not None and value > not_after) or abs(value.year - dob.year) > 10:
            continue
        return value
    return (
        dob.replace(year=dob.year + 1) if not (dob.month == 2 and dob.day == 29) else date(dob.year + 1, 3, 1)
    )


_DAYS_IN_MONTH = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def near_miss_dates(dob: date) -> set[date]:
    """Every date a single swap or one-digit error could turn `dob` into (for hard negatives)."""
    out = set()
    y, m, d = dob.year, dob.month, dob.day
    candidates = []
    for digit in range(10):
        candidates.append((y - y % 100 + digit * 10 + y % 10, m, d))  # decade digit
        candidates.append((y - y % 10 + digit, m, d))  # year digit
        candidates.append((y, digit * 10 + m % 10, d))
        candidates.append((y, m - m % 10 + digit, d))
        candidates.append((y, m, digit * 10 + d % 10))
        candidates.append((y, m, d - d % 10 + digit))
    candidates.append((y, d, m))  # day and month swapped
    for cy, cm, cd in candidates:
        if not (1 <= cm <= 12 and 1 <= cd <= _DAYS_IN_MONTH[cm]):
            continue
        if (cm, cd) == (2, 29) and not (cy % 4 == 0 and (cy % 100 != 0 or cy % 400 == 0)):
            continue
        out.add(date(cy, cm, cd))
    out.discard(dob)
    return out


_ERAS = (
    (date(2019, 5, 1), "令和", "R", 2019),
    (date(1989, 1, 8), "平成", "H", 1989),
    (date(1926, 12, 25), "昭和", "S", 1926),
    (date(1912, 7, 30), "大正", "T", 1912),
)

DATE_STYLES = ("yyyymmdd", "slash", "era_kanji", "era_letter")


def format_date(value: date, style: str) -> str:
    if style == "yyyymmdd":
        return f"{value.year:04d}{value.month:02d}{value.day:02d}"
    if style == "slash":
        return f"{value.year:04d}/{value.month:02d}/{value.day:02d}"
    if style == "iso":
        return value.isoformat()
    for start, name, letter, first_year in _ERAS:
        if value >= start:
            year = value.year - first_year + 1
            if style == "era_kanji":
                return f"{name}{'元' if year == 1 else year}年{value.month}月{value.day}日"
            return f"{letter}{year}.{value.month}.{value.day}"
    raise ValueError(f"date before 大正: {value}")


SEX_STYLES = {"kanji": ("", "男", "女"), "digit": ("", "1", "2")}


# --- matching key for the ground truth ---------------------------------------------------------

_LETTERS = str.maketrans({"Đ": "D", "đ": "d"})
_NOT_NAME = re.compile(r"[^A-Z?]+")
_CANONICAL = re.compile(r"[A-Z]+(?: [A-Z]+)*")


def name_key(text: str) -> str:
    """Words of a Latin name, normalised (NFKC, upper case, no accents, no punctuation) and sorted:
    two cells with the same key are the same name for any careful matcher."""
    if _CANONICAL.fullmatch(text):
        return " ".join(sorted(text.split()))
    text = unicodedata.normalize("NFKC", text).translate(_LETTERS).upper()
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return " ".join(sorted(_NOT_NAME.sub(" ", text).split()))


def person_key(key: str, dob_ordinal: int, sex: int) -> str:
    """The identity a careful matcher cannot tell apart: name key, birth date, sex."""
    return f"{key}|{dob_ordinal}|{sex}"
