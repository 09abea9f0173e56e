"""Latin name normalisation for record linkage, plus a loose phonetic key that lets a katakana reading
(フリガナ) or a 通称 (registered alias) be compared with a Latin name. Pure Python, no Django.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from rapidfuzz.distance import OSA

# Letters that NFKD does not split into base letter + accent; without this table they would be
# dropped by the ASCII filter (Đ is the Vietnamese one that matters most).
_LETTER_MAP = str.maketrans(
    {
        "Đ": "D", "đ": "d", "Ð": "D", "ð": "d", "Ɖ": "D", "ɖ": "d",
        "Ø": "O", "ø": "o", "Ł": "L", "ł": "l", "Ħ": "H", "ħ": "h", "Ŧ": "T", "ŧ": "t",
        "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "ß": "ss", "ẞ": "SS",
        "Þ": "TH", "þ": "th", "ı": "i", "ĸ": "k", "Ŋ": "NG", "ŋ": "ng", "ſ": "s",
        # Apostrophe forms join the parts: D'SOUZA = DSOUZA, not D SOUZA.
        "'": None, "’": None, "‘": None, "ʼ": None, "ʻ": None, "`": None, "´": None, "ʹ": None,
        "′": None, "＇": None, "\ufffd": "?",
    }
)  # fmt: skip
# '?' is what a conversion to CP932 (Shift_JIS) leaves of a letter it cannot encode: NGUYỄN → NGUY?N.
# It is kept as a one-letter wildcard; U+FFFD (a decoding failure) means the same.
WILDCARD = "?"
_NON_LETTERS = re.compile(r"[^A-Z?]+")
_ASCII_NAME = re.compile(r"[A-Z?]+(?: [A-Z?]+)*")


def normalize_name(raw: str | None) -> str:
    """Canonical Latin name: upper-case ASCII letters (and the '?' wildcard), single spaces, order kept.

    NFKC folds full-width letters; accents and Đ are stripped; zero-width and bidi marks,
    non-Latin letters and digits vanish; hyphens, commas, dots become spaces. Idempotent.
    """
    if not raw:
        return ""
    if _ASCII_NAME.fullmatch(raw):  # already canonical: the common case for stored values
        return raw
    return _normalize_name(raw)


@lru_cache(maxsize=1 << 14)
def _normalize_name(raw: str) -> str:
    """`normalize_name` of a name not yet canonical (cached, bounded, like the keys below: the same
    names recur across many people)."""
    text = unicodedata.normalize("NFKC", raw).translate(_LETTER_MAP)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").upper()
    return _NON_LETTERS.sub(" ", text).strip()


def name_tokens(normalized: str) -> tuple[str, ...]:
    return tuple(normalized.split())


@lru_cache(maxsize=1 << 16)
def name_parts(normalized: str) -> tuple[tuple[str, ...], tuple[str, ...], str, str]:
    """Tokens, sorted tokens, anagram key and joined tokens of a canonical name (cached)."""
    tokens = name_tokens(normalized)
    return tokens, tuple(sorted(tokens)), anagram_key(tokens), "".join(tokens)


def anagram_key(tokens: tuple[str, ...]) -> str:
    """Sorted letters of the whole name: the same for any token order, spacing or merging."""
    return "".join(sorted("".join(tokens)))


# --- comparing token lists ---------------------------------------------------------------------


@lru_cache(maxsize=1 << 18)
def tokens_close(a: str, b: str) -> bool:
    """Typo-level similarity of two name tokens (cached: the same tokens recur across millions of pairs).

    Short tokens must be equal: AN/ANH, LE/LY are different Vietnamese names, not typos.
    """
    if a == b:
        return True
    shortest = min(len(a), len(b))
    if max(len(a), len(b)) < 4:  # AN/ANH, LE/LY: different names; but LEN/LIEN, TRA/TRAN are typos
        return False
    limit = 2 if shortest >= 8 else 1
    return OSA.distance(a, b, score_cutoff=limit) <= limit


def _concatenation_cover(whole: list[str], parts: list[str]) -> bool:
    """Can every token in `whole` be written as a concatenation of tokens of `parts`, using all parts once?"""
    if not whole:
        return not parts
    first, rest_whole = whole[0], whole[1:]

    def fill(remaining: str, pool: list[str]) -> bool:
        if not remaining:
            return _concatenation_cover(rest_whole, pool)
        tried: set[str] = set()
        for i, part in enumerate(pool):
            if part in tried or not remaining.startswith(part):
                continue
            tried.add(part)
            if fill(remaining[len(part) :], pool[:i] + pool[i + 1 :]):
                return True
        return False

    return fill(first, parts)


def same_when_joined(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Token lists equal once spaces are moved: NGUYENVAN AN = AN NGUYEN VAN, DELACRUZ = DELA CRUZ."""
    rest_b = list(b)
    rest_a = []
    for token in a:
        if token in rest_b:
            rest_b.remove(token)
        else:
            rest_a.append(token)
    if not rest_a or not rest_b:
        return not rest_a and not rest_b
    if sum(map(len, rest_a)) != sum(map(len, rest_b)):
        return False
    if len(rest_a) > len(rest_b):
        rest_a, rest_b = rest_b, rest_a
    return _concatenation_cover(rest_a, rest_b)


def wildcard_equal(pattern: str, token: str) -> bool:
    return len(pattern) == len(token) and all(p == token[i] or p == WILDCARD for i, p in enumerate(pattern))


def resolve_wildcards(tokens: tuple[str, ...], others: tuple[str, ...]) -> tuple[str, ...]:
    """Replace each token with '?' by a same-length token of `others` it fits (NGUY?N → NGUYEN).

    Exact tokens claim their partners first; a wildcard token that fits nothing stays as it is.
    """
    pool = list(others)
    for token in tokens:
        if WILDCARD not in token and token in pool:
            pool.remove(token)
    resolved = []
    for token in tokens:
        if WILDCARD in token:
            for i, other in enumerate(pool):
                if wildcard_equal(token, other):
                    token = other
                    del pool[i]
                    break
        resolved.append(token)
    return tuple(resolved)


# Letters a '?' usually stands for: Vietnamese vowels with marks, and Đ.
WILDCARD_LETTERS = "AEIOUYD"


def wildcard_expansions(token: str, max_wildcards: int = 2) -> list[str]:
    """Spellings a token with '?' may stand for, for blocking look-ups; [] when there are too many."""
    count = token.count(WILDCARD)
    if count == 0:
        return [token]
    if count > max_wildcards:
        return []
    spellings = [""]
    for ch in token:
        spellings = [s + c for s in spellings for c in (WILDCARD_LETTERS if ch == WILDCARD else ch)]
    return spellings


def joined_subset(small: tuple[str, ...], large: tuple[str, ...], max_left_out: int = 2) -> bool:
    """Each token of `small` is one or more tokens of `large` run together, at least two tokens of
    `large` are used, and at most `max_left_out` are not: TRANBINH / TRAN VAN BINH."""

    def cover(whole: tuple[str, ...], pool: tuple[str, ...], used: int) -> bool:
        if not whole:
            return used >= 2 and len(pool) <= max_left_out
        first, rest = whole[0], whole[1:]

        def fill(remaining: str, pool: tuple[str, ...], used: int) -> bool:
            if not remaining:
                return cover(rest, pool, used)
            return any(
                remaining.startswith(part)
                and fill(remaining[len(part) :], pool[:i] + pool[i + 1 :], used + 1)
                for i, part in enumerate(pool)
            )

        return fill(first, pool, used)

    return cover(small, large, 0)


def align_tokens(small: tuple[str, ...], large: tuple[str, ...]) -> tuple[int, int, list[str], list[str]]:
    """Pair each token of `small` with a distinct token of `large`, exact first, then typo-close.

    Returns (exact pairs, close pairs, unpaired tokens of `small`, unused tokens of `large`). Greedy
    is enough: names have a handful of tokens and typo partners are rarely ambiguous.
    """
    pool = list(large)
    pending = []
    for token in small:
        if token in pool:
            pool.remove(token)
        else:
            pending.append(token)
    exact = len(small) - len(pending)
    unpaired = []
    for token in pending:
        size = len(token)
        for i, other in enumerate(pool):
            # tokens_close is False without calling it when both are shorter than 4 letters or their
            # lengths differ by more than 2 (the largest distance it allows); equal tokens never get here.
            gap = size - len(other)
            if -2 <= gap <= 2 and (size >= 4 or len(other) >= 4) and tokens_close(token, other):
                del pool[i]
                break
        else:
            unpaired.append(token)
    return exact, len(pending) - len(unpaired), unpaired, pool


def one_letter_slip(a: Sequence[str], b: Sequence[str]) -> bool:
    """The same name but for one letter in one short token: the same number of tokens (at least
    two), all equal but one pair of equal length, and that pair one letter substituted (tokens of
    three letters or more: ZAW/ZAV, CHO/CHU, SRI/SRY) or two neighbouring letters swapped (LI/IL).

    `tokens_close` refuses short tokens on their own (LE/LY, THI/THU are other names), so such a
    name compares as "partial" at best; the decision accepts it only where everything else agrees
    to the room (decision._same_flat_slip).
    """
    if len(a) != len(b) or len(a) < 2:
        return False
    left, right = list(a), list(b)
    for token in a:
        if token in right:
            right.remove(token)
            left.remove(token)
    if len(left) != 1 or len(right) != 1:
        return False
    x, y = left[0], right[0]
    if len(x) != len(y) or len(x) < 2:
        return False
    diffs = [i for i in range(len(x)) if x[i] != y[i]]
    if len(diffs) == 1:
        return len(x) >= 3
    return (
        len(diffs) == 2
        and diffs[1] == diffs[0] + 1
        and x[diffs[0]] == y[diffs[1]]
        and x[diffs[1]] == y[diffs[0]]
    )


def loosely_close(a: str, b: str) -> bool:
    """One edit apart even for short tokens (AN/ANH, THU/THUY): a possible typo, or another name."""
    return OSA.distance(a, b, score_cutoff=1) <= 1


# --- phonetic key for katakana readings and aliases --------------------------------------------
#
# The key keeps only consonant classes, because vowels are where katakana and Latin spellings of
# foreign names differ most (グエン / NGUYEN). It is evidence of weak weight, so loose is fine.

_LATIN_CLASS = str.maketrans(
    {
        "A": None, "E": None, "I": None, "O": None, "U": None, "Y": None, "W": None, "H": None,
        "B": "P", "V": "P", "F": "P", "P": "P", "C": "K", "K": "K", "Q": "S", "G": "K",
        "X": "S", "J": "S", "Z": "S", "S": "S", "D": "T", "T": "T", "L": "R", "R": "R",
        "M": "M", "N": "N", "?": None,
    }
)  # fmt: skip
_LATIN_DIGRAPHS = (
    ("PH", "F"), ("TH", "T"), ("SH", "S"), ("CH", "S"), ("TS", "S"), ("KH", "K"), ("GH", "G"), ("QU", "K"),
)  # fmt: skip
# Vietnamese spellings katakana renders by sound: NGUYEN グエン, TRAN チャン, BICH ビック.
_LATIN_SOUNDS = ((re.compile(r"\bNG"), "G"), (re.compile(r"\bTR"), "CH"), (re.compile(r"CH\b"), "K"))
_REPEATS = re.compile(r"(.)\1+")

_KANA_GROUPS = {
    "": "アイウエオァィゥェォヤユヨャュョワヲヮーッヽヾハヒヘホ・゠＝",
    "K": "カキクケコガギグゲゴヵヶ",
    "S": "サシスセソザジズゼゾチヂツヅ",
    "T": "タテトダデド",
    "N": "ナニヌネノン",
    "P": "フバビブベボパピプペポヴ",
    "M": "マミムメモ",
    "R": "ラリルレロ",
}
_KANA_CLASS = {ord(ch): (cls or None) for cls, chars in _KANA_GROUPS.items() for ch in chars}
_HIRAGANA_TO_KATAKANA = {code: code + 0x60 for code in range(0x3041, 0x3097)}
_KATAKANA = re.compile(r"[\u30a0-\u30ff\u3040-\u309f\s・＝=]+")
_HIRAGANA = re.compile("[\u3041-\u3096]")  # the keys of _HIRAGANA_TO_KATAKANA
_KANA_SEPARATORS = re.compile(r"[\s・＝=]+")


@lru_cache(maxsize=1 << 14)
def latin_phonetic_key(normalized: str) -> str:
    """Consonant-class skeleton of a canonical Latin name, letters sorted so token order does not matter."""
    if not normalized:
        return ""
    text = normalized
    for pattern, sound in _LATIN_SOUNDS:
        text = pattern.sub(sound, text)
    text = text.replace("NG", "N")  # HOANG ホアン, SINGH シン
    for digraph, single in _LATIN_DIGRAPHS:
        text = text.replace(digraph, single)
    skeleton = "".join(_REPEATS.sub(r"\1", token.translate(_LATIN_CLASS)) for token in text.split())
    return "".join(sorted(skeleton))


def is_kana(text: str) -> bool:
    return bool(text) and _KATAKANA.fullmatch(text) is not None


def kana_phonetic_key(kana: str | None) -> str:
    """Consonant-class skeleton of a katakana (or hiragana) reading; "" when it is not kana."""
    if not kana:
        return ""
    text = unicodedata.normalize("NFKC", kana)
    if _HIRAGANA.search(text):
        text = text.translate(_HIRAGANA_TO_KATAKANA)
    if not is_kana(text):
        return ""
    # Words split at whitespace (str.split() and the pattern's \s are the same characters) unless
    # ・＝= occur; the pattern's empty words at either end have an empty skeleton anyway.
    if "・" in text or "＝" in text or "=" in text:
        words = _KANA_SEPARATORS.split(text)
    else:
        words = text.split()
    return "".join(sorted("".join(map(_kana_skeleton, words))))


@lru_cache(maxsize=1 << 14)
def _kana_skeleton(token: str) -> str:
    """Consonant classes of one kana word, repeats collapsed (cached: グエン, ヴァン, ティ recur)."""
    return _REPEATS.sub(r"\1", "".join(_KANA_CLASS.get(ord(ch), "") or "" for ch in token))


def alias_phonetic_key(alias: str | None) -> str:
    """Phonetic key of a 通称 written in kana or Latin letters; "" for kanji aliases we cannot read."""
    if not alias:
        return ""
    key = kana_phonetic_key(alias)
    if key:
        return key
    text = unicodedata.normalize("NFKC", alias)
    if any(unicodedata.category(ch) == "Lo" for ch in text):  # kanji: no reading without a dictionary
        return ""
    return latin_phonetic_key(normalize_name(text))
