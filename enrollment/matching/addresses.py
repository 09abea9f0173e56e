"""Japanese address normalisation for record linkage: one canonical notation, split into town, block
address (丁目-番-号 / 番地-号) and building/room, so each part can be compared on its own. No Django.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

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
_HYPHENS = str.maketrans(dict.fromkeys("‐‑‒–—―−﹣－⁃", "-"))
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


def _clean_text(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw)
    if not text.isprintable():  # zero-width, bidi and control characters
        text = "".join(ch if ch.isprintable() else (" " if ch.isspace() else "") for ch in text)
    text = text.translate(_HYPHENS)
    text = _LONG_MARK_AS_HYPHEN.sub("-", text)
    text = _KANJI_NUMERAL.sub(lambda m: str(kanji_number(m.group())), text)
    text = _KANJI_NUMERAL_AFTER.sub(lambda m: str(kanji_number(m.group())), text)
    while (stripped := _POSTAL_CODE.sub("", text, count=1)) != text:
        text = stripped
    return text


def _strip_number(n: str) -> str:
    return n.lstrip("0") or "0"


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
        for part in (self.building, self.room):
            if part:
                text += " " + part
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


def parse_address(raw: str | None) -> Address:
    """Parse an address in any notation. Parsing is repeated on its own canonical text until that no
    longer changes (once more at most, in practice): removing spaces can make new notation appear
    (一 丁目 → 一丁目), and the canonical text must parse to itself."""
    if not raw:
        return EMPTY_ADDRESS
    address = _parse_once(raw)
    for _ in range(_MAX_PASSES):
        text = address.canonical
        if text == raw:
            break
        raw, address = text, _parse_once(text)
    return address


_MAX_PASSES = 5


def _parse_once(raw: str) -> Address:
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
