"""Reads of the shared base, scoped to the user's municipality."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Q
from django.utils import timezone

from nhi_portal.models import BatchStatus, ImportBatch, Job, JobStatus


def month_start(day: date | None = None) -> date:
    day = day or timezone.localdate()
    return day.replace(day=1)


def dashboard_summary(*, user) -> dict:
    batches = ImportBatch.objects.for_user(user)
    since = month_start()
    this_month = batches.filter(created_at__date__gte=since)
    counts = this_month.aggregate(
        files=Count("id"),
        rows=Count(
            "id",
            filter=Q(
                status__in=[BatchStatus.IMPORTED, BatchStatus.NEEDS_ATTENTION, BatchStatus.ACKNOWLEDGED]
            ),
        ),
        rejected=Count("id", filter=Q(status=BatchStatus.REJECTED)),
    )
    return {
        "month": since,
        "batch_counts": counts,
        "needs_attention": batches.filter(status=BatchStatus.NEEDS_ATTENTION).order_by("-created_at")[:10],
        "failed_jobs": Job.objects.for_user(user).filter(status=JobStatus.FAILED).order_by("-created_at")[:5],
        "recent_batches": batches.select_related("uploaded_by").order_by("-created_at")[:8],
    }
