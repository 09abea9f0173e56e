"""The access log's monthly summary (月次の確認): per user, how many reads and how many people, and
the patterns an auditor should look at —

- a user who read at least NHI_AUDIT_PEER_FACTOR times the median of their peers (the other users
  of the municipality with the same roles who read anything that month), and at least
  NHI_AUDIT_MIN_PEOPLE people;
- reads outside office hours (before NHI_OFFICE_HOURS_START or from NHI_OFFICE_HOURS_END, JST) or
  on a Saturday or Sunday (public holidays are not known to the portal);
- bulk reads: one entry naming NHI_AUDIT_BULK_PEOPLE people or more.

People are counted per entry (延べ人数): the same person read twice counts twice."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from nhi_portal.models import AccessLog, User

LIST_LIMIT = 200


@dataclass
class UserMonth:
    user: User
    roles: tuple[str, ...]
    entries: int
    people: int
    after_hours: int
    weekend: int
    bulk: int
    peer_median: float | None = None
    peers: int = 0
    far_above_peers: bool = False

    @property
    def unusual(self) -> bool:
        return self.far_above_peers or bool(self.after_hours or self.weekend or self.bulk)


@dataclass
class MonthSummary:
    month: date
    users: list[UserMonth] = field(default_factory=list)
    outside_hours: list[AccessLog] = field(default_factory=list)
    bulk: list[AccessLog] = field(default_factory=list)
    outside_hours_total: int = 0
    bulk_total: int = 0

    @property
    def entries(self) -> int:
        return sum(u.entries for u in self.users)

    @property
    def people(self) -> int:
        return sum(u.people for u in self.users)

    @property
    def flagged(self) -> list[UserMonth]:
        return [u for u in self.users if u.unusual]


def month_bounds(month: date) -> tuple[datetime, datetime]:
    start = month.replace(day=1)
    following = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return (
        timezone.make_aware(datetime.combine(start, time.min)),
        timezone.make_aware(datetime.combine(following, time.min)),
    )


def outside_office_hours() -> Q:
    """Entries before opening or from closing time (local time, Asia/Tokyo), or at a weekend."""
    return (
        Q(at__hour__lt=settings.NHI_OFFICE_HOURS_START)
        | Q(at__hour__gte=settings.NHI_OFFICE_HOURS_END)
        | Q(at__iso_week_day__gte=6)
    )


def month_entries(*, municipality_id: int, month: date) -> QuerySet[AccessLog]:
    start, end = month_bounds(month)
    return AccessLog.objects.filter(municipality_id=municipality_id, at__gte=start, at__lt=end)


def monthly_summary(*, municipality_id: int, month: date) -> MonthSummary:
    entries = month_entries(municipality_id=municipality_id, month=month)
    bulk_size = settings.NHI_AUDIT_BULK_PEOPLE
    rows = (
        entries.order_by()
        .values("user_id")
        .annotate(
            n=Count("id"),
            people=Sum("person_count"),
            after_hours=Count(
                "id",
                filter=(
                    Q(at__hour__lt=settings.NHI_OFFICE_HOURS_START)
                    | Q(at__hour__gte=settings.NHI_OFFICE_HOURS_END)
                )
                & Q(at__iso_week_day__lt=6),
            ),
            weekend=Count("id", filter=Q(at__iso_week_day__gte=6)),
            bulk=Count("id", filter=Q(person_count__gte=bulk_size)),
        )
    )
    users = {
        u.pk: u for u in User.objects.filter(pk__in=[r["user_id"] for r in rows]).prefetch_related("groups")
    }
    months = [
        UserMonth(
            user=users[r["user_id"]],
            roles=tuple(sorted(g.name for g in users[r["user_id"]].groups.all())),
            entries=r["n"],
            people=r["people"] or 0,
            after_hours=r["after_hours"],
            weekend=r["weekend"],
            bulk=r["bulk"],
        )
        for r in rows
    ]
    _compare_with_peers(months)
    months.sort(key=lambda m: (not m.unusual, -m.people, m.user.username))
    unusual_hours = entries.filter(outside_office_hours()).select_related("user").order_by("at", "id")
    bulk = entries.filter(person_count__gte=bulk_size).select_related("user").order_by("-person_count", "at")
    return MonthSummary(
        month=month.replace(day=1),
        users=months,
        outside_hours=list(unusual_hours[:LIST_LIMIT]),
        bulk=list(bulk[:LIST_LIMIT]),
        outside_hours_total=unusual_hours.count(),
        bulk_total=bulk.count(),
    )


def _compare_with_peers(months: list[UserMonth]) -> None:
    factor = settings.NHI_AUDIT_PEER_FACTOR
    floor = settings.NHI_AUDIT_MIN_PEOPLE
    for m in months:
        others = [o.people for o in months if o.roles == m.roles and o.user.pk != m.user.pk]
        m.peers = len(others)
        if not others:
            continue
        m.peer_median = statistics.median(others)
        m.far_above_peers = m.people >= floor and m.people >= factor * m.peer_median
