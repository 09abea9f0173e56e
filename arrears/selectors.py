"""Reads with rules for the arrears pages, API and exports, always scoped to the user's (or the
given) municipality: households in arrears as of a date, foreign insured persons and their linkage
decisions, agreements and whether they are honoured, collection rates."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.core.cache import cache
from django.db.models import Exists, IntegerField, Max, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth

from arrears import engine, rules
from arrears.models import AgreementStatus, InstalmentAgreement, LinkageExport
from arrears.rules import HouseholdArrears, LinkageParameters, OverdueInstalment
from enrollment.models import NhiMembership, Resident, ResidentStatus
from receipts.models import Assessment, Payment

CACHE_SECONDS = 15 * 60
CHUNK = 5000


def _chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _data_stamp(municipality_id: int) -> str:
    """Changes whenever assessments or payments are added (rows are never edited in place)."""
    a = Assessment.objects.filter(municipality_id=municipality_id).aggregate(m=Max("id"))["m"]
    p = Payment.objects.filter(municipality_id=municipality_id).aggregate(m=Max("id"))["m"]
    return f"{a}:{p}"


def households_in_arrears(*, municipality_id: int, as_of: date) -> list[HouseholdArrears]:
    """engine.arrears_by_household, remembered for a while on PostgreSQL (a big city's run takes
    tens of seconds; the nightly step computes today's once). The key changes with the data."""
    if not engine.in_database():
        return engine.arrears_by_household(municipality_id=municipality_id, as_of=as_of)
    key = f"arrears:{municipality_id}:{as_of.isoformat()}:{_data_stamp(municipality_id)}"
    found = cache.get(key)
    if found is None:
        found = engine.arrears_by_household(municipality_id=municipality_id, as_of=as_of)
        cache.set(key, found, CACHE_SECONDS)
    return found


@dataclass(frozen=True)
class Head:
    resident_id: int
    name: str
    name_is_latin: bool
    nationality: str

    @property
    def is_foreign(self) -> bool:
        return bool(self.nationality) and self.nationality != "JP"


def heads_of(*, municipality_id: int, codes: Sequence[str]) -> dict[str, Head]:
    """The register entry of each household head that is in the register."""
    out: dict[str, Head] = {}
    for part in _chunks(list(codes)):
        for pk, code, alpha, kanji, kana, nationality in (
            Resident.objects.for_municipality(municipality_id)
            .filter(resident_code__in=part)
            .values_list("pk", "resident_code", "name_alpha", "name_kanji", "name_kana", "nationality")
        ):
            out[code] = Head(pk, alpha or kanji or kana, bool(alpha), nationality)
    return out


@dataclass
class ArrearsRow:
    arrears: HouseholdArrears
    head: Head | None

    @property
    def foreign(self) -> bool:
        return self.head is not None and self.head.is_foreign


def _with_heads(found: list[HouseholdArrears], municipality_id: int) -> list[ArrearsRow]:
    heads = heads_of(municipality_id=municipality_id, codes=[h.household_head_code for h in found])
    return [ArrearsRow(h, heads.get(h.household_head_code)) for h in found]


def arrears_rows(*, user, as_of: date, foreign_only: bool = False, code: str = "") -> list[ArrearsRow]:
    """The households in arrears for the pages and the API (remembered for a while)."""
    found = households_in_arrears(municipality_id=user.municipality_id, as_of=as_of)
    if code:
        found = [h for h in found if h.household_head_code.startswith(code)]
    rows = _with_heads(found, user.municipality_id)
    return [r for r in rows if r.foreign] if foreign_only else rows


def arrears_report_rows(*, municipality_id: int, as_of: date) -> list[ArrearsRow]:
    """Every household in arrears on `as_of` with its head (if in the register), by code. Always
    computed afresh: the report is the record of what the data said."""
    found = engine.arrears_by_household(municipality_id=municipality_id, as_of=as_of)
    return _with_heads(found, municipality_id)


# --- agreements -----------------------------------------------------------------------------------


def agreements(*, user) -> QuerySet[InstalmentAgreement]:
    return InstalmentAgreement.objects.for_user(user).select_related("recorded_by", "cancelled_by")


@dataclass(frozen=True)
class AgreementView:
    agreement: InstalmentAgreement
    state: rules.AgreementState | None  # None: cancelled or not yet agreed on the date


def _paid_since_subquery(as_of: date):
    payments = (
        Payment.objects.filter(
            municipality_id=OuterRef("municipality_id"),
            household_head_code=OuterRef("household_head_code"),
            paid_date__gte=OuterRef("agreed_on"),
            paid_date__lte=as_of,
        )
        .order_by()
        .values("household_head_code")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(payments, output_field=IntegerField()), Value(0))


def agreement_states(
    *, municipality_id: int, as_of: date, households: Sequence[str] | None = None
) -> dict[str, tuple[rules.AgreementTerms, rules.AgreementState]]:
    """The agreement in force on `as_of` for each household (the latest one agreed by then and not
    cancelled), with whether it is honoured: one query, the payments summed in the database."""
    query = InstalmentAgreement.objects.for_municipality(municipality_id).filter(
        status=AgreementStatus.ACTIVE, agreed_on__lte=as_of
    )
    if households is not None:
        query = query.filter(household_head_code__in=list(households))
    out: dict[str, tuple[rules.AgreementTerms, rules.AgreementState]] = {}
    for agreement in query.annotate(paid_since=_paid_since_subquery(as_of)).order_by("agreed_on", "id"):
        terms = agreement.terms
        out[agreement.household_head_code] = (
            terms,
            rules.agreement_state(terms, paid_since=agreement.paid_since, as_of=as_of),
        )
    return out


def household_agreements(*, user, household_head_code: str, as_of: date) -> list[AgreementView]:
    rows = agreements(user=user).filter(household_head_code=household_head_code)
    views = []
    for agreement in rows.annotate(paid_since=_paid_since_subquery(as_of)):
        state = None
        if agreement.status == AgreementStatus.ACTIVE and agreement.agreed_on <= as_of:
            state = rules.agreement_state(agreement.terms, paid_since=agreement.paid_since, as_of=as_of)
        views.append(AgreementView(agreement, state))
    return views


# --- foreign insured persons and the linkage -----------------------------------------------------


@dataclass
class PersonDecision:
    resident: Resident
    decision: rules.LinkageDecision
    insured_number: str


def linkage_decisions(*, municipality_id: int, params: LinkageParameters) -> list[PersonDecision]:
    """Every foreign person insured (now or before) in a household with an overdue instalment on
    `params.as_of`, flagged or excluded with the reason; sorted by resident code."""
    overdue = engine.overdue_instalments(municipality_id=municipality_id, as_of=params.as_of)
    by_household: dict[str, list[OverdueInstalment]] = defaultdict(list)
    for row in overdue:
        by_household[row.household_head_code].append(row)
    periods: dict[str, list[rules.MembershipPeriod]] = defaultdict(list)
    numbers: dict[str, str] = {}
    codes = sorted(by_household)
    for part in _chunks(codes):
        for resident_code, head, acquired, lost, number in (
            NhiMembership.objects.for_municipality(municipality_id)
            .filter(household_head_code__in=part)
            .order_by("resident_code", "acquired_date")
            .values_list(
                "resident_code", "household_head_code", "acquired_date", "lost_date", "insured_number"
            )
        ):
            periods[resident_code].append(rules.MembershipPeriod(head, acquired, lost))
            numbers[resident_code] = number
    # Every period of these people (a person may have been in several households).
    people = sorted(periods)
    for part in _chunks(people):
        for resident_code, head, acquired, lost in (
            NhiMembership.objects.for_municipality(municipality_id)
            .filter(resident_code__in=part)
            .exclude(household_head_code__in=codes)
            .values_list("resident_code", "household_head_code", "acquired_date", "lost_date")
        ):
            periods[resident_code].append(rules.MembershipPeriod(head, acquired, lost))
    residents: list[Resident] = []
    for part in _chunks(people):
        residents.extend(
            Resident.objects.for_municipality(municipality_id)
            .filter(resident_code__in=part)
            .exclude(nationality__in=["", "JP"])
        )
    agreements_by_household = agreement_states(
        municipality_id=municipality_id, as_of=params.as_of, households=codes
    )
    out = []
    for resident in sorted(residents, key=lambda r: r.resident_code):
        facts = rules.PersonFacts(
            resident.pk,
            resident.resident_code,
            resident.nationality,
            resident.status == ResidentStatus.RESIDENT,
            tuple(periods[resident.resident_code]),
            resident.birth_date,
        )
        decision = rules.linkage_decision(facts, by_household, agreements_by_household, params)
        if decision is not None:
            out.append(PersonDecision(resident, decision, numbers.get(resident.resident_code, "")))
    return out


def linkage_exports(*, user) -> QuerySet[LinkageExport]:
    return LinkageExport.objects.for_user(user).select_related("prepared_by", "approved_by", "job")


# --- collection rates ------------------------------------------------------------------------------


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


@dataclass
class MonthRate:
    month: date
    collected_all: int
    collected_foreign: int
    rate_all: float | None
    rate_foreign: float | None

    @property
    def rate_all_text(self) -> str:
        return percent(self.rate_all)

    @property
    def rate_foreign_text(self) -> str:
        return percent(self.rate_foreign)


@dataclass
class YearRates:
    fiscal_year: int
    assessed_all: int = 0
    assessed_foreign: int = 0
    collected_all: int = 0
    collected_foreign: int = 0
    months: list[MonthRate] = field(default_factory=list)

    @property
    def rate_all(self) -> float | None:
        return self.collected_all / self.assessed_all if self.assessed_all else None

    @property
    def rate_foreign(self) -> float | None:
        return self.collected_foreign / self.assessed_foreign if self.assessed_foreign else None

    @property
    def rate_all_text(self) -> str:
        return percent(self.rate_all)

    @property
    def rate_foreign_text(self) -> str:
        return percent(self.rate_foreign)


def _foreign_head(municipality_id: int):
    return Exists(
        Resident.objects.filter(
            municipality_id=municipality_id, resident_code=OuterRef("household_head_code")
        ).exclude(nationality__in=["", "JP"])
    )


def fiscal_months(fiscal_year: int) -> list[date]:
    return [date(fiscal_year + (m < 4), m, 1) for m in (*range(4, 13), 1, 2, 3)]


def collection_rates(*, municipality_id: int, today: date) -> list[YearRates]:
    """Collected ÷ assessed (DOMAIN.md §1) by fiscal year — all households and households whose head
    is a foreign national — and, month by month, the cumulative payments of the year up to the end
    of that month over the year's assessment (累計収納率). Payments made before April count in April;
    payments after March count in the year's total only. Three queries, summed in the database."""
    foreign = _foreign_head(municipality_id)
    years: dict[int, YearRates] = {}
    for year, is_foreign, total in (
        Assessment.objects.filter(municipality_id=municipality_id, is_current=True)
        .annotate(foreign=foreign)
        .values("fiscal_year", "foreign")
        .annotate(total=Sum("amount"))
        .values_list("fiscal_year", "foreign", "total")
    ):
        rates = years.setdefault(year, YearRates(year))
        rates.assessed_all += total
        if is_foreign:
            rates.assessed_foreign += total
    collected: dict[int, dict[date, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for year, is_foreign, month, total in (
        Payment.objects.filter(municipality_id=municipality_id, paid_date__lte=today)
        .annotate(foreign=foreign, month=TruncMonth("paid_date"))
        .values("fiscal_year", "foreign", "month")
        .annotate(total=Sum("amount"))
        .values_list("fiscal_year", "foreign", "month", "total")
    ):
        month = month.date() if hasattr(month, "date") else month
        cell = collected[year][month]
        cell[0] += total
        if is_foreign:
            cell[1] += total
    for year, months in collected.items():
        rates = years.setdefault(year, YearRates(year))
        rates.collected_all = sum(v[0] for v in months.values())
        rates.collected_foreign = sum(v[1] for v in months.values())
    this_month = today.replace(day=1)
    for year, rates in years.items():
        running_all = running_foreign = 0
        months = collected.get(year, {})
        first = date(year, 4, 1)
        for month in fiscal_months(year):
            if month > this_month:
                break
            for paid_month, (all_, foreign_) in months.items():
                if paid_month == month or (month == first and paid_month < first):
                    running_all += all_
                    running_foreign += foreign_
            rates.months.append(
                MonthRate(
                    month,
                    running_all,
                    running_foreign,
                    running_all / rates.assessed_all if rates.assessed_all else None,
                    running_foreign / rates.assessed_foreign if rates.assessed_foreign else None,
                )
            )
    return [years[y] for y in sorted(years, reverse=True)]
