"""Reply deadlines (回答期限) a resident can meet: always a day the office is open (no weekend,
no national holiday, not 29 December to 3 January), and still at least the legal month (first
reminder) or 14 days (second) after sending."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from enrollment.cases.deadlines import add_months, closed_reason, deadline_for, is_open_day, next_open_day

EVERY_DAY_2026_2028 = [
    date(2026, 1, 1) + timedelta(days=n) for n in range((date(2029, 1, 1) - date(2026, 1, 1)).days)
]


@pytest.mark.parametrize("second", [False, True], ids=["first", "second"])
def test_every_sending_date_of_2026_to_2028_gives_an_open_day_at_least_the_legal_time_away(second):
    previous = None
    for sent in EVERY_DAY_2026_2028:
        deadline = deadline_for(sent, second=second)
        assert is_open_day(deadline), (sent, deadline, closed_reason(deadline))
        assert deadline.weekday() < 5 and (deadline.month, deadline.day) not in {(12, 29), (12, 30), (12, 31)}
        if second:
            assert deadline >= sent + timedelta(days=14), sent
        else:
            assert deadline >= add_months(sent, 1), sent  # the legal month (ex officio condition)
            assert deadline >= sent + timedelta(days=31), sent
        # Sent a day later never gives an earlier deadline (sending a printed batch late is refused
        # by comparing the two).
        assert previous is None or deadline >= previous, sent
        # … and it is the first open day on or after the minimum: nobody waits longer than needed.
        minimum = sent + timedelta(days=14) if second else max(sent + timedelta(days=31), add_months(sent, 1))
        assert all(not is_open_day(minimum + timedelta(days=n)) for n in range((deadline - minimum).days))
        previous = deadline


def test_the_dates_of_the_bug_report_move_to_the_next_open_day():
    # Sent on 2026-10-01: 31 days is Sunday 1 November → Monday 2 November.
    assert deadline_for(date(2026, 10, 1), second=False) == date(2026, 11, 2)
    # Sent on 2026-12-01: 1 January, then the year-end closure and a weekend → Monday 4 January.
    assert deadline_for(date(2026, 12, 1), second=False) == date(2027, 1, 4)


def test_no_weekday_sending_date_of_2027_gives_a_weekend_deadline():
    weekdays = [d for d in EVERY_DAY_2026_2028 if d.year == 2027 and d.weekday() < 5]
    assert len(weekdays) == 261
    assert [d for d in weekdays if deadline_for(d, second=False).weekday() >= 5] == []


def test_holidays_come_from_the_holiday_library_with_substitute_days():
    assert closed_reason(date(2026, 5, 6)) == "祝日（振替休日）"  # Constitution Day fell on a Sunday
    assert closed_reason(date(2026, 9, 22)) == "祝日（国民の休日）"  # between two holidays
    assert closed_reason(date(2027, 1, 11)) == "祝日（成人の日）"  # second Monday of January
    assert closed_reason(date(2026, 12, 29)) == "年末年始の休庁日"  # a Tuesday, but closed
    assert closed_reason(date(2027, 1, 3)) == "年末年始の休庁日"
    assert closed_reason(date(2026, 11, 7)) == "土曜日"
    assert closed_reason(date(2027, 1, 5)) is None
    assert next_open_day(date(2026, 12, 28)) == date(2026, 12, 28)  # the last open day of the year
    assert next_open_day(date(2026, 12, 29)) == date(2027, 1, 4)
