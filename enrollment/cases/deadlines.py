"""Reply deadlines (回答期限): the first reminder's at least one month after sending (the legal
condition for ex officio withdrawal, DOMAIN §3), the second's at least 14 days; the day counts
are settings."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings


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


def deadline_for(sent_on: date, *, second: bool) -> date:
    if second:
        return sent_on + timedelta(days=max(14, settings.NHI_SECOND_REMINDER_DAYS))
    return max(sent_on + timedelta(days=settings.NHI_FIRST_REMINDER_DAYS), add_months(sent_on, 1))
