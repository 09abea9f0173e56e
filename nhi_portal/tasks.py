"""Celery tasks of the shared base: the nightly batch. Tasks take ids and are safe to run twice."""

from __future__ import annotations

from celery import shared_task

from nhi_portal import nightly
from nhi_portal.intake.tasks import import_batch_task
from nhi_portal.models import Municipality

__all__ = ["import_batch_task", "nightly_run_task", "nightly_start_all"]


@shared_task(acks_late=True, reject_on_worker_lost=True)
def nightly_run_task(run_id: int) -> str:
    return nightly.nightly_execute(run_id=run_id).status


@shared_task
def nightly_start_all() -> int:
    """Beat entry point: one nightly run per municipality (tenant)."""
    count = 0
    for municipality in Municipality.objects.tenants():
        nightly.nightly_enqueue(municipality=municipality)
        count += 1
    return count
