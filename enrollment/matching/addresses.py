"""Japanese address normalisation for record linkage: one canonical notation, split into town, block
address (丁目-番-号 / 番地-号) and building/room, so each part can be compared on its own. No Django.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from ._slots import slots_constructor

PREFECTURES = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県", "群馬県",
    "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県",
    "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県",
    "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県", "香川県", "愛媛県", "高知県", "福岡県",
    "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
)  # fmt: skip
_PREFECTURE = re.compile("^(?:" + "|".join(PREFECTURES) + ")")
_POSTAL_CODE = re.compile(r"^\s*〒\s*[0-9]{3}-?[0-9]{4}")
# 西多摩郡瑞穂町 → 瑞穂町. The look-ahead keeps 郡山市 and 大和郡山市, whose names contain 郡.
_COUNTY = re.compile(r"^[^0-9市区町村郡]{1,6}郡(?=[^0-9市区町村郡]{1,6}[町村])")
_HYPHEN_CHARS = "‐‑‒–—―−﹣－⁃"
_HYPHENS = str.maketrans(dict.fromkeys(_HYPHEN_CHARS, "-"))
# Cheap tests that let `_clean_text` skip a translation or substitution that cannot change the text.
_HAS_HYPHEN = re.compile(f"[{_HYPHEN_CHARS}]")
_HAS_KANJI_NUMERAL = re.compile("[〇一二三四五六七八九十百千]")
_LONG_MARK_AS_HYPHEN = re.compile(r"(?<=[0-9])[ーｰ](?=[0-9])")  # 1ー2ー3 typed with the long-vowel key
_KANJI_NUMERAL = re.compile(r"[〇一二三四五六七八九十百千]+(?=丁目|番地|番(?!町)|号|-)")
# The last number of a block address has no marker after it (二番地の四, 1丁目2番三): convert a numeral
# right after a converted number and its marker, unless a kanji follows (三鷹荘 is a name).
_KANJI_NUMERAL_AFTER = re.compile(
    r"(?:(?<=[0-9]丁目)|(?<=[0-9]番地)|(?<=[0-9]番)|(?<=[0-9]の)|(?<=[0-9]番地の)|(?<=[0-9]番の)|(?<=[0-9]-))"
    r"[〇一二三四五六七八九十百千]+(?![\u3400-\u9fff])"
)
_DIGITS = {"〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
# A block address: numbers joined by 丁目/番地/番/号/の or hyphens, e.g. 1丁目2番3号, 1-2-3, 123番地の4.
_BLOCK = re.compile(r"[0-9]+(?:(?:丁目|番地の|番地|番|号|の|-)[0-9]+)*(?:丁目|番地|番|号)?")
_NUMBER = re.compile(r"[0-9]+")
# A number followed by one of these is part of a place name (一番町, 北1条西, 第2地割), not the block.
_PLACE_NAME_FOLLOWERS = frozenset("町村条線区通丁地")
_ROOM = re.compile(r"([0-9]+(?:-[0-9]+)*)\s*(?:号室|号|室)?\s*$")
_SPACES = re.compile(r"\s+")
_MUNICIPAL_SUFFIXES = frozenset("市区町村郡")
# Kana written either way inside town names: 自由が丘 = 自由ヶ丘 = 自由ケ丘, 霞の浦 = 霞ノ浦.
_TOWN_KANA = str.maketrans({"ヶ": "ケ", "ヵ": "ケ", "が": "ケ", "ガ": "ケ", "の": "ノ", "之": "ノ"})


def kanji_number(text: str) -> int:
    """二十三 → 23, 百二 → 102, 一〇三 → 103 (positional), 十 → 10."""
    if not any(ch in _UNITS for ch in text):
        value = 0
        for ch in text:
            value = value * 10 + _DIGITS[ch]
        return value
    total = current = 0
    for ch in text:
        if ch in _DIGITS:
            current = current * 10 + _DIGITS[ch]
        else:
            total += (current or 1) * _UNITS[ch]
            current = 0
    return total + current


def _kanji_digits(match: re.Match) -> str:
    return str(kanji_number(match.group()))


def _clean_chars(raw: str) -> str:
    """First half of `_clean_text`: NFKC, invisible characters, hyphen forms (all per character)."""
    text = unicodedata.normalize("NFKC", raw)
    if not text.isprintable():  # zero-width, bidi and control characters
        text = "".join(ch if ch.isprintable() else (" " if ch.isspace() else "") for ch in text)
    if _HAS_HYPHEN.search(text):
        text = text.translate(_HYPHENS)
    return text


def _clean_numbers(text: str) -> str:
    """Second half of `_clean_text` (postal code aside): long marks between digits, kanji numerals."""
    if "ー" in text or "ｰ" in text:
        text = _LONG_MARK_AS_HYPHEN.sub("-", text)
    if _HAS_KANJI_NUMERAL.search(text):  # neither pattern can match without a numeral
        text = _KANJI_NUMERAL.sub(_kanji_digits, text)
        text = _KANJI_NUMERAL_AFTER.sub(_kanji_digits, text)
    return text


def _clean_text(raw: str) -> str:
    text = _clean_numbers(_clean_chars(raw))
    if "〒" in text:
        while (stripped := _POSTAL_CODE.sub("", text, count=1)) != text:
            text = stripped
    return text


def _strip_number(n: str) -> str:
    return n.lstrip("0") or "0"


@lru_cache(maxsize=1 << 12)
def _clean_town(text: str) -> str:
    # NFKC again: removing a space can leave a letter next to a combining mark (A ´ → Á).
    town = unicodedata.normalize("NFKC", _SPACES.sub("", text)).translate(_TOWN_KANA)
    while True:
        before = town
        town = _PREFECTURE.sub("", town, count=1)
        town = _COUNTY.sub("", town, count=1)
        town = town.replace("大字", "")
        if town == before:
            return town


@dataclass(frozen=True, slots=True)
class Address:
    """A parsed address. `block` is (丁目, 番, 号) or (番地, 号) as digit strings, without leading zeros."""

    town: str
    block: tuple[str, ...]
    building: str
    room: str

    @property
    def canonical(self) -> str:
        text = self.town + "-".join(self.block)
        if self.building:
            text += " " + self.building
        if self.room:
            text += " " + self.room
        return text

    @property
    def block_text(self) -> str:
        return "-".join(self.block)

    @property
    def is_empty(self) -> bool:
        return not (self.town or self.block or self.building or self.room)

    def block_key(self) -> str:
        """Key for blocking: the end of the town name plus the block numbers.

        Only the last two characters of the town are used, so 小金井市本町 and 本町 (municipality
        left out) give the same key; the block numbers keep the block small.
        """
        if not self.block:
            return ""
        return f"{self.town[-2:]}{self.block_text}"


EMPTY_ADDRESS = Address("", (), "", "")
make_address = slots_constructor(Address)  # Address(town, block, building, room), faster


@lru_cache(maxsize=1 << 15)
def parse_address(raw: str | None) -> Address:
    """Parse an address in any notation. Parsing is repeated on its own canonical text until that no
    longer changes (once more at most, in practice): removing spaces can make new notation appear
    (一 丁目 → 一丁目), and the canonical text must parse to itself.

    Cached (addresses repeat: households, dormitories); `Address` is immutable."""
    if not raw:
        return EMPTY_ADDRESS
    pieces = _parse_pieces(raw)
    if pieces is None:
        address = _parse_once(raw)
    else:
        address, settled = pieces
        if settled:  # the loop below would parse the canonical text back to the same address
            return address
    for _ in range(_MAX_PASSES):
        text = address.canonical
        if text == raw:
            break
        raw, address = text, _parse_fast(text)
    return address


_MAX_PASSES = 5


def _parse_once(raw: str) -> Address:
    """One parse of the whole text (the reference; `_parse_fast` gives the same result piecewise)."""
    text = _clean_text(raw)
    for match in _BLOCK.finditer(text):
        follower = text[match.end() : match.end() + 1]
        if follower in _PLACE_NAME_FOLLOWERS:
            continue
        numbers = [_strip_number(n) for n in _NUMBER.findall(match.group())]
        block, extra = tuple(numbers[:3]), numbers[3:]  # 1-2-3-101: a 4th number is the room
        building, room = _split_building(text[match.end() :])
        if extra:
            room = "-".join(extra + ([room] if room else []))
        return Address(_clean_town(text[: match.start()]), block, building, room)
    return Address(_clean_town(text), (), "", "")


# --- piecewise parsing ---------------------------------------------------------------------------
#
# `_parse_fast(raw)` equals `_parse_once(raw)`, but computes it from pieces that recur across people
# and are cached: town part, block part, building part. Written this way (東京都小金井市本町 | 1丁目2番3号 |
# 　コーポ本町 | 101号室), and in canonical text (小金井市本町 | 1-2-3 | コーポ本町 | 101), nearly every
# address is such a combination. Anything the argument below does not cover goes to `_parse_once`.
#
# raw = U + V + X + R: U up to the first ASCII digit, V from there to the first space (" " or
# "　", or the end), X the rest but R, R the final `digits[号室|号|室]`. Why the pieces may be
# cleaned (`_clean_text`) one by one and the result is the same:
# - NFKC does not act across the joins: each piece after the first starts with a space or an ASCII
#   digit, starters that never compose with what precedes them. The other steps map characters one
#   by one, or are patterns that cannot match across a join: V must be a whole block address
#   (digits and 丁目/番地/番/号/の/-, which cleaning leaves alone), R is digits and 号室, X starts
#   with a space that no lookbehind or lookahead of those patterns accepts; a kanji numeral at the
#   end of U or X sees a digit after it when joined and nothing alone: no match either way. A long
#   mark at the end of U or X could become a hyphen before a digit: such pieces are not used.
# - The postal code pattern only looks at the start: cleaned U must not contain 〒.
# - Cleaned U has no ASCII digit, so the first block address of the text starts at V; it takes all
#   of V (checked) and cannot go on into a space: the block numbers are V's, the town is U's.
# - The room pattern finds R's digits when cleaned X does not end with a digit or hyphen (nothing
#   can then join them), so the building is cleaned X without spaces, the room R's number.

_FIRST_SPACE = re.compile("[ \u3000]")
_FIRST_DIGIT = re.compile("[0-9]")
_ROOM_AT_END = re.compile(r"([0-9]+)(?:号室|号|室)?\Z")
_JOINING = frozenset("0123456789-")


def _parse_fast(raw: str) -> Address:
    """Same as `_parse_once(raw)`."""
    pieces = _parse_pieces(raw)
    return _parse_once(raw) if pieces is None else pieces[0]


def _parse_pieces(raw: str) -> tuple[Address, bool] | None:
    """`_parse_once(raw)` from its pieces, and whether it is settled (see `_settles`); None when the
    text is not made of such pieces."""
    space = _FIRST_SPACE.search(raw)
    head, tail = (raw[: space.start()], raw[space.start() :]) if space else (raw, "")
    digit = _FIRST_DIGIT.search(head)
    if digit is None:
        return None
    town_part = _town_part(head[: digit.start()])
    if town_part is None:
        return None
    block_part = _block_part(head[digit.start() :])
    if block_part is None:
        return None
    town, settled = town_part
    block, extra = block_part
    if not tail:
        building = room = ""
    elif (room_match := _ROOM_AT_END.search(tail)) and (
        building_part := _building_part(tail[: room_match.start()])
    ) is not None:
        building, building_settles = building_part
        room = _strip_number(room_match.group(1))
        settled = settled and (building_settles or not building)
    else:
        building, room = _tail_whole(tail)
        settled = False  # not known
    if extra:
        room = "-".join([*extra, room] if room else extra)
        settled = False  # not known
    return make_address(town, block, building, room), settled


# Canonical text is town + "1-2-3" [+ " " + building] [+ " " + room]: its pieces U, V, X, R are the
# town, the block, " building " (or " ") and the room. It parses back to the same address (is
# "settled") when each piece gives back its part: the town when it has no space or ASCII digit (the
# pieces split where they should) and `_town_of` keeps it; the block always (its numbers have no
# leading zeros, 3 at most); the room when it is digits without leading zeros (as `_strip_number`
# leaves R's), or there is neither room nor building (without a room, a building ending in a digit
# would lose it to the room: not settled here); the building when `_building_of(" " + it + " ")`
# keeps it (" " alone gives "").


@lru_cache(maxsize=1 << 14)
def _town_part(text: str) -> tuple[str, bool] | None:
    """The town of U and whether it is settled; None when U cannot be cleaned on its own."""
    town = _town_of(text)
    if town is None:
        return None
    return town, _FIRST_SPACE.search(town) is None and _FIRST_DIGIT.search(town) is None and _town_of(
        town
    ) == town


def _town_of(text: str) -> str | None:
    text = _clean_chars(text)
    if text.endswith(("ー", "ｰ")):
        return None
    text = _clean_numbers(text)
    if "〒" in text or _FIRST_DIGIT.search(text):
        return None
    return _clean_town(text)


@lru_cache(maxsize=1 << 15)
def _block_part(text: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """Block numbers and any further numbers of V, or None when V is not one whole block address."""
    match = _BLOCK.match(text)
    if match is None or match.end() != len(text):
        return None
    numbers = [_strip_number(n) for n in _NUMBER.findall(text)]
    return tuple(numbers[:3]), tuple(numbers[3:])


@lru_cache(maxsize=1 << 15)
def _building_part(text: str) -> tuple[str, bool] | None:
    """The building of X and whether it is settled; None when X cannot be cleaned on its own or
    could join R's number."""
    building = _building_of(text)
    if building is None:
        return None
    return building, _building_of(f" {building} ") == building


def _building_of(text: str) -> str | None:
    text = _clean_chars(text)
    if text.endswith(("ー", "ｰ")):
        return None
    text = _clean_numbers(text)
    if not text or text[-1] in _JOINING:
        return None
    return unicodedata.normalize("NFKC", _SPACES.sub("", text)).strip("-")


@lru_cache(maxsize=1 << 13)
def _tail_whole(tail: str) -> tuple[str, str]:
    # No postal code step: in the whole text it only ever applies at the start, before U.
    return _split_building(_clean_numbers(_clean_chars(tail)))


def _split_building(rest: str) -> tuple[str, str]:
    rest = rest.strip()
    room = ""
    if match := _ROOM.search(rest):
        room = "-".join(_strip_number(n) for n in match.group(1).split("-"))
        rest = rest[: match.start()]
    building = unicodedata.normalize("NFKC", _SPACES.sub("", rest)).strip("-")
    return building, room


def normalize_address(raw: str | None) -> str:
    """Canonical address text, e.g. 東京都小金井市本町一丁目2番3号 コーポ本町101号室 → 小金井市本町1-2-3 コーポ本町 101.

    Idempotent: normalising the canonical text gives it back.
    """
    return parse_address(raw).canonical


def towns_agree(a: str, b: str) -> bool:
    """Same town, allowing one side to leave out the municipality (小金井市本町 = 本町, but 中本町 ≠ 本町)."""
    if a == b:
        return True
    if len(a) < len(b):
        a, b = b, a
    if len(b) < 2 or not a.endswith(b):
        return False
    return a[len(a) - len(b) - 1] in _MUNICIPAL_SUFFIXES


def rooms_agree(a: Address, b: Address) -> bool:
    """Building and room agree; a building name left out on one side is tolerated when the rooms agree."""
    if a.room != b.room:
        return False
    if a.building == b.building:
        return True
    return bool(a.room) and not (a.building and b.building)
