"""Celery tasks of the shared base: the nightly batch. Tasks take ids and are safe to run twice."""

from __future__ import annotations

from celery import shared_task

from nhi_portal import nightly
from nhi_portal.intake.tasks import import_batch_task
from nhi_portal.models import Municipality

__all__ = ["import_batch_task", "nightly_run_task", "nightly_start_all"]


@shared_task(acks_late=True, reject_on_worker_lost=True)
def nightly_run_task(run_id: int, wake: str = "") -> str:
    """`wake`: the token of a continuation (see nightly.nightly_execute); none for a first run."""
    return nightly.nightly_execute(run_id=run_id, wake=wake).status


@shared_task
def nightly_start_all() -> int:
    """Beat entry point: one nightly run per municipality (tenant)."""
    count = 0
    for municipality in Municipality.objects.tenants():
        nightly.nightly_enqueue(municipality=municipality)
        count += 1
    return count


@shared_task
def watchdog_task() -> dict:
    """Beat entry point, every minute: pick up stalled nightly runs and match runs."""
    from django.conf import settings

    from nhi_portal.registry_hooks import run_watchdogs

    return run_watchdogs(stall_seconds=getattr(settings, "NHI_STALL_SECONDS", 120))


@shared_task
def retention_purge_all() -> int:
    """Beat entry point, daily: purge ISA files and pension lists past the retention period."""
    from nhi_portal.retention import purge_expired_all

    return len(purge_expired_all(trigger="schedule"))
