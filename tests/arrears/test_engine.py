"""Arrears as of a date, computed by the database (PostgreSQL) or the Python reference (SQLite):
boundary dates, partial payments, refunds, corrections, prepayment, the 充当 rules."""

from datetime import date

import pytest

from arrears import engine
from tests.receipts.helpers import FY, HH, assess, correct, due_dates, pay

pytestmark = pytest.mark.django_db

JUNE_30, JULY_31 = due_dates()[0], due_dates()[1]


def arrears(municipality, as_of):
    return {
        h.household_head_code: h
        for h in engine.arrears_by_household(municipality_id=municipality.pk, as_of=as_of)
    }


def overdue(municipality, as_of):
    return [
        (o.fiscal_year, o.instalment, o.remainder)
        for o in engine.overdue_instalments(municipality_id=municipality.pk, as_of=as_of)
    ]


def test_an_instalment_due_today_is_not_yet_overdue(municipality):
    assess(municipality)
    assert arrears(municipality, JUNE_30) == {}
    found = arrears(municipality, date(2025, 7, 1))[HH]
    assert (found.overdue_instalments, found.overdue_amount, found.oldest_due_date) == (1, 10_000, JUNE_30)
    assert found.months_in_arrears == 1


def test_paid_on_the_due_date_is_on_time(municipality):
    assess(municipality)
    pay(municipality, instalment=1, amount=10_000, on=JUNE_30)
    assert arrears(municipality, date(2025, 7, 1)) == {}


def test_a_payment_counts_only_from_its_paid_date(municipality):
    assess(municipality)
    pay(municipality, instalment=1, amount=10_000, on=date(2025, 7, 10))
    assert overdue(municipality, date(2025, 7, 10)) == []  # paid that day: counts
    assert overdue(municipality, date(2025, 7, 9)) == [(FY, 1, 10_000)]


def test_a_partial_payment_leaves_the_remainder_overdue(municipality):
    assess(municipality)
    pay(municipality, instalment=1, amount=6_000, on=JUNE_30)
    found = arrears(municipality, date(2025, 8, 15))[HH]
    assert overdue(municipality, date(2025, 8, 15)) == [(FY, 1, 4_000), (FY, 2, 10_000)]
    assert (found.overdue_instalments, found.overdue_amount, found.months_in_arrears) == (2, 14_000, 2)


def test_a_refund_reduces_what_was_paid_towards_its_instalment(municipality):
    assess(municipality)
    pay(municipality, instalment=1, amount=10_000, on=JUNE_30)
    pay(municipality, instalment=1, amount=-3_000, on=date(2025, 9, 1))
    assert overdue(municipality, date(2025, 8, 31)) == [(FY, 2, 10_000)]
    assert overdue(municipality, date(2025, 9, 2)) == [(FY, 1, 3_000), (FY, 2, 10_000), (FY, 3, 10_000)]


def test_the_latest_correction_of_an_assessment_counts(municipality):
    assess(municipality)
    pay(municipality, instalment=1, amount=8_000, on=JUNE_30)
    assert overdue(municipality, date(2025, 7, 1)) == [(FY, 1, 2_000)]
    correct(municipality, HH, instalment=1, amount=8_000)  # 減額更正: now fully paid
    assert overdue(municipality, date(2025, 7, 1)) == []
    correct(municipality, HH, instalment=1, amount=12_000)  # corrected again, upward
    assert overdue(municipality, date(2025, 7, 1)) == [(FY, 1, 4_000)]


def test_an_overpayment_flows_to_the_next_unpaid_instalments_of_the_same_year(municipality):
    assess(municipality)
    assess(municipality, fiscal_year=2024)
    pay(municipality, instalment=1, amount=25_000, on=JUNE_30)  # 1 and 2 paid, half of 3
    pay(
        municipality, instalment=10, fiscal_year=2024, amount=30_000, on=date(2025, 3, 31)
    )  # nothing flows to FY2025
    assert (2025, 3, 5_000) in overdue(municipality, date(2025, 10, 1))
    assert [(y, k) for y, k, _ in overdue(municipality, date(2025, 10, 1)) if y == FY] == [(FY, 3), (FY, 4)]


def test_a_payment_named_for_a_later_instalment_does_not_pay_an_earlier_one(municipality):
    assess(municipality)
    pay(municipality, instalment=2, amount=20_000, on=JUNE_30)
    assert overdue(municipality, date(2025, 8, 15)) == [(FY, 1, 10_000)]


def test_a_prepayment_covers_the_instalments_as_they_fall_due(municipality):
    assess(municipality)
    pay(municipality, instalment=1, amount=50_000, on=date(2025, 4, 20), channel="prepayment")
    assert arrears(municipality, date(2025, 11, 1)) == {}  # 1-5 were due, all covered
    assert overdue(municipality, date(2026, 1, 1)) == [(FY, 6, 10_000), (FY, 7, 10_000)]  # 30 Nov, 31 Dec


def test_months_in_arrears_and_the_oldest_due_date(municipality):
    assess(municipality)
    pay(municipality, instalment=2, amount=10_000, on=JULY_31)
    found = arrears(municipality, date(2025, 11, 5))[HH]
    assert found.oldest_due_date == JUNE_30
    assert found.months_in_arrears == 5  # June → November
    assert found.overdue_instalments == 4  # 1, 3, 4, 5


def test_payments_of_another_household_or_municipality_do_not_count(municipality, other_municipality):
    assess(municipality)
    assess(other_municipality)
    pay(other_municipality, instalment=1, amount=10_000, on=JUNE_30)
    pay(municipality, "10000000002", instalment=1, amount=10_000, on=JUNE_30)
    assert overdue(municipality, date(2025, 7, 1)) == [(FY, 1, 10_000)]
    assert overdue(other_municipality, date(2025, 7, 1)) == []


def test_restricted_to_some_households(municipality):
    assess(municipality)
    assess(municipality, "10000000002")
    rows = engine.overdue_instalments(
        municipality_id=municipality.pk, as_of=date(2025, 7, 1), households=["10000000002"]
    )
    assert {r.household_head_code for r in rows} == {"10000000002"}
    assert (
        engine.arrears_by_household(municipality_id=municipality.pk, as_of=date(2025, 7, 1), households=[])
        == []
    )
