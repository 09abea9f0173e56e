"""Places for the synthetic register: municipalities, wards, towns (町名 with 丁目), postal codes,
building and dormitory names, and the Japanese address notations (register form and the ways an
ISA file writes the same address). Pure Python, no Django.

Only 小金井市 (132101) and 横浜市 (141003, five wards) have real town names; any other valid code
gets a generic town list (本町, 栄町, …) and postal codes derived from the code. Postal codes for
小金井市 are the real ones of its towns; the others are plausible, not looked up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

PREFECTURES = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県", "群馬県",
    "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県",
    "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県",
    "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県", "香川県", "愛媛県", "高知県", "福岡県",
    "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
)  # fmt: skip


def lg_check_digit(first_five: str) -> int:
    """全国地方公共団体コード check digit: weights 6..2, r = sum mod 11, (11 - r) mod 10."""
    total = sum(int(d) * w for d, w in zip(first_five, (6, 5, 4, 3, 2), strict=True))
    return (11 - total % 11) % 10


def is_valid_lg_code(code: str) -> bool:
    return (
        len(code) == 6
        and code.isascii()
        and code.isdigit()
        and 1 <= int(code[:2]) <= 47
        and lg_check_digit(code[:5]) == int(code[5])
    )


def with_check_digit(first_five: str) -> str:
    return f"{first_five}{lg_check_digit(first_five)}"


@dataclass(frozen=True, slots=True)
class Town:
    name: str  # 本町
    chome: int  # number of 丁目; 0 = no 丁目 (番地 notation)
    postal_code: str  # 7 digits
    weight: float = 1.0  # relative number of residents


@dataclass(frozen=True, slots=True)
class District:
    """The municipality itself, or one ward (区) of a designated city."""

    lg_code: str
    name: str  # ward name, "" for an ordinary city
    towns: tuple[Town, ...]


@dataclass(frozen=True, slots=True)
class Municipality:
    lg_code: str
    prefecture: str
    name: str  # 小金井市
    districts: tuple[District, ...]

    @property
    def stem(self) -> str:
        """The name without 市/区/町/村 (小金井), used in building names."""
        return self.name[:-1] if len(self.name) > 2 else self.name


_KOGANEI_TOWNS = (
    Town("本町", 6, "1840004", 1.4),
    Town("中町", 4, "1840012", 1.0),
    Town("前原町", 5, "1840013", 1.3),
    Town("東町", 5, "1840011", 1.3),
    Town("梶野町", 5, "1840002", 1.0),
    Town("緑町", 5, "1840003", 1.1),
    Town("貫井北町", 5, "1840015", 1.1),
    Town("貫井南町", 5, "1840014", 1.0),
    Town("桜町", 3, "1840005", 0.6),
    Town("関野町", 2, "1840001", 0.4),
)

_YOKOHAMA_WARDS = (
    ("14101", "鶴見区", "230", (("鶴見中央", 5), ("生麦", 5), ("潮田町", 3), ("豊岡町", 0))),
    ("14102", "神奈川区", "221", (("反町", 4), ("六角橋", 6), ("子安通", 3), ("白楽", 0))),
    ("14103", "西区", "220", (("戸部町", 7), ("岡野", 2), ("平沼", 2), ("高島", 2))),
    ("14104", "中区", "231", (("石川町", 5), ("寿町", 4), ("本牧町", 2), ("山下町", 0))),
    ("14105", "南区", "232", (("六ツ川", 4), ("永田東", 3), ("弘明寺町", 0), ("井土ケ谷下町", 0))),
)

_GENERIC_TOWNS = (
    ("本町", 4), ("栄町", 3), ("緑町", 3), ("旭町", 3), ("東町", 4), ("西町", 3), ("南町", 3),
    ("北町", 2), ("中央", 5), ("若葉町", 2), ("幸町", 3), ("桜町", 2), ("上原", 0),
)  # fmt: skip


def _synthetic_towns(seed_code: str, area: str, towns=_GENERIC_TOWNS) -> tuple[Town, ...]:
    """Towns with plausible postal codes: 3 digits from the area, 4 from the town's position."""
    return tuple(
        Town(name, chome, f"{area}{(int(seed_code) * 7 + 11 * i) % 90 + 1:02d}{i:02d}", 1.0)
        for i, (name, chome) in enumerate(towns, start=1)
    )


def municipality_for(lg_code: str, wards=None) -> Municipality:
    """The place table for `lg_code`; `wards` (pairs of ward code and name) overrides the wards."""
    if not is_valid_lg_code(lg_code):
        raise ValueError(f"not a valid 6-digit municipality code with check digit: {lg_code!r}")
    prefecture = PREFECTURES[int(lg_code[:2]) - 1]
    area = f"{(int(lg_code[:2]) * 37) % 900 + 100:03d}"
    if wards:
        districts = []
        for i, (code, name) in enumerate(wards):
            if not is_valid_lg_code(code):
                raise ValueError(f"not a valid ward code: {code!r}")
            districts.append(
                District(code, name, _synthetic_towns(code, f"{(int(area) + i) % 900 + 100:03d}"))
            )
        city = "横浜市" if lg_code == "141003" else "デモ市"
        return Municipality(lg_code, prefecture, city, tuple(districts))
    if lg_code == "132101":
        return Municipality(lg_code, "東京都", "小金井市", (District(lg_code, "", _KOGANEI_TOWNS),))
    if lg_code == "141003":
        districts = tuple(
            District(with_check_digit(code), name, _synthetic_towns(code, postal, towns))
            for code, name, postal, towns in _YOKOHAMA_WARDS
        )
        return Municipality(lg_code, "神奈川県", "横浜市", districts)
    return Municipality(
        lg_code, prefecture, "デモ市", (District(lg_code, "", _synthetic_towns(lg_code, area)),)
    )


# --- buildings ---------------------------------------------------------------------------------

APARTMENT_PREFIXES = (
    "サンハイツ", "グリーンハイツ", "コーポ", "メゾン", "ハイツ", "パレス", "レジデンス", "ヴィラ",
    "シャトー", "エスポワール", "プラザ", "グランド", "ロイヤル", "フォレスト", "リバーサイド", "ライオンズ",
)  # fmt: skip
APARTMENT_SUFFIXES = ("", "", "", "II", "III", "壱番館", "弐番館", "A", "B", "東", "西")
APARTMENT_STEMS = ("さくら", "ひかり", "みどり", "けやき", "あおば", "ゆりの木", "すずらん", "コスモス")
DORMITORY_FORMS = (
    "{town}寮", "{city}第一寮", "{city}第二寮", "ワーカーズハウス{town}", "シェアハウス{town}",
    "国際交流寮{town}", "{town}社員寮", "{city}研修センター寮",
)  # fmt: skip


def apartment_name(rnd, municipality: Municipality, town: Town) -> str:
    prefix = APARTMENT_PREFIXES[int(rnd() * len(APARTMENT_PREFIXES))]
    r = rnd()
    if r < 0.4:
        stem = town.name
    elif r < 0.65:
        stem = municipality.stem
    else:
        stem = APARTMENT_STEMS[int(rnd() * len(APARTMENT_STEMS))]
    return prefix + stem + APARTMENT_SUFFIXES[int(rnd() * len(APARTMENT_SUFFIXES))]


def dormitory_name(rnd, municipality: Municipality, town: Town) -> str:
    form = DORMITORY_FORMS[int(rnd() * len(DORMITORY_FORMS))]
    return form.format(town=town.name.removesuffix("町") or town.name, city=municipality.stem)


# --- addresses ---------------------------------------------------------------------------------


class Address(NamedTuple):
    """One place: a house (building "") or a room in an apartment or dormitory. A named tuple:
    millions are made, and equal tuples are the same place."""

    district: District
    town: Town
    chome: int  # 0 when the town has no 丁目
    ban: int
    go: int  # 0 = none (番地 form without a sub-number)
    building: str = ""
    room: str = ""  # e.g. "203"

    @property
    def lg_code(self) -> str:
        return self.district.lg_code

    @property
    def postal_code(self) -> str:
        return self.town.postal_code


def block_register(a: Address) -> str:
    """1丁目2番3号 (住居表示) or 123番地4 (地番) — the form the register keeps."""
    if a.chome:
        return f"{a.chome}丁目{a.ban}番{a.go}号"
    return f"{a.ban}番地{a.go}" if a.go else f"{a.ban}番地"


def register_address(m: Municipality, a: Address) -> str:
    """東京都小金井市本町1丁目2番3号　コーポ本町203号室"""
    text = f"{m.prefecture}{m.name}{a.district.name}{a.town.name}{block_register(a)}"
    if a.building:
        text += f"　{a.building}{a.room}号室" if a.room else f"　{a.building}"
    return text


_KANJI_DIGITS = "〇一二三四五六七八九"


def kanji_numeral(n: int) -> str:
    """23 → 二十三, 10 → 十, 105 → 百五 (the way addresses are written in kanji)."""
    if n <= 0:
        return "〇"
    parts = []
    for value, unit in ((1000, "千"), (100, "百"), (10, "十")):
        q, n = divmod(n, value)
        if q:
            parts.append(("" if q == 1 else _KANJI_DIGITS[q]) + unit)
    if n:
        parts.append(_KANJI_DIGITS[n])
    return "".join(parts)


_FULLWIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)} | {" ": "　"})


def to_fullwidth(text: str) -> str:
    return text.translate(_FULLWIDTH)


# How ISA files write an address differently from the register (all readable by a careful parser).
NOTATION_STYLES = ("hyphen", "no_prefecture", "fullwidth", "chome_hyphen", "long_mark", "no_space")


def isa_address(
    m: Municipality,
    a: Address,
    *,
    style: str | None = None,
    kanji_numerals: bool = False,
    drop_building: bool = False,
    drop_room: bool = False,
) -> str:
    """The address as an ISA file may write it. `style` None = the register notation."""
    prefix = m.prefecture + m.name + a.district.name
    if style == "no_prefecture":
        prefix = m.name + a.district.name
    if kanji_numerals:
        if a.chome:
            block = f"{kanji_numeral(a.chome)}丁目{kanji_numeral(a.ban)}番{kanji_numeral(a.go)}号"
        else:
            block = f"{kanji_numeral(a.ban)}番地" + (kanji_numeral(a.go) if a.go else "")
    elif style in ("hyphen", "no_prefecture", "fullwidth", "long_mark", "no_space"):
        numbers = [a.chome, a.ban, a.go] if a.chome else [a.ban, a.go]
        block = "-".join(str(n) for n in numbers if n)
        if style == "long_mark":  # typed with the long-vowel key instead of a hyphen
            block = block.replace("-", "ー")
    elif style == "chome_hyphen":
        block = f"{a.chome}丁目{a.ban}-{a.go}" if a.chome else (f"{a.ban}-{a.go}" if a.go else f"{a.ban}")
    else:
        block = block_register(a)
    text = prefix + a.town.name + block
    if a.building and not drop_building:
        room = "" if drop_room or not a.room else a.room
        if style is None or kanji_numerals:
            text += f"　{a.building}{room}号室" if room else f"　{a.building}"
        elif style == "no_space":
            text += f"{a.building}{room}"
        elif style == "no_prefecture":
            text += f"{a.building}{room}号室" if room else a.building
        else:
            text += f" {a.building}{room}" if room else f" {a.building}"
    if style == "fullwidth":
        text = to_fullwidth(text)
    return text
