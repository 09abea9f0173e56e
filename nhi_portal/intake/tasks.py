"""Celery tasks of the intake: they take ids, call a service, and are safe to run twice."""

from __future__ import annotations

from celery import shared_task

from nhi_portal.intake import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def import_batch_task(batch_id: int) -> str:
    batch = services.batch_import(batch_id=batch_id)
    return batch.status
