"""Reads of assessments and payments, always scoped to the user's municipality: a household's
account as of a date (what was assessed, what reached each instalment, what is overdue, what the
prepayment still covers), and the statements issued."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q, QuerySet

from enrollment.models import NhiMembership, Resident
from receipts.allocation import AssessedInstalment, InstalmentState, PaymentRow, YearAccount, allocate
from receipts.models import Assessment, Payment, PaymentChannel, PaymentStatement


def assessments(*, user) -> QuerySet[Assessment]:
    return Assessment.objects.for_user(user)


def payments(*, user) -> QuerySet[Payment]:
    return Payment.objects.for_user(user)


def statements(*, user) -> QuerySet[PaymentStatement]:
    return PaymentStatement.objects.for_user(user).select_related("issued_by")


def resident_by_code(*, user, resident_code: str) -> Resident | None:
    return Resident.objects.for_user(user).filter(resident_code=resident_code).first()


def resident_get(*, user, pk: int) -> Resident | None:
    return Resident.objects.for_user(user).filter(pk=pk).first()


def household_of(resident: Resident, *, on: date) -> str:
    """The household (世帯主の住民票コード) whose premiums cover the resident: the NHI ledger period
    in force on `on`, else the latest one, else the register's head of household."""
    periods = NhiMembership.objects.for_municipality(resident.municipality_id).filter(
        resident_code=resident.resident_code
    )
    current = (
        periods.filter(acquired_date__lte=on)
        .filter(Q(lost_date__isnull=True) | Q(lost_date__gt=on))
        .order_by("-acquired_date")
        .first()
    ) or periods.order_by("-acquired_date").first()
    if current is not None and current.household_head_code:
        return current.household_head_code
    return resident.household_head_code or resident.resident_code


@dataclass
class YearView:
    """One fiscal year of a household's account, for pages and the statement."""

    account: YearAccount
    as_of: date
    rows: list[dict] = field(default_factory=list)

    @property
    def fiscal_year(self) -> int:
        return self.account.fiscal_year

    @property
    def overdue_amount(self) -> int:
        return sum(r["remainder"] for r in self.rows if r["overdue"])

    @property
    def paid_ahead(self) -> int:
        return self.account.paid_ahead(self.as_of)


def _status(state: InstalmentState, as_of: date) -> tuple[str, str]:
    """(Japanese label, tone) of an instalment as of a date."""
    if state.due_date is None:
        return "賦課なし", "neutral"
    if state.paid >= state.assessed:
        if not state.is_due(as_of):
            return ("納期限前（納付済み）", "info") if state.assessed else ("賦課なし", "neutral")
        return "完納", "success"
    if state.is_due(as_of):
        return ("一部未納", "warning") if state.paid > 0 else ("未納", "error")
    return ("納期限前（一部納付済み）", "info") if state.paid > 0 else ("納期限前", "neutral")


@dataclass
class HouseholdAccount:
    household_head_code: str
    as_of: date
    years: list[YearView]
    payments: list[Payment]
    head: Resident | None
    corrections: dict[tuple[int, int], int]  # (fiscal year, instalment) → earlier rows (訂正の履歴)

    @property
    def overdue(self) -> list[dict]:
        return [r for y in self.years for r in y.rows if r["overdue"]]

    @property
    def overdue_amount(self) -> int:
        return sum(r["remainder"] for r in self.overdue)

    @property
    def paid_ahead(self) -> int:
        """Money already applied to instalments not yet due (what prepayments still cover)."""
        return sum(y.paid_ahead for y in self.years)

    @property
    def credit(self) -> int:
        return sum(y.account.credit for y in self.years)

    @property
    def covered_ahead(self) -> list[dict]:
        """The instalments not yet due that payments already reached, oldest first."""
        return [r for y in self.years for r in y.rows if not r["due"] and r["paid"] > 0]

    @property
    def has_prepayment(self) -> bool:
        return any(p.channel == PaymentChannel.PREPAYMENT for p in self.payments)

    @property
    def is_empty(self) -> bool:
        return not self.years and not self.payments


def household_account(*, user, household_head_code: str, as_of: date) -> HouseholdAccount:
    """One household as of `as_of`: the 充当 rules in Python for this one household (the same
    rules the database applies to all households at once; tests keep the two equal)."""
    rows = assessments(user=user).filter(household_head_code=household_head_code)
    current = [
        AssessedInstalment(*r)
        for r in rows.filter(is_current=True).values_list("fiscal_year", "instalment", "amount", "due_date")
    ]
    corrections: dict[tuple[int, int], int] = {}
    for year, number in rows.filter(is_current=False).values_list("fiscal_year", "instalment"):
        corrections[(year, number)] = corrections.get((year, number), 0) + 1
    received = list(
        payments(user=user).filter(household_head_code=household_head_code).order_by("paid_date", "id")
    )
    accounts = allocate(
        current,
        [PaymentRow(p.fiscal_year, p.instalment, p.amount, p.paid_date, p.channel) for p in received],
        as_of=as_of,
    )
    years = []
    for account in accounts:
        view = YearView(account, as_of)
        for state in account.instalments:
            label, tone = _status(state, as_of)
            view.rows.append(
                {
                    "fiscal_year": state.fiscal_year,
                    "instalment": state.instalment,
                    "due_date": state.due_date,
                    "assessed": state.assessed,
                    "paid": state.paid,
                    "remainder": state.remainder,
                    "due": state.is_due(as_of),
                    "overdue": state.is_overdue(as_of),
                    "status": label,
                    "tone": tone,
                    "corrections": corrections.get((state.fiscal_year, state.instalment), 0),
                }
            )
        years.append(view)
    head = resident_by_code(user=user, resident_code=household_head_code)
    return HouseholdAccount(household_head_code, as_of, years, received, head, corrections)


def fiscal_years_of(*, user, household_head_code: str) -> list[int]:
    return sorted(
        set(
            assessments(user=user)
            .filter(household_head_code=household_head_code)
            .values_list("fiscal_year", flat=True)
            .distinct()
        ),
        reverse=True,
    )
