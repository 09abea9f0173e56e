"""The arrears rules in plain Python, no Django: the reference the database query is tested
against (arrears/engine.py), the SQLite path of the embedded demo, and the benchmark's naive loop.

- An instalment is overdue on date D when its due date is before D and what was paid towards it by
  D (充当, receipts/allocation.py) is less than its assessed amount (the latest correction).
- overdue_amount is the sum of the unpaid remainders of the overdue instalments.
- months_in_arrears counts calendar months from the month of the oldest overdue due date to the
  month of D, at least 1 (due 30 June: 1 in July, 5 in November).
- An instalment agreement (分納誓約) is honoured on D when the household paid, from the day it was
  agreed up to D, at least the agreed monthly amount for every agreed payment date before D.
- Linkage flags (v1) for foreign insured persons: see `linkage_decision`.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from receipts.allocation import AssessedInstalment, InstalmentState, PaymentRow, allocate


def months_in_arrears(oldest_due: date, as_of: date) -> int:
    return max(1, (as_of.year * 12 + as_of.month) - (oldest_due.year * 12 + oldest_due.month))


@dataclass(frozen=True)
class OverdueInstalment:
    household_head_code: str
    fiscal_year: int
    instalment: int
    due_date: date
    assessed: int
    paid: int

    @property
    def remainder(self) -> int:
        return self.assessed - self.paid


@dataclass(frozen=True)
class HouseholdArrears:
    """One household in arrears on `as_of` (one row of the arrears report)."""

    household_head_code: str
    overdue_instalments: int
    overdue_amount: int
    oldest_due_date: date
    months_in_arrears: int


def overdue_of(
    household_head_code: str,
    instalments: Iterable[AssessedInstalment],
    payments: Iterable[PaymentRow],
    *,
    as_of: date,
) -> list[OverdueInstalment]:
    """The household's overdue instalments on `as_of`, in fiscal year and instalment order."""
    out = []
    for year in allocate(instalments, payments, as_of=as_of):
        for state in year.instalments:
            if state.is_overdue(as_of):
                out.append(_overdue(household_head_code, state))
    return out


def _overdue(code: str, state: InstalmentState) -> OverdueInstalment:
    assert state.due_date is not None
    return OverdueInstalment(
        code, state.fiscal_year, state.instalment, state.due_date, state.assessed, state.paid
    )


def summarise(
    household_head_code: str, overdue: Sequence[OverdueInstalment], *, as_of: date
) -> HouseholdArrears | None:
    if not overdue:
        return None
    oldest = min(o.due_date for o in overdue)
    return HouseholdArrears(
        household_head_code,
        len(overdue),
        sum(o.remainder for o in overdue),
        oldest,
        months_in_arrears(oldest, as_of),
    )


def household_arrears(
    household_head_code: str,
    instalments: Iterable[AssessedInstalment],
    payments: Iterable[PaymentRow],
    *,
    as_of: date,
) -> HouseholdArrears | None:
    return summarise(
        household_head_code, overdue_of(household_head_code, instalments, payments, as_of=as_of), as_of=as_of
    )


# --- instalment agreements (分納誓約) ---------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the 31st becomes the last day of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


@dataclass(frozen=True)
class AgreementTerms:
    agreed_on: date
    first_due_date: date
    monthly_amount: int
    months: int

    def schedule(self) -> list[date]:
        return [add_months(self.first_due_date, n) for n in range(self.months)]

    @property
    def total(self) -> int:
        return self.monthly_amount * self.months


@dataclass(frozen=True)
class AgreementState:
    due_so_far: int  # agreed amounts whose date is before as_of
    paid_since: int  # the household's payments from agreed_on to as_of (refunds subtracted)
    payments_due: int  # agreed payment dates before as_of
    finished: bool  # every agreed date has passed

    @property
    def honoured(self) -> bool:
        return self.paid_since >= self.due_so_far

    @property
    def shortfall(self) -> int:
        return max(0, self.due_so_far - self.paid_since)


def agreement_state(terms: AgreementTerms, *, paid_since: int, as_of: date) -> AgreementState:
    dates = terms.schedule()
    due = [d for d in dates if d < as_of]
    return AgreementState(
        due_so_far=len(due) * terms.monthly_amount,
        paid_since=paid_since,
        payments_due=len(due),
        finished=len(due) == len(dates),
    )


def paid_since(payments: Iterable[PaymentRow], *, agreed_on: date, as_of: date) -> int:
    return sum(p.amount for p in payments if agreed_on <= p.paid_date <= as_of)


# --- the linkage flags (v1) ----------------------------------------------------------------------


class Reason:
    """Why a foreign insured person is flagged (F…) or excluded (X…). Codes go into the export."""

    ARREARS = "F1"
    AGREEMENT_BROKEN = "F2"
    ARREARS_AFTER_AGREEMENT = "F3"
    NOT_RESIDENT = "X1"
    NOT_INSURED_IN_YEAR = "X2"
    BELOW_THRESHOLD = "X3"
    AGREEMENT_HONOURED = "X4"
    MEMBER_NOT_FLAGGED = "X5"  # the office's policy: household members other than the head
    MINOR_NOT_FLAGGED = "X6"  # the office's policy: members under the age of majority


REASON_TEXT = {
    Reason.ARREARS: "納期限を過ぎた未納の保険料があります",
    Reason.AGREEMENT_BROKEN: "分納誓約が守られていません（約束した額の納付がありません）",
    Reason.ARREARS_AFTER_AGREEMENT: "分納誓約は守られていますが、誓約後に納期限が来た保険料が未納です",
    Reason.NOT_RESIDENT: "住民登録がありません（転出・国外転出・死亡）",
    Reason.NOT_INSURED_IN_YEAR: "未納のある年度に、その世帯の国保被保険者ではありませんでした",
    Reason.BELOW_THRESHOLD: "未納の月数または金額が出力の基準に達していません",
    Reason.AGREEMENT_HONOURED: "分納誓約を守って納付中です（未納はすべて誓約の対象）",
    Reason.MEMBER_NOT_FLAGGED: "世帯主ではありません（世帯員は連携しない設定）",
    Reason.MINOR_NOT_FLAGGED: "未成年の世帯員です（未成年は連携しない設定）",
}
FLAG_ORDER = (Reason.AGREEMENT_BROKEN, Reason.ARREARS_AFTER_AGREEMENT, Reason.ARREARS)


# Who is flagged for a household's arrears (連携の対象とする人): the household head owes the
# premium (NHI Act art. 76: 世帯主が納付義務者) and is always flagged; adult members and minors
# only when the office's setting says so (arrears.models.LinkageSettings; minors never by default).
ADULT_AGE = 18  # 成年年齢 (Civil Code art. 4, since 2022-04-01)


@dataclass(frozen=True)
class LinkageParameters:
    as_of: date
    min_months: int = 1
    min_amount: int = 1
    flag_adult_members: bool = True
    flag_minors: bool = True  # the settings' default is False; True reproduces exports made before

    def as_json(self) -> dict:
        return {
            "as_of": self.as_of.isoformat(), "min_months": self.min_months, "min_amount": self.min_amount,
            "flag_adult_members": self.flag_adult_members, "flag_minors": self.flag_minors,
        }  # fmt: skip


@dataclass(frozen=True)
class MembershipPeriod:
    household_head_code: str
    acquired: date
    lost: date | None

    def covers_year(self, fiscal_year: int) -> bool:
        start, end = date(fiscal_year, 4, 1), date(fiscal_year + 1, 3, 31)
        return self.acquired <= end and (self.lost is None or self.lost > start)


@dataclass(frozen=True)
class PersonFacts:
    resident_id: int
    resident_code: str
    nationality: str
    is_resident: bool  # in the register as 在住
    periods: tuple[MembershipPeriod, ...]
    birth_date: date | None = None

    def is_minor_on(self, day: date) -> bool:
        if self.birth_date is None:
            return False
        born = self.birth_date
        age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
        return age < ADULT_AGE

    @property
    def is_foreign(self) -> bool:
        return bool(self.nationality) and self.nationality != "JP"


@dataclass(frozen=True)
class LinkageDecision:
    flagged: bool
    reason: str
    overdue: tuple[OverdueInstalment, ...] = field(default=())
    as_of: date | None = None

    @property
    def reason_text(self) -> str:
        return REASON_TEXT[self.reason]

    @property
    def overdue_amount(self) -> int:
        return sum(o.remainder for o in self.overdue)

    @property
    def oldest_due_date(self) -> date | None:
        return min((o.due_date for o in self.overdue), default=None)

    @property
    def months(self) -> int:
        oldest = self.oldest_due_date
        return months_in_arrears(oldest, self.as_of) if oldest and self.as_of else 0

    @property
    def household_codes(self) -> tuple[str, ...]:
        return tuple(sorted({o.household_head_code for o in self.overdue}))

    @property
    def fiscal_years(self) -> tuple[int, ...]:
        return tuple(sorted({o.fiscal_year for o in self.overdue}))


def linkage_decision(
    person: PersonFacts,
    overdue_by_household: dict[str, Sequence[OverdueInstalment]],
    agreements: dict[str, tuple[AgreementTerms, AgreementState]],
    params: LinkageParameters,
) -> LinkageDecision | None:
    """Whether a foreign insured person is flagged for the linkage, and why; None when none of the
    person's households has an overdue instalment (the person is not listed at all).

    1. Only the instalments of fiscal years in which the person was insured in that household count.
    2. Not in the register as resident → excluded. No counted instalment → excluded.
    3. The office's policy of who is flagged: only instalments of households the person heads
       count, plus — when the setting allows — those of households they are an adult member of,
       and (never by default) a minor member of. Nothing left → excluded (X5 member, X6 minor).
       Below the months/amount thresholds → excluded.
    4. A household with an honoured agreement (分納誓約) made after the instalment fell due, and
       still running: that instalment is excused. All excused → excluded; a broken agreement →
       flagged as such; an instalment that fell due after the agreement → flagged.
    """
    if not person.is_foreign:
        return None
    households = {p.household_head_code for p in person.periods} & overdue_by_household.keys()
    if not households:
        return None
    counted = tuple(
        o
        for code in sorted(households)
        for o in overdue_by_household[code]
        if any(p.household_head_code == code and p.covers_year(o.fiscal_year) for p in person.periods)
    )
    as_of = params.as_of
    if not person.is_resident:
        return LinkageDecision(False, Reason.NOT_RESIDENT, counted, as_of)
    if not counted:
        return LinkageDecision(False, Reason.NOT_INSURED_IN_YEAR, counted, as_of)
    minor = person.is_minor_on(as_of)
    member_allowed = params.flag_minors if minor else params.flag_adult_members
    allowed = tuple(o for o in counted if o.household_head_code == person.resident_code or member_allowed)
    if not allowed:
        reason = Reason.MINOR_NOT_FLAGGED if minor else Reason.MEMBER_NOT_FLAGGED
        return LinkageDecision(False, reason, counted, as_of)
    counted = allowed
    probe = LinkageDecision(True, Reason.ARREARS, counted, as_of)
    if probe.months < params.min_months or probe.overdue_amount < params.min_amount:
        return LinkageDecision(False, Reason.BELOW_THRESHOLD, counted, as_of)
    reasons = set()
    for o in counted:
        agreement = agreements.get(o.household_head_code)
        if agreement is None:
            reasons.add(Reason.ARREARS)
            continue
        terms, state = agreement
        if not state.honoured:
            reasons.add(Reason.AGREEMENT_BROKEN)
        elif o.due_date >= terms.agreed_on:
            reasons.add(Reason.ARREARS_AFTER_AGREEMENT)
        elif state.finished:
            reasons.add(Reason.ARREARS)  # every agreed payment made, yet this is still unpaid
    if not reasons:
        return LinkageDecision(False, Reason.AGREEMENT_HONOURED, counted, as_of)
    reason = next(r for r in FLAG_ORDER if r in reasons)
    return LinkageDecision(True, reason, counted, as_of)
