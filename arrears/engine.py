"""Arrears as of a date, computed in the database.

PostgreSQL runs the 充当 rules (receipts/allocation.py) as one query: per household and fiscal
year, the money named for each instalment and the assessed amounts are summed in instalment order,
and what each instalment received follows from a running minimum (window functions, no loop):

    y(k)      = Σ_{j≤k} (named(j) − assessed(j))
    carry(k)  = y(k) − min(0, min_{j≤k} y(j))          (what flows on past instalment k)
    paid(k)   = min(assessed(k), max(0, carry(k−1) + named(k)))

which is exactly the step-by-step rule: carry(k) = max(0, carry(k−1) + named(k) − assessed(k)) is
a Lindley recursion, whose closed form is the running minimum. SQLite (the embedded
demo) has no need for speed: there the same answer comes from the Python reference. This module is
the one switch between the two; tests compare them on random households.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from django.db import connection, transaction

from arrears import rules
from arrears.rules import HouseholdArrears, OverdueInstalment
from receipts.allocation import AssessedInstalment, PaymentRow
from receipts.models import Assessment, Payment

WORK_MEM = "256MB"  # the sort of a big municipality's instalments stays in memory

# Household codes are 11 digits and fiscal years 2000-2099 (constraints on both tables), so each
# (household, fiscal year) becomes one bigint `part`: grouping, sorting and the windows then work
# on integers, about twice as fast as on the text code.
ALLOCATION_SQL = """
WITH money AS (
    SELECT household_head_code::bigint * 100 + (fiscal_year - 2000) AS part, instalment AS k,
           amount AS a, due_date, 0 AS n
    FROM receipts_assessment
    WHERE municipality_id = %(municipality)s AND is_current {households}
    UNION ALL
    SELECT household_head_code::bigint * 100 + (fiscal_year - 2000), instalment, 0, NULL::date, amount
    FROM receipts_payment
    WHERE municipality_id = %(municipality)s AND paid_date <= %(as_of)s {households}
), slots AS (
    SELECT part, k, SUM(a)::int AS a, MAX(due_date) AS due_date, SUM(n)::int AS n
    FROM money GROUP BY part, k
), running AS (
    SELECT part, k, a, due_date, n, SUM(n - a) OVER w AS y
    FROM slots WINDOW w AS (PARTITION BY part ORDER BY k ROWS UNBOUNDED PRECEDING)
), allocated AS (
    -- carry(k-1) = y(k-1) - min(0, the least y before k), and y(k-1) = y(k) - (n(k) - a(k))
    SELECT part, k, a, due_date,
           LEAST(a, GREATEST(0, y - (n - a) - LEAST(0, COALESCE(MIN(y) OVER before, 0)) + n)) AS paid
    FROM running
    WINDOW before AS (PARTITION BY part ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
)
"""

OVERDUE_SQL = (
    ALLOCATION_SQL
    + """
SELECT lpad((part / 100)::text, 11, '0') AS hh, (2000 + part %% 100)::int AS fy, k, due_date, a, paid
FROM allocated
WHERE due_date < %(as_of)s AND paid < a
ORDER BY part, k
"""
)

BY_HOUSEHOLD_SQL = (
    ALLOCATION_SQL
    + """
SELECT lpad((part / 100)::text, 11, '0') AS hh, COUNT(*) AS overdue_instalments,
       SUM(a - paid) AS overdue_amount, MIN(due_date) AS oldest,
       GREATEST(1, (EXTRACT(YEAR FROM %(as_of)s::date) * 12 + EXTRACT(MONTH FROM %(as_of)s::date))
                 - (EXTRACT(YEAR FROM MIN(due_date)) * 12 + EXTRACT(MONTH FROM MIN(due_date))))::int AS months
FROM allocated
WHERE due_date < %(as_of)s AND paid < a
GROUP BY part / 100
ORDER BY part / 100
"""
)


def in_database() -> bool:
    """The switch: PostgreSQL computes, anything else uses the Python reference."""
    return connection.vendor == "postgresql"


def _run(sql: str, *, municipality_id: int, as_of: date, households: Sequence[str] | None) -> list[tuple]:
    params: dict = {"municipality": municipality_id, "as_of": as_of}
    if households is not None:
        params["households"] = list(households)
        sql = sql.format(households="AND household_head_code = ANY(%(households)s)")
    else:
        sql = sql.format(households="")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        # JIT compilation costs seconds and gains nothing on these simple expressions.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, params)
        return cursor.fetchall()


def overdue_instalments(
    *, municipality_id: int, as_of: date, households: Sequence[str] | None = None
) -> list[OverdueInstalment]:
    """Every overdue instalment on `as_of`, ordered by household, fiscal year, instalment."""
    if households is not None and not households:
        return []
    if in_database():
        return [
            OverdueInstalment(hh, fy, k, due, int(a), int(paid))
            for hh, fy, k, due, a, paid in _run(
                OVERDUE_SQL, municipality_id=municipality_id, as_of=as_of, households=households
            )
        ]
    out = []
    for code, (instalments, payments) in sorted(_household_rows(municipality_id, as_of, households).items()):
        out.extend(rules.overdue_of(code, instalments, payments, as_of=as_of))
    return out


def arrears_by_household(
    *, municipality_id: int, as_of: date, households: Sequence[str] | None = None
) -> list[HouseholdArrears]:
    """One row per household in arrears on `as_of`, ordered by household_head_code."""
    if households is not None and not households:
        return []
    if in_database():
        return [
            HouseholdArrears(hh, int(count), int(amount), oldest, int(months))
            for hh, count, amount, oldest, months in _run(
                BY_HOUSEHOLD_SQL, municipality_id=municipality_id, as_of=as_of, households=households
            )
        ]
    out = []
    for code, (instalments, payments) in sorted(_household_rows(municipality_id, as_of, households).items()):
        found = rules.household_arrears(code, instalments, payments, as_of=as_of)
        if found is not None:
            out.append(found)
    return out


def _household_rows(
    municipality_id: int, as_of: date, households: Sequence[str] | None
) -> dict[str, tuple[list[AssessedInstalment], list[PaymentRow]]]:
    """Current assessments and the payments made by `as_of`, grouped by household."""
    assessments = Assessment.objects.filter(municipality_id=municipality_id, is_current=True)
    payments = Payment.objects.filter(municipality_id=municipality_id, paid_date__lte=as_of)
    if households is not None:
        assessments = assessments.filter(household_head_code__in=list(households))
        payments = payments.filter(household_head_code__in=list(households))
    grouped: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
    for code, year, number, amount, due in assessments.values_list(
        "household_head_code", "fiscal_year", "instalment", "amount", "due_date"
    ).iterator(chunk_size=10_000):
        grouped[code][0].append(AssessedInstalment(year, number, amount, due))
    for code, year, number, amount, paid in payments.values_list(
        "household_head_code", "fiscal_year", "instalment", "amount", "paid_date"
    ).iterator(chunk_size=10_000):
        grouped[code][1].append(PaymentRow(year, number, amount, paid))
    return grouped
