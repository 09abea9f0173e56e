"""Property: on random small households, the database's arrears (PostgreSQL window functions)
equal the Python reference rules (arrears/rules.py) — overdue instalments, amounts, months, the
oldest due date — whatever the payments, prepayments, refunds, corrections and as-of date."""

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arrears import engine, rules
from receipts.allocation import AssessedInstalment, PaymentRow
from receipts.models import Assessment, Payment

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

CODES = ["10000000001", "10000000002", "20000000003"]
YEARS = [2024, 2025]
START = date(2024, 4, 1)


@st.composite
def households(draw):
    instalments, corrections, payments = [], [], []
    for code in draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=3, unique=True)):
        for year in draw(st.lists(st.sampled_from(YEARS), min_size=1, max_size=2, unique=True)):
            count = draw(st.integers(1, 6))
            for k in range(1, count + 1):
                amount = draw(st.sampled_from([0, 1000, 2500, 3000, 10000]))
                due = date(year, 4, 1) + timedelta(days=draw(st.integers(0, 420)))
                instalments.append((code, year, k, amount, due))
                if draw(st.integers(0, 5)) == 0:  # a correction: a later row for the same instalment
                    corrections.append((code, year, k, draw(st.sampled_from([0, 500, 2000, 4000])), due))
        for _ in range(draw(st.integers(0, 8))):
            year = draw(st.sampled_from(YEARS))
            k = draw(st.integers(1, 7))  # sometimes an instalment that was never assessed
            amount = draw(st.sampled_from([500, 1000, 2500, 7000, 30000, -500, -1000, -3000]))
            paid = START + timedelta(days=draw(st.integers(0, 800)))
            channel = "refund" if amount < 0 else draw(st.sampled_from(["bank", "prepayment", "konbini"]))
            payments.append((code, year, k, amount, paid, channel))
    as_of = START + timedelta(days=draw(st.integers(0, 820)))
    return instalments, corrections, payments, as_of


def reference(instalments, corrections, payments, as_of):
    current = {}
    for code, year, k, amount, due in [*instalments, *corrections]:
        current[(code, year, k)] = AssessedInstalment(year, k, amount, due)
    overdue, summary = [], []
    for code in sorted({c for c, *_ in instalments} | {c for c, *_ in payments}):
        mine = [v for (c, _, _), v in current.items() if c == code]
        paid = [PaymentRow(y, k, a, d) for c, y, k, a, d, _ in payments if c == code]
        found = rules.overdue_of(code, mine, paid, as_of=as_of)
        overdue.extend(
            (o.household_head_code, o.fiscal_year, o.instalment, o.due_date, o.assessed, o.paid)
            for o in found
        )
        if (h := rules.summarise(code, found, as_of=as_of)) is not None:
            summary.append(h)
    return overdue, summary


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=households())
def test_the_database_agrees_with_the_python_rules(municipality, data):
    instalments, corrections, payments, as_of = data
    Assessment.objects.all().delete()
    Payment.objects.all().delete()
    Assessment.objects.bulk_create(
        Assessment(municipality=municipality, household_head_code=c, fiscal_year=y, instalment=k, amount=a,
                   due_date=d, is_current=True)
        for c, y, k, a, d in instalments
    )  # fmt: skip
    for c, y, k, a, d in corrections:
        Assessment.objects.filter(
            municipality=municipality, household_head_code=c, fiscal_year=y, instalment=k
        ).update(is_current=False)
        Assessment.objects.create(
            municipality=municipality,
            household_head_code=c,
            fiscal_year=y,
            instalment=k,
            amount=a,
            due_date=d,
        )
    Payment.objects.bulk_create(
        Payment(municipality=municipality, household_head_code=c, fiscal_year=y, instalment=k, amount=a,
                paid_date=d, channel=ch)
        for c, y, k, a, d, ch in payments
    )  # fmt: skip
    expected_overdue, expected_summary = reference(instalments, corrections, payments, as_of)

    assert engine.in_database()
    got = engine.overdue_instalments(municipality_id=municipality.pk, as_of=as_of)
    assert [
        (o.household_head_code, o.fiscal_year, o.instalment, o.due_date, o.assessed, o.paid) for o in got
    ] == (expected_overdue)
    assert engine.arrears_by_household(municipality_id=municipality.pk, as_of=as_of) == expected_summary
