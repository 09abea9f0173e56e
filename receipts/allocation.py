"""How payments apply to instalments (充当): the reference rules, in plain Python, no Django.

Per household and fiscal year, instalments (期別) are taken in instalment order. Every payment row
names an instalment; the money named for an instalment (payments, prepayments, minus refunds,
counted from their paid_date) pays that instalment up to its assessed amount, and what exceeds it
is carried to the next instalments of the same fiscal year, in order. Money never flows back to an
earlier instalment, and never into another fiscal year: what is left after the last instalment is
a credit (過納). A refund is negative money named for its instalment: it reduces what that
instalment receives (never below zero); a refund larger than what reached its instalment reduces
nothing further.

    carry₀ = 0
    available = carry + named(k)
    paid(k)   = min(assessed(k), max(0, available))
    carry     = max(0, available − assessed(k))

The database computes the same with window functions (arrears/engine.py, docs/arrears.md); tests
compare the two on random households.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class AssessedInstalment:
    """The current (latest corrected) assessment of one instalment."""

    fiscal_year: int
    instalment: int
    amount: int
    due_date: date


@dataclass(frozen=True)
class PaymentRow:
    fiscal_year: int
    instalment: int  # the instalment the row names (for a prepayment: the first it covers)
    amount: int  # yen; negative for a refund
    paid_date: date
    channel: str = ""


@dataclass(frozen=True)
class InstalmentState:
    """One instalment as of a date: what was assessed, what reached it, what is left."""

    fiscal_year: int
    instalment: int
    assessed: int
    due_date: date | None  # None: payments name an instalment that was never assessed
    paid: int

    @property
    def remainder(self) -> int:
        return self.assessed - self.paid

    def is_due(self, as_of: date) -> bool:
        """Due date before the as-of date (an instalment due today is not yet late)."""
        return self.due_date is not None and self.due_date < as_of

    def is_overdue(self, as_of: date) -> bool:
        return self.is_due(as_of) and self.paid < self.assessed


@dataclass(frozen=True)
class YearAccount:
    fiscal_year: int
    instalments: tuple[InstalmentState, ...]
    credit: int  # money left after the last instalment (過納)

    @property
    def assessed(self) -> int:
        return sum(i.assessed for i in self.instalments)

    @property
    def paid(self) -> int:
        return sum(i.paid for i in self.instalments)

    def paid_ahead(self, as_of: date) -> int:
        """Money already applied to instalments not yet due on `as_of` (前納・先払い)."""
        return sum(i.paid for i in self.instalments if i.due_date is None or i.due_date >= as_of)


def allocate_year(
    assessed: dict[int, tuple[int, date]], named: dict[int, int], *, fiscal_year: int
) -> YearAccount:
    """`assessed`: instalment → (amount, due date); `named`: instalment → net money named for it."""
    carry = 0
    states = []
    for number in sorted(assessed.keys() | named.keys()):
        amount, due = assessed.get(number, (0, None))
        available = carry + named.get(number, 0)
        paid = min(amount, max(0, available))
        carry = max(0, available - amount)
        states.append(InstalmentState(fiscal_year, number, amount, due, paid))
    return YearAccount(fiscal_year, tuple(states), carry)


def allocate(
    instalments: Iterable[AssessedInstalment], payments: Iterable[PaymentRow], *, as_of: date
) -> list[YearAccount]:
    """One household's accounts as of `as_of`, by fiscal year. Payments count from their paid_date
    (a payment made on the as-of date counts)."""
    assessed: dict[int, dict[int, tuple[int, date]]] = defaultdict(dict)
    for row in instalments:
        assessed[row.fiscal_year][row.instalment] = (row.amount, row.due_date)
    named: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for row in payments:
        if row.paid_date <= as_of:
            named[row.fiscal_year][row.instalment] += row.amount
    return [
        allocate_year(assessed.get(year, {}), named.get(year, {}), fiscal_year=year)
        for year in sorted(assessed.keys() | named.keys())
    ]


def fiscal_year_of(day: date) -> int:
    """Fiscal year N runs from 1 April N to 31 March N+1."""
    return day.year if day.month >= 4 else day.year - 1
