"""Japanese era dates (和暦): parse every notation the ISA and municipal files use, and format
dates for letters as 令和8年（2026年）12月25日.

Pure Python; no Django. Parsing returns a `date` or raises `DateProblem` with a Japanese reason.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Era:
    name: str  # 令和
    letter: str  # R
    number: int  # legacy 7-digit era code: 1=明治 … 5=令和
    first_year: int  # Western year of era year 1
    start: date  # first day of the era
    end: date | None  # last day, None for the current era


ERAS: tuple[Era, ...] = (
    Era("明治", "M", 1, 1868, date(1868, 1, 25), date(1912, 7, 29)),
    Era("大正", "T", 2, 1912, date(1912, 7, 30), date(1926, 12, 24)),
    Era("昭和", "S", 3, 1926, date(1926, 12, 25), date(1989, 1, 7)),
    Era("平成", "H", 4, 1989, date(1989, 1, 8), date(2019, 4, 30)),
    Era("令和", "R", 5, 2019, date(2019, 5, 1), None),
)
_BY_KEY = {e.name: e for e in ERAS} | {e.letter: e for e in ERAS} | {str(e.number): e for e in ERAS}


class DateProblem(ValueError):
    """A value that is not a real date; `reason` is a Japanese sentence for the batch report."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_WESTERN = re.compile(r"^(\d{4})(?:[/\-.](\d{1,2})[/\-.](\d{1,2})|年(\d{1,2})月(\d{1,2})日?)$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_ERA_KANJI = re.compile(r"^(明治|大正|昭和|平成|令和)(元|\d{1,2})年(\d{1,2})月(\d{1,2})日?$")
_ERA_LETTER = re.compile(r"^([MTSHR])(元|\d{1,2})[./\-](\d{1,2})[./\-](\d{1,2})$")
_ERA_NUMERIC = re.compile(r"^([1-5])(\d{2})(\d{2})(\d{2})$")


def _clean(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw).strip().upper()
    return re.sub(r"\s+", "", text)


def _make(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateProblem(f"{year}年{month}月{day}日は存在しない日付です") from None


def era_to_date(era: Era, era_year: int, month: int, day: int) -> date:
    if era_year < 1:
        raise DateProblem(f"{era.name}{era_year}年という年はありません（元年は1年です）")
    value = _make(era.first_year + era_year - 1, month, day)
    if value < era.start or (era.end is not None and value > era.end):
        span = f"{era.start:%Y-%m-%d}〜{era.end:%Y-%m-%d}" if era.end else f"{era.start:%Y-%m-%d}〜"
        raise DateProblem(f"{era.name}{era_year}年{month}月{day}日は{era.name}の期間（{span}）の外です")
    return value


def parse_date(raw: str) -> date:
    """Parse YYYYMMDD, YYYY/MM/DD, YYYY-MM-DD, YYYY年M月D日, 令和6年4月1日, R6.4.1, 5060401."""
    text = _clean(raw)
    if not text:
        raise DateProblem("日付が空です")
    if m := _COMPACT.match(text):
        return _make(int(m[1]), int(m[2]), int(m[3]))
    if m := _WESTERN.match(text):
        month, day = (m[2], m[3]) if m[2] else (m[4], m[5])
        return _make(int(m[1]), int(month), int(day))
    for pattern in (_ERA_KANJI, _ERA_LETTER):
        if m := pattern.match(text):
            era_year = 1 if m[2] == "元" else int(m[2])
            return era_to_date(_BY_KEY[m[1]], era_year, int(m[3]), int(m[4]))
    if m := _ERA_NUMERIC.match(text):
        return era_to_date(_BY_KEY[m[1]], int(m[2]), int(m[3]), int(m[4]))
    raise DateProblem("日付として読めません（例: 20240401、2024/04/01、令和6年4月1日、R6.4.1）")


def era_of(value: date) -> Era:
    for era in reversed(ERAS):
        if value >= era.start:
            return era
    raise ValueError("dates before 明治 are not supported")


def format_wareki(value: date, *, with_western: bool = True) -> str:
    """令和8年（2026年）12月25日 — the form letters use. Year 1 is written 元年."""
    era = era_of(value)
    era_year = value.year - era.first_year + 1
    year_text = "元" if era_year == 1 else str(era_year)
    western = f"（{value.year}年）" if with_western else ""
    return f"{era.name}{year_text}年{western}{value.month}月{value.day}日"


def format_wareki_short(value: date) -> str:
    """R8.12.25 — compact form for tables."""
    era = era_of(value)
    return f"{era.letter}{value.year - era.first_year + 1}.{value.month}.{value.day}"
