"""Progress of background jobs, for the browser's progress bars.

A job's state changes (queued → running → succeeded/failed) are rows in the database, written
outside the job's own transaction. Live progress (rows done, a status line) changes many times a
second inside long transactions — even inside a COPY — so it lives in the cache (Redis in
production, shared by workers and web; local memory in the embedded demo, where jobs run in the
web process) and is folded into the job when it ends.

Live progress is only shown: when the cache does not answer (Redis restarting), it is skipped —
a job never fails, nor leaves its row unfinished, because of it."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache
from django.utils import timezone

from nhi_portal.models import Job, JobStatus

logger = logging.getLogger(__name__)
_TTL = 6 * 60 * 60


@contextmanager
def without_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one chunk of bulk work. A matching chunk builds
    hundreds of thousands of short-lived objects (rows, features, scores) that reference counting
    frees anyway; each collection would also walk every live object, and at that allocation rate
    collections ran so often that building the candidates' features took three times as long.
    Cycles made meanwhile are collected once the chunk is done."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _key(job_id: int) -> str:
    return f"job-progress:{job_id}"


def _cache(operation: str, *args):
    try:
        return getattr(cache, operation)(*args)
    except Exception as exc:  # the cache is Redis: a restart must not fail the job
        logger.warning("job progress not %s (cache unavailable: %s: %s)", operation, type(exc).__name__, exc)
        return None


def live_progress(job: Job) -> dict:
    """done/total/message of a running job (from the cache), else what the row holds."""
    if job.status == JobStatus.RUNNING:
        live = _cache("get", _key(job.pk))
        if live:
            return live
    return {"done": job.done, "total": job.total, "message": job.message}


def job_create(*, kind: str, municipality_id: int, title: str, user=None, total: int = 0, params=None) -> Job:
    limit = Job._meta.get_field("title").max_length
    return Job.objects.create(
        kind=kind,
        municipality_id=municipality_id,
        title=title if len(title) <= limit else title[: limit - 1] + "…",
        created_by=user if user is not None and user.is_authenticated else None,
        total=total,
        params=params or {},
    )


def job_start(job_id: int | None, *, total: int = 0, message: str = "") -> None:
    if job_id is None:
        return
    Job.objects.filter(pk=job_id).update(
        status=JobStatus.RUNNING,
        started_at=timezone.now(),
        finished_at=None,
        error="",
        total=total,
        done=0,
        message=message,
    )
    _cache("set", _key(job_id), {"done": 0, "total": total, "message": message}, _TTL)


def job_progress(
    job_id: int | None, *, done: int, total: int | None = None, message: str | None = None
) -> None:
    if job_id is None:
        return
    current = _cache("get", _key(job_id)) or {"done": 0, "total": 0, "message": ""}
    current["done"] = done
    if total is not None:
        current["total"] = total
    if message is not None:
        current["message"] = message[:300]
    _cache("set", _key(job_id), current, _TTL)


def _finish(job_id: int, **fields) -> None:
    live = _cache("get", _key(job_id)) or {}
    fields.setdefault("done", live.get("done", 0))
    if live.get("total"):
        fields.setdefault("total", live["total"])
    Job.objects.filter(pk=job_id).update(finished_at=timezone.now(), **fields)
    _cache("delete", _key(job_id))


def job_succeed(
    job_id: int | None, *, message: str, result: dict | None = None, result_url: str = ""
) -> None:
    if job_id is None:
        return
    fields: dict = {"status": JobStatus.SUCCEEDED, "message": message[:300]}
    if result is not None:
        fields["result"] = result
    if result_url:
        fields["result_url"] = result_url
    _finish(job_id, **fields)


def job_fail(job_id: int | None, *, error: str) -> None:
    if job_id is None:
        return
    _finish(job_id, status=JobStatus.FAILED, error=error, message="失敗しました")
