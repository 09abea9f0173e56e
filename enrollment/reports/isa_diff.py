"""The ISA data's monthly difference (ISAデータの月次差分): each record of a month's ISA files
(annexes 1-3) is

- **new** (今月初めて): no earlier month holds the same person;
- **unchanged** (以前にもあった人): the person appears in an earlier month, and the record agrees with
  one of their records of the latest such month in address, municipality code and annex;
- **changed** (住所・区分の変更): the person appears in an earlier month, but not with this address,
  municipality code or annex in the latest such month — a move, a correction, or a new event
  (left the job, changed status).

The same person = the same Latin name, birth date and sex as cleaned at import (the ISA copies
them from the residence card, so they repeat exactly from month to month; matching's tolerance of
notation is for the register). A record whose name or birth date could not be read cannot be
compared and counts as new. Only imported files count, by the month of their data.

Counts are `EXISTS` / `NOT EXISTS` conditions in the database (semi- and anti-joins on PostgreSQL),
three queries whatever the size of the month."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet

from enrollment.models import Annex, IsaRecord
from nhi_portal.models import LANDED_STATUSES, ImportKind

NEW, UNCHANGED, CHANGED = "new", "unchanged", "changed"
SECTIONS = {
    NEW: "今月初めての人",
    UNCHANGED: "以前にもあった人（変更なし）",
    CHANGED: "住所・区分が変わった人",
}
ISA_ANNEXES = [Annex.ENTRY, Annex.SEPARATION, Annex.STATUS_CHANGE]


def _records(user) -> QuerySet[IsaRecord]:
    return IsaRecord.objects.for_user(user).filter(
        annex__in=ISA_ANNEXES,
        batch__kind=ImportKind.ISA,
        batch__status__in=LANDED_STATUSES,
        batch__data_month__isnull=False,
    )


def _comparable() -> Q:
    return ~Q(name="") & Q(birth_date__isnull=False)


def _same_person(earlier: QuerySet[IsaRecord]) -> QuerySet[IsaRecord]:
    return earlier.filter(name=OuterRef("name"), birth_date=OuterRef("birth_date"), sex=OuterRef("sex"))


def _conditions(user, month: date) -> dict[str, Q]:
    earlier = _records(user).filter(batch__data_month__lt=month)
    seen = Exists(_same_person(earlier))
    # The person's records of a later earlier month than this one: none means it is of their latest.
    newer = earlier.filter(
        name=OuterRef("name"),
        birth_date=OuterRef("birth_date"),
        sex=OuterRef("sex"),
        batch__data_month__gt=OuterRef("batch__data_month"),
    )
    agrees_with_latest = Exists(
        _same_person(earlier)
        .filter(address=OuterRef("address"), lg_code=OuterRef("lg_code"), annex=OuterRef("annex"))
        .exclude(Exists(newer))
    )
    comparable = _comparable()
    return {
        NEW: ~comparable | ~Q(seen),
        UNCHANGED: comparable & Q(agrees_with_latest),
        CHANGED: comparable & Q(seen) & ~Q(agrees_with_latest),
    }


@dataclass
class MonthDiff:
    month: date
    total: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def sections(self) -> list[tuple[str, str, int]]:
        return [(key, label, self.counts.get(key, 0)) for key, label in SECTIONS.items()]


def month_records(*, user, month: date) -> QuerySet[IsaRecord]:
    return _records(user).filter(batch__data_month=month)


def month_diff(*, user, month: date) -> MonthDiff:
    """How many of the month's records are new, unchanged and changed (three queries)."""
    current = month_records(user=user, month=month)
    conditions = _conditions(user, month)
    total = current.count()
    new = current.filter(conditions[NEW]).count()
    unchanged = current.filter(conditions[UNCHANGED]).count()
    return MonthDiff(month, total, {NEW: new, UNCHANGED: unchanged, CHANGED: total - new - unchanged})


def section_records(*, user, month: date, section: str) -> QuerySet[IsaRecord]:
    """The month's records of one section, in name order (for a paged table)."""
    return (
        month_records(user=user, month=month)
        .filter(_conditions(user, month)[section])
        .select_related("batch")
        .order_by("name", "birth_date", "id")
    )


@dataclass
class Earlier:
    """The person's records of the latest earlier month, and which fields differ from this month's."""

    month: date
    records: list[IsaRecord]
    address_changed: bool
    lg_code_changed: bool
    annex_changed: bool


def earlier_records(*, user, month: date, records: list[IsaRecord]) -> dict[int, Earlier]:
    """For records on one page: their person's records of the latest earlier month (one query)."""
    people = {(r.name, r.birth_date, r.sex) for r in records if r.name and r.birth_date}
    if not people:
        return {}
    condition = Q()
    for name, birth_date, sex in people:
        condition |= Q(name=name, birth_date=birth_date, sex=sex)
    found: dict[tuple, list[IsaRecord]] = {}
    for earlier in (
        _records(user)
        .filter(condition, batch__data_month__lt=month)
        .select_related("batch")
        .order_by("-batch__data_month", "annex", "id")
    ):
        key = (earlier.name, earlier.birth_date, earlier.sex)
        latest = found.setdefault(key, [])
        if not latest or latest[0].batch.data_month == earlier.batch.data_month:
            latest.append(earlier)
    result = {}
    for record in records:
        latest = found.get((record.name, record.birth_date, record.sex))
        if not latest:
            continue
        result[record.pk] = Earlier(
            month=latest[0].batch.data_month,
            records=latest,
            address_changed=all(e.address != record.address for e in latest),
            lg_code_changed=all(e.lg_code != record.lg_code for e in latest),
            annex_changed=all(e.annex != record.annex for e in latest),
        )
    return result
