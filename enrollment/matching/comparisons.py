"""Per-field comparison levels (agreement patterns) between an ISA record and a resident, with the
Japanese labels supervisors see. Level 0 is the strongest agreement; the last level is always "missing".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rapidfuzz.distance import OSA, Indel

from .addresses import Address, rooms_agree, towns_agree
from .features import Features
from .names import (
    WILDCARD,
    align_tokens,
    anagram_key,
    joined_subset,
    loosely_close,
    one_letter_slip,
    resolve_wildcards,
    same_when_joined,
)

MISSING = "missing"


@dataclass(frozen=True)
class Comparison:
    field: str
    label_ja: str
    levels: tuple[str, ...]
    level_labels_ja: dict[str, str]
    compare: Callable[[Features, Features], int]
    record_value: Callable[[Features], str]
    resident_value: Callable[[Features], str]

    @property
    def missing(self) -> int:
        return len(self.levels) - 1

    def level_index(self, level: str) -> int:
        return self.levels.index(level)


# --- name ----------------------------------------------------------------------------------------

NAME_LEVELS = ("exact", "joined", "subset", "fuzzy", "partial", "near", "token", "disagree", MISSING)
N_EXACT, N_JOINED, N_SUBSET, N_FUZZY, N_PARTIAL, N_NEAR, N_TOKEN, N_DISAGREE, N_MISSING = range(9)


def compare_name(a: Features, b: Features) -> int:
    ta, tb = a.sorted_tokens, b.sorted_tokens
    if not ta or not tb:
        return N_MISSING
    if ta == tb:
        return N_EXACT
    if WILDCARD in a.joined or WILDCARD in b.joined:
        # Letters lost in a CP932 conversion (NGUY?N V?N AN): fill them in from the other name.
        ra, rb = resolve_wildcards(a.tokens, tb), resolve_wildcards(b.tokens, ta)
        return _compare_tokens(tuple(sorted(ra)), tuple(sorted(rb)), "".join(ra), "".join(rb))
    return _compare_tokens(ta, tb, a.joined, b.joined, a.anagram, b.anagram)


def _compare_tokens(
    ta: tuple[str, ...],
    tb: tuple[str, ...],
    joined_a: str,
    joined_b: str,
    anagram_a: str = "",
    anagram_b: str = "",
) -> int:
    if ta == tb:
        return N_EXACT
    if not anagram_a:
        anagram_a, anagram_b = anagram_key(ta), anagram_key(tb)
    if anagram_a == anagram_b and same_when_joined(ta, tb):
        return N_JOINED
    small, large = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    extra = len(large) - len(small)
    exact, close, unpaired, leftover = align_tokens(small, large)
    # Missing middle name(s) (DELA CRUZ is two tokens). One token left (AN ⊂ NGUYEN VAN AN) is too
    # little to say so: that falls to partial.
    if exact == len(small) >= 2 and extra <= 2:
        return N_SUBSET
    if (
        unpaired
        and extra
        and all(u.startswith(large) for u in unpaired)  # cheap test first (startswith any token of large)
        and joined_subset(small, large)
    ):
        return N_SUBSET  # a missing middle name and merged spacing at once: TRANBINH / TRAN VAN BINH
    if not unpaired and extra <= 1 and (exact or len(small) == 1) and (len(small) >= 2 or not extra):
        return N_FUZZY
    # Merged spacing plus a typo, in the same order: NGUYENVAN ANH / NGUYEN VAN ANN. Only when the
    # token counts differ: otherwise the token rules decide (NGUYEN THI THANH ≠ NGUYEN THU THANH).
    if (
        extra
        and min(len(joined_a), len(joined_b)) >= 8
        and OSA.distance(joined_a, joined_b, score_cutoff=1) <= 1
    ):
        return N_FUZZY
    # Partial: the smaller name is contained in the larger, or all tokens but one agree and that one
    # is one edit from a leftover token (NGUYEN VAN AN / NGUYEN VAN ANH: a typo, or a brother).
    # NGUYEN VAN AN / NGUYEN VAN BINH is little or no evidence among Vietnamese names, while JOHN SMITH /
    # JOHX SMIHT (a given name garbled) is much: what a shared token says is for the municipality's
    # own data to tell (level "token", learned like every other level).
    if not unpaired:
        return N_PARTIAL
    if len(unpaired) == 1 and exact + close >= 2 and any(loosely_close(unpaired[0], t) for t in leftover):
        return N_PARTIAL
    if one_letter_slip(ta, tb):  # HTAR CHO / HTAR CHU: two tokens, a slip in the short one
        return N_PARTIAL
    if exact:
        return N_TOKEN
    # No token shared exactly, but one is a typo of another (NICHOLSA HO / NICHOLAS EGLINTON, MASOJN /
    # MASON): one name part garbled and the other replaced or missing. Among different people it is
    # rarer than a shared token; the data tell how much rarer (level "near", learned).
    return N_NEAR if close else N_DISAGREE


# --- birth date ----------------------------------------------------------------------------------

BIRTH_LEVELS = ("exact", "typo", "year", "disagree", MISSING)
B_EXACT, B_TYPO, B_YEAR, B_DISAGREE, B_MISSING = range(5)


def compare_birth_date(a: Features, b: Features) -> int:
    da, db = a.birth_digits, b.birth_digits
    if not da or not db:
        return B_MISSING
    if da == db:
        return B_EXACT
    # OSA distance 1 on YYYYMMDD: one wrong digit or two neighbouring digits swapped (1985 / 1958).
    typo = OSA.distance(da, db, score_cutoff=1) <= 1
    if da[:4] == db[:4]:
        if typo or (da[4:6] == db[6:] and da[6:] == db[4:6]):  # day and month swapped
            return B_TYPO
        return B_YEAR
    return B_TYPO if typo else B_DISAGREE


# --- sex -----------------------------------------------------------------------------------------

SEX_LEVELS = ("agree", "disagree", MISSING)
S_AGREE, S_DISAGREE, S_MISSING = range(3)


def compare_sex(a: Features, b: Features) -> int:
    if a.sex is None or b.sex is None:
        return S_MISSING
    return S_AGREE if a.sex == b.sex else S_DISAGREE


# --- municipality code ---------------------------------------------------------------------------

LG_LEVELS = ("exact", "same_city", "moved_away", "disagree", MISSING)
G_EXACT, G_SAME_CITY, G_MOVED_AWAY, G_DISAGREE, G_MISSING = range(5)
# Register statuses (住民票の状態) under which an ISA address in another municipality is what one
# expects: the person moved out (転出) or left Japan (国外転出) and the ISA holds the later address.
_GONE_ELSEWHERE = frozenset({"moved_out", "left_japan"})
# 5-digit bodies of the designated cities (政令指定都市); their wards are numbered right after them.
DESIGNATED_CITIES = (
    1100, 4100, 11100, 12100, 14100, 14130, 14150, 15100, 22100, 22130,
    23100, 26100, 27100, 27140, 28100, 33100, 34100, 40100, 40130, 43100,
)  # fmt: skip


def designated_city_of(code: str) -> int | None:
    """The designated city a ward code (or the city's own code) belongs to, else None."""
    if len(code) < 5 or not code[:5].isdigit():
        return None
    body = int(code[:5])
    owners = [city for city in DESIGNATED_CITIES if city <= body < city + 30]
    return owners[-1] if owners else None


def compare_lg_code(a: Features, b: Features) -> int:
    """The ISA municipality code against the resident's, read with the register status.

    A different municipality says opposite things depending on the register: for a resident who
    moved out (転出) or left Japan (国外転出) it is the expected later address ("moved_away"), for one
    still living here (在住) it says the record is about somebody else ("disagree").
    """
    if not a.lg_code or not b.lg_code:
        return G_MISSING
    if a.lg_code[:5] == b.lg_code[:5]:  # the 6th digit is only a check digit
        return G_EXACT
    city = designated_city_of(a.lg_code)
    if city is not None and city == designated_city_of(b.lg_code):
        return G_SAME_CITY
    return G_MOVED_AWAY if b.status in _GONE_ELSEWHERE else G_DISAGREE


# --- address -------------------------------------------------------------------------------------

ADDRESS_LEVELS = ("exact", "block_close", "block", "town_chome", "similar", "resembling", "disagree", MISSING)
A_EXACT, A_BLOCK_CLOSE, A_BLOCK, A_TOWN_CHOME, A_SIMILAR, A_RESEMBLING, A_DISAGREE, A_MISSING = range(8)
# "block_close": the same block, and building and room differ only by this little in the whole text
# (a slip in the building name or room, a neighbouring room: the data tell which it mostly is).
# "similar": the town or the block differs, but the whole address text is this close (Indel
# normalised similarity of the canonical forms): a typo in the town name (本町 / 本丁), a letter lost
# in a street or suburb name, an address the Japanese parser does not understand (FEBRL's
# Australian ones) written with a slip. Splink's address comparisons have the same level (Jaro-Winkler ≥ 0.9).
ADDRESS_SIMILARITY = 0.85
# "resembling": less close, but most of the text is shared (two fields of an Australian address
# changed; in a Japanese register, mostly another address in the same ward: the data say which).
ADDRESS_RESEMBLANCE = 0.7


def compare_address(a: Features, b: Features) -> int:
    x, y = a.address, b.address
    if not (x.town or x.block or x.building or x.room) or not (y.town or y.block or y.building or y.room):
        return A_MISSING  # x.is_empty or y.is_empty, inlined
    if x.town != y.town and not towns_agree(x.town, y.town):
        return _similar_or_disagree(x, y)
    if x.block and x.block == y.block:
        if rooms_agree(x, y):
            return A_EXACT
        return A_BLOCK_CLOSE if _close_text(x, y) else A_BLOCK
    if not x.block or not y.block or x.block[0] == y.block[0]:
        return A_TOWN_CHOME
    return _similar_or_disagree(x, y)


def _close_text(x: Address, y: Address) -> bool:
    return Indel.normalized_similarity(x.canonical, y.canonical, score_cutoff=ADDRESS_SIMILARITY) > 0


def _similar_or_disagree(x: Address, y: Address) -> int:
    similarity = Indel.normalized_similarity(x.canonical, y.canonical, score_cutoff=ADDRESS_RESEMBLANCE)
    if similarity >= ADDRESS_SIMILARITY:
        return A_SIMILAR
    return A_RESEMBLING if similarity else A_DISAGREE


# --- katakana reading / 通称 -----------------------------------------------------------------------

KANA_LEVELS = ("agree", "partial", "disagree", MISSING)


def compare_kana(record: Features, resident: Features) -> int:
    """The record's Latin name against the resident's katakana reading or 通称, by consonant skeleton."""
    phonetic = record.phonetic
    if len(phonetic) < 2:
        return 3
    best = -1.0
    key = resident.phonetic
    if len(key) >= 2:
        best = max(best, Indel.normalized_similarity(phonetic, key))
    key = resident.alias_phonetic
    if len(key) >= 2:
        best = max(best, Indel.normalized_similarity(phonetic, key))
    if best < 0:
        return 3
    return 0 if best >= 0.8 else 1 if best >= 0.5 else 2


def _iso(f: Features) -> str:
    return f.birth_date.isoformat() if f.birth_date else ""


def _kana_display(f: Features) -> str:
    kana, alias = f.kana, f.alias
    return f"{kana} / {alias}" if kana and alias else kana or alias  # the non-empty ones joined by " / "


COMPARISONS: tuple[Comparison, ...] = (
    Comparison(
        "name", "氏名（英字）", NAME_LEVELS,
        {"exact": "一致", "joined": "空白の位置のみ相違", "subset": "ミドルネーム等の欠落",
         "fuzzy": "表記ゆれ（誤字）", "partial": "一部の語のみ一致", "token": "同じ語を含むが他の語は相違",
         "near": "一語が誤字程度に近く他の語は相違", "disagree": "不一致", MISSING: "データなし"},
        compare_name, lambda f: f.name, lambda f: f.name,
    ),
    Comparison(
        "birth_date", "生年月日", BIRTH_LEVELS,
        {"exact": "一致", "typo": "1桁相違・日月の入替", "year": "年のみ一致", "disagree": "不一致",
         MISSING: "データなし"},
        compare_birth_date, _iso, _iso,
    ),
    Comparison(
        "sex", "性別", SEX_LEVELS, {"agree": "一致", "disagree": "不一致", MISSING: "データなし"},
        compare_sex, lambda f: f.sex or "", lambda f: f.sex or "",
    ),
    Comparison(
        "lg_code", "地方公共団体コード", LG_LEVELS,
        {"exact": "一致", "same_city": "同一指定都市の別の区", "moved_away": "他市区町村（住民票は転出・国外転出）",
         "disagree": "他市区町村（住民票は在住）", MISSING: "データなし"},
        compare_lg_code, lambda f: f.lg_code, lambda f: f.lg_code,
    ),
    Comparison(
        "address", "住所", ADDRESS_LEVELS,
        {"exact": "一致（方書・部屋番号まで）", "block_close": "番地まで一致・方書等も近い", "block": "番地まで一致", "town_chome": "町名・丁目まで一致",
         "similar": "表記が近い（誤字の可能性）",
         "resembling": "表記の大半が共通", "disagree": "不一致", MISSING: "データなし"},
        compare_address, lambda f: f.address.canonical, lambda f: f.address.canonical,
    ),
    Comparison(
        "kana", "カナ氏名・通称", KANA_LEVELS,
        {"agree": "読みが一致", "partial": "読みが一部一致", "disagree": "読みが不一致", MISSING: "比較できない"},
        compare_kana, lambda f: f.name, _kana_display,
    ),
)  # fmt: skip
FIELDS: tuple[str, ...] = tuple(c.field for c in COMPARISONS)
COMPARISON_BY_FIELD = {c.field: c for c in COMPARISONS}


def comparison_vector(record: Features, resident: Features) -> tuple[int, ...]:
    """Level index per field, in `FIELDS` order."""
    return (
        compare_name(record, resident),
        compare_birth_date(record, resident),
        compare_sex(record, resident),
        compare_lg_code(record, resident),
        compare_address(record, resident),
        compare_kana(record, resident),
    )
