"""The languages letters are printed in: which one a resident gets, its `lang` tag, its fonts and
how it writes a date. Pure Python; no Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from nhi_portal.domain.wareki import format_wareki

# fc-list family names (Debian fonts-noto-cjk, fonts-noto-core). Every stack ends in the Latin and
# Japanese fonts because a foreign-language sentence carries Latin digits, the office's Japanese
# name and Japanese document names (在留カード) — those runs are tagged lang="ja" (see
# `catalogue.tag_japanese_runs`), the Latin ones fall through to Noto Sans.
NOTO_SANS = "Noto Sans"
NOTO_CJK_JP = "Noto Sans CJK JP"
NOTO_CJK_SC = "Noto Sans CJK SC"
NOTO_MYANMAR = "Noto Sans Myanmar"
NOTO_DEVANAGARI = "Noto Sans Devanagari"


@dataclass(frozen=True)
class Language:
    code: str  # BCP 47 tag: the `lang` attribute and the catalogue file name (zh-Hans.json)
    name_en: str
    css_class: str  # selects the font stack in letters.css
    fonts: tuple[str, ...]  # CSS font-family stack, first font first
    name_ja: str = ""  # for staff: the cover sheet, the letters page


LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in (
        Language("ja", "Japanese", "ja", (NOTO_CJK_JP,), "日本語"),
        Language("en", "English", "lat", (NOTO_SANS, NOTO_CJK_JP), "英語"),
        Language("vi", "Vietnamese", "lat", (NOTO_SANS, NOTO_CJK_JP), "ベトナム語"),
        Language("id", "Indonesian", "lat", (NOTO_SANS, NOTO_CJK_JP), "インドネシア語"),
        Language("my", "Burmese", "my", (NOTO_MYANMAR, NOTO_SANS, NOTO_CJK_JP), "ミャンマー語"),
        Language("zh-Hans", "Chinese (simplified)", "zh", (NOTO_CJK_SC,), "中国語（簡体字）"),
        Language("ne", "Nepali", "ne", (NOTO_DEVANAGARI, NOTO_SANS, NOTO_CJK_JP), "ネパール語"),
    )
}
JAPANESE = LANGUAGES["ja"]
FOREIGN_LANGUAGES: tuple[str, ...] = tuple(code for code in LANGUAGES if code != "ja")

# ISO 3166-1 alpha-2 → letter language. Any other foreign nationality gets English.
_BY_NATIONALITY = {"VN": "vi", "ID": "id", "MM": "my", "CN": "zh-Hans", "NP": "ne", "PH": "en"}


def language_for_nationality(nationality: str | None) -> str | None:
    """The second language of a letter, or None for a Japanese-only letter.

    Japanese nationals get Japanese only. An unknown nationality (empty) gets English too: the
    people these letters go to are foreign residents, and English costs nothing to add.
    """
    code = (nationality or "").strip().upper()
    if code == "JP":
        return None
    return _BY_NATIONALITY.get(code, "en")


_EN_MONTHS = ("January February March April May June July August September October November December").split()
_ID_MONTHS = "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember".split()
_MY_MONTHS = (
    "ဇန်နဝါရီ",
    "ဖေဖော်ဝါရီ",
    "မတ်",
    "ဧပြီ",
    "မေ",
    "ဇွန်",
    "ဇူလိုင်",
    "ဩဂုတ်",
    "စက်တင်ဘာ",
    "အောက်တိုဘာ",
    "နိုဝင်ဘာ",
    "ဒီဇင်ဘာ",
)
_NE_MONTHS = (
    "जनवरी",
    "फेब्रुअरी",
    "मार्च",
    "अप्रिल",
    "मे",
    "जुन",
    "जुलाई",
    "अगस्ट",
    "सेप्टेम्बर",
    "अक्टोबर",
    "नोभेम्बर",
    "डिसेम्बर",
)
_MY_DIGITS = str.maketrans("0123456789", "၀၁၂၃၄၅၆၇၈၉")
_NE_DIGITS = str.maketrans("0123456789", "०१२३४५६७८९")


def format_date(value: date, lang: str) -> str:
    """A date as people write it in `lang`. Japanese: 令和8年（2026年）12月25日."""
    d, m, y = value.day, value.month, value.year
    match lang:
        case "ja":
            return format_wareki(value)
        case "en":
            return f"{_EN_MONTHS[m - 1]} {d}, {y}"
        case "vi":
            return f"ngày {d} tháng {m} năm {y}"
        case "id":
            return f"{d} {_ID_MONTHS[m - 1]} {y}"
        case "zh-Hans":
            return f"{y}年{m}月{d}日"
        case "my":
            return f"{y} ခုနှစ် {_MY_MONTHS[m - 1]}လ {d} ရက်".translate(_MY_DIGITS)
        case "ne":
            return f"सन् {y} {_NE_MONTHS[m - 1]} {d}".translate(_NE_DIGITS)
    raise ValueError(f"unknown letter language: {lang}")
