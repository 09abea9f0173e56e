"""Reads of the notice pages, always scoped to the user's municipality: the register and its
filters, one notice, a person's notices, counts per fiscal year, and the person's own items for
the form — from the resident register and the NHI ledger only, never from an ISA record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from enrollment.intake.nationality import _ALIASES
from enrollment.models import (
    ImmigrationNotice,
    NhiMembership,
    NoticeGround,
    NoticeSettings,
    NoticeState,
    Resident,
)

OPEN_NOTICE_STATES = (NoticeState.DRAFT, NoticeState.SUBMITTED, NoticeState.APPROVED)

# NoticeEvent.action → what happened, in Japanese.
ACTION_LABELS = {
    "created": "下書きを作成",
    "edited": "下書きを修正",
    "submitted": "承認を依頼",
    "approved": "承認",
    "rejected": "却下",
    "withdrawn": "取下げ",
    "sent": "送付を記録",
}


def fiscal_year_of(day: date) -> int:
    """年度: April to March (FY2026 = 2026-04-01 … 2027-03-31)."""
    return day.year if day.month >= 4 else day.year - 1


def nationality_label(code: str) -> str:
    aliases = _ALIASES.get(code)
    return f"{aliases[1]}（{code}）" if aliases and len(aliases) > 1 else (code or "")


# The person's items ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonItems:
    """What the notice says about the person: the register's four basic items (氏名・性別・生年月日・
    住所), nationality, residence status and period, and the NHI enrollment from the ledger."""

    resident: Resident
    nationality: str
    period: NhiMembership | None  # the current NHI period, else the latest

    @property
    def enrolled_on(self) -> date | None:
        return self.period.acquired_date if self.period else None

    def days_enrolled(self, on: date) -> int | None:
        return (on - self.enrolled_on).days if self.enrolled_on else None


def person_items(*, resident: Resident, today: date | None = None) -> PersonItems:
    today = today or timezone.localdate()
    periods = list(
        NhiMembership.objects.for_municipality(resident.municipality_id)
        .filter(resident_code=resident.resident_code)
        .order_by("-acquired_date", "-id")
    )
    current = next((p for p in periods if p.is_active_on(today)), None)
    return PersonItems(
        resident, nationality_label(resident.nationality), current or next(iter(periods), None)
    )


# Settings -----------------------------------------------------------------------------------------


def notice_settings(*, municipality_id: int) -> NoticeSettings | None:
    return NoticeSettings.objects.for_municipality(municipality_id).first()


def grounds_for(*, user, active_only: bool = True) -> QuerySet[NoticeGround]:
    grounds = NoticeGround.objects.for_user(user).order_by("order", "id")
    return grounds.filter(active=True) if active_only else grounds


# Notices ------------------------------------------------------------------------------------------


def notices(*, user) -> QuerySet[ImmigrationNotice]:
    return (
        ImmigrationNotice.objects.for_user(user)
        .select_related("resident", "created_by", "approved_by", "sent_by")
        .prefetch_related("grounds")
    )


def notice_get(*, user, pk: int) -> ImmigrationNotice:
    return notices(user=user).get(pk=pk)


def person_notices(*, user, resident: Resident) -> list[ImmigrationNotice]:
    return list(notices(user=user).filter(resident=resident).order_by("-created_at", "-id"))


def open_notice_of(*, resident: Resident) -> ImmigrationNotice | None:
    return (
        ImmigrationNotice.objects.for_municipality(resident.municipality_id)
        .filter(resident=resident, state__in=OPEN_NOTICE_STATES)
        .order_by("-created_at")
        .first()
    )


def work_list(*, user, limit: int = 500) -> list[ImmigrationNotice]:
    """The notices still being worked on (draft, waiting for approval, waiting to be sent)."""
    return list(
        notices(user=user).filter(state__in=OPEN_NOTICE_STATES).order_by("fiscal_year", "serial")[:limit]
    )


def register(*, user, year: int | None = None, state: str = "", ground: int | None = None):
    """The register of notices (通知の一覧), newest first, filtered by fiscal year, state, ground."""
    found = notices(user=user)
    if year:
        found = found.filter(fiscal_year=year)
    if state:
        found = found.filter(state=state)
    if ground:
        found = found.filter(grounds__id=ground)
    return found.order_by("-fiscal_year", "-serial")


def register_years(*, user) -> list[int]:
    return list(
        ImmigrationNotice.objects.for_user(user)
        .order_by("-fiscal_year")
        .values_list("fiscal_year", flat=True)
        .distinct()
    )


@dataclass(frozen=True)
class YearCounts:
    year: int
    total: int
    by_state: dict[str, int]

    @property
    def open(self) -> int:
        return sum(self.by_state.get(s, 0) for s in OPEN_NOTICE_STATES)


def counts_per_year(*, user) -> list[YearCounts]:
    """Notices per fiscal year and state, newest year first — counts only, one query."""
    rows = (
        ImmigrationNotice.objects.for_user(user)
        .values("fiscal_year", "state")
        .annotate(n=Count("id"))
        .order_by()
    )
    years: dict[int, dict[str, int]] = {}
    for row in rows:
        years.setdefault(row["fiscal_year"], {})[row["state"]] = row["n"]
    return [
        YearCounts(year, sum(states.values()), states) for year, states in sorted(years.items(), reverse=True)
    ]


def waiting_for_approval(*, user) -> int:
    return ImmigrationNotice.objects.for_user(user).filter(Q(state=NoticeState.SUBMITTED)).count()
