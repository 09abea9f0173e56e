"""Progress of background jobs, for the browser's progress bars.

Job rows are written through a connection of their own (alias `progress` on PostgreSQL), so
progress is visible while a long import transaction is still open. SQLite allows one writer
at a time, so there progress inside an open transaction is skipped (the demo runs jobs in the
request anyway)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connections
from django.utils import timezone

from nhi_portal.models import Job, JobStatus

logger = logging.getLogger(__name__)


def _alias() -> str:
    return getattr(settings, "NHI_PROGRESS_DB", "default")


def _writable() -> bool:
    alias = _alias()
    default = connections["default"]
    return not (alias == "default" and default.vendor == "sqlite" and default.in_atomic_block)


def _update(job_id: int | None, **fields) -> None:
    if job_id is None or not _writable():
        return
    Job.objects.using(_alias()).filter(pk=job_id).update(**fields)


def job_create(*, kind: str, municipality_id: int, title: str, user=None, total: int = 0, params=None) -> Job:
    return Job.objects.create(
        kind=kind,
        municipality_id=municipality_id,
        title=title,
        created_by=user if user is not None and user.is_authenticated else None,
        total=total,
        params=params or {},
    )


def job_start(job_id: int | None, *, total: int = 0, message: str = "") -> None:
    _update(
        job_id,
        status=JobStatus.RUNNING,
        started_at=timezone.now(),
        finished_at=None,
        error="",
        total=total,
        done=0,
        message=message,
    )


def job_progress(
    job_id: int | None, *, done: int, total: int | None = None, message: str | None = None
) -> None:
    fields: dict = {"done": done}
    if total is not None:
        fields["total"] = total
    if message is not None:
        fields["message"] = message[:300]
    _update(job_id, **fields)


def job_succeed(
    job_id: int | None, *, message: str, result: dict | None = None, result_url: str = ""
) -> None:
    fields = {"status": JobStatus.SUCCEEDED, "finished_at": timezone.now(), "message": message[:300]}
    if result is not None:
        fields["result"] = result
    if result_url:
        fields["result_url"] = result_url
    _update(job_id, **fields)


def job_fail(job_id: int | None, *, error: str) -> None:
    _update(job_id, status=JobStatus.FAILED, finished_at=timezone.now(), error=error, message="失敗しました")
