"""Reply deadlines (回答期限): the first reminder's at least one month after sending (the legal
condition for ex officio withdrawal, DOMAIN §3), the second's at least 14 days; the day counts
are settings. A deadline is always a day the office is open (開庁日): a weekend, a national
holiday (祝日・振替休日・国民の休日, from the maintained `holidays` package) or the year-end
closure (年末年始, 29 December to 3 January) moves it to the next open day, so a resident told
"Monday to Friday" can always come on the last day."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import holidays
from django.conf import settings

# 年末年始の休庁: the closure every Japanese municipal office keeps (行政機関の休日に関する法律 §1).
YEAR_END_CLOSURE = ((12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3))


def add_months(value: date, months: int) -> date:
    month0 = value.month - 1 + months
    year, month = value.year + month0 // 12, month0 % 12 + 1
    for day in (value.day, 31, 30, 29, 28):
        if day <= value.day:
            try:
                return date(year, month, day)
            except ValueError:
                continue
    raise AssertionError("unreachable")


@cache
def _national_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("JP", years=year)


def closed_reason(day: date) -> str | None:
    """Why the office is closed on `day` (Japanese, for a clerk), or None when it is open."""
    if (day.month, day.day) in YEAR_END_CLOSURE:
        return "年末年始の休庁日"
    if day.weekday() == 5:
        return "土曜日"
    if day.weekday() == 6:
        return "日曜日"
    name = _national_holidays(day.year).get(day)
    if name:
        return f"祝日（{name}）"
    return None


def is_open_day(day: date) -> bool:
    return closed_reason(day) is None


def next_open_day(day: date) -> date:
    """`day` itself if the office is open then, else the first open day after it."""
    while not is_open_day(day):
        day += timedelta(days=1)
    return day


def deadline_for(sent_on: date, *, second: bool) -> date:
    """The reply deadline of a letter sent (or issued) on `sent_on`: the legal minimum, moved to
    the next open day. Moving only lengthens it, so the minimum still holds; and a later sending
    date never gives an earlier deadline (letters_mark_sent relies on that)."""
    if second:
        minimum = sent_on + timedelta(days=max(14, settings.NHI_SECOND_REMINDER_DAYS))
    else:
        minimum = max(sent_on + timedelta(days=settings.NHI_FIRST_REMINDER_DAYS), add_months(sent_on, 1))
    return next_open_day(minimum)
