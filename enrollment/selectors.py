"""Reads with rules for the enrollment pages and API, always scoped to the user's municipality."""

from __future__ import annotations

from django.db.models import QuerySet

from enrollment.models import IsaRecord, Resident
from nhi_portal.models import ImportBatch, ImportIssue


def batch_list(*, user) -> QuerySet[ImportBatch]:
    return (
        ImportBatch.objects.for_user(user).select_related("uploaded_by", "job").order_by("-created_at", "-id")
    )


def batch_get(*, user, pk: int) -> ImportBatch:
    return batch_list(user=user).get(pk=pk)


def batch_issues(*, batch: ImportBatch) -> QuerySet[ImportIssue]:
    return batch.issues.order_by("line", "id")


def isa_records(*, user) -> QuerySet[IsaRecord]:
    return IsaRecord.objects.for_user(user).select_related("batch")


def residents(*, user) -> QuerySet[Resident]:
    return Resident.objects.for_user(user)
