"""Reads of the shared base, scoped to the user's municipality: the dashboard's figures of this
month's files, the nightly batch and failed jobs, and the access log (for auditors)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone

from nhi_portal.auditing.summary import month_entries, outside_office_hours
from nhi_portal.models import (
    LANDED_STATUSES,
    BatchStatus,
    ImportBatch,
    ImportKind,
    Job,
    JobKind,
    JobStatus,
    NightlyRun,
)

RECENT_RUNS = 10  # the nightly runs the dashboard looks at (about the last week and a half)
FAILED_JOBS_SHOWN = 5


def month_start(day: date | None = None) -> date:
    day = day or timezone.localdate()
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def local_start(day: date) -> datetime:
    """Midnight at the start of `day`, Japan time (timestamps are stored in UTC)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def month_range(month: date) -> tuple[datetime, datetime]:
    return local_start(month), local_start(next_month(month))


# Files received this month ----------------------------------------------------------------------


@dataclass
class IntakeRow:
    label: str
    files: int = 0
    landed: int = 0  # imported (whole), possibly with rows to check
    rejected: int = 0  # not imported: refused or failed
    rows: int = 0  # rows read in the files that were imported
    rows_with_errors: int = 0


@dataclass
class IntakeMonth:
    month: date
    rows: list[IntakeRow] = field(default_factory=list)
    total: IntakeRow = field(default_factory=lambda: IntakeRow("合計"))
    needs_attention: list[ImportBatch] = field(default_factory=list)
    needs_attention_total: int = 0


def _kind_label(kind: str, annex: int | None) -> str:
    label = str(ImportKind(kind).label) if kind in ImportKind.values else kind
    return f"{label} 別紙{annex}" if kind == ImportKind.ISA and annex else label


def intake_month(*, user, today: date) -> IntakeMonth:
    """Files received this month (by the day they were received), per kind and ISA annex: how many
    were imported or refused, and the rows read and rows with errors. Two queries."""
    month = month_start(today)
    start, end = month_range(month)
    batches = ImportBatch.objects.for_user(user)
    landed = Q(status__in=LANDED_STATUSES)
    grouped = (
        batches.filter(created_at__gte=start, created_at__lt=end)
        .order_by()
        .values("kind", "annex")
        .annotate(
            files=Count("id"),
            landed=Count("id", filter=landed),
            rejected=Count("id", filter=Q(status__in=[BatchStatus.REJECTED, BatchStatus.FAILED])),
            rows=Sum("rows_total", filter=landed, default=0),
            rows_with_errors=Sum("rows_with_errors", filter=landed, default=0),
        )
    )
    order = {kind: index for index, kind in enumerate(ImportKind.values)}
    result = IntakeMonth(month)
    for row in sorted(grouped, key=lambda r: (order.get(r["kind"], 99), r["annex"] or 0)):
        line = IntakeRow(
            _kind_label(row["kind"], row["annex"]),
            row["files"],
            row["landed"],
            row["rejected"],
            row["rows"],
            row["rows_with_errors"],
        )
        result.rows.append(line)
        for name in ("files", "landed", "rejected", "rows", "rows_with_errors"):
            setattr(result.total, name, getattr(result.total, name) + getattr(line, name))
    waiting = list(batches.filter(status=BatchStatus.NEEDS_ATTENTION).order_by("-created_at", "-id")[:11])
    result.needs_attention = waiting[:10]
    result.needs_attention_total = len(waiting)
    return result


# The nightly batch and failed jobs ----------------------------------------------------------------


@dataclass
class SystemHealth:
    latest_run: NightlyRun | None
    failed_runs: list[NightlyRun]  # still failed: not re-run (a re-run changes the status)
    failed_jobs: list[Job]
    failed_jobs_total: int  # this month
    can_rerun: bool


def nightly_runs(*, user):
    return NightlyRun.objects.for_user(user).order_by("-created_at", "-id")


def nightly_run_get(*, user, pk: int) -> NightlyRun:
    return nightly_runs(user=user).select_related("job", "triggered_by").get(pk=pk)


def system_health(*, user, today: date) -> SystemHealth:
    """The latest nightly runs (a failed one with its reason, offered for a re-run) and the
    background jobs that failed this month. Three queries."""
    from nhi_portal.access import has_portal_permission
    from nhi_portal.nightly import RERUN_PERMISSIONS

    runs = list(nightly_runs(user=user)[:RECENT_RUNS])
    start, _ = month_range(month_start(today))
    failed_jobs = (
        Job.objects.for_user(user)
        .filter(status=JobStatus.FAILED, created_at__gte=start)
        .exclude(kind=JobKind.NIGHTLY)  # the nightly runs are shown with their steps
        .order_by("-created_at", "-id")
    )
    return SystemHealth(
        latest_run=runs[0] if runs else None,
        failed_runs=[r for r in runs if r.status == JobStatus.FAILED],
        failed_jobs=list(failed_jobs[:FAILED_JOBS_SHOWN]),
        failed_jobs_total=failed_jobs.count(),
        can_rerun=all(has_portal_permission(user, p) for p in RERUN_PERMISSIONS),
    )


# The access log, for auditors ------------------------------------------------------------------------


@dataclass
class AccessMonth:
    month: date
    entries: int
    people: int  # counted per entry (延べ人数)
    outside_hours: int
    bulk: int
    exports: int


def access_month(*, user, today: date) -> AccessMonth:
    """This month's reads of personal data in the access log, in one query (the monthly summary
    page has the detail per user)."""
    month = month_start(today)
    if not user.municipality_id:
        return AccessMonth(month, 0, 0, 0, 0, 0)
    counts = month_entries(municipality_id=user.municipality_id, month=month).aggregate(
        entries=Count("id"),
        people=Sum("person_count", default=0),
        outside_hours=Count("id", filter=outside_office_hours()),
        bulk=Count("id", filter=Q(person_count__gte=settings.NHI_AUDIT_BULK_PEOPLE)),
        exports=Count("id", filter=~Q(content_sha256="")),
    )
    return AccessMonth(month, **counts)


def week_bounds(today: date) -> tuple[date, date]:
    """Monday and Sunday of this week (a Japanese office week runs Monday to Sunday)."""
    monday = today - timedelta(days=today.weekday())
    return monday, monday + timedelta(days=6)
