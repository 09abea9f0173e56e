"""Celery tasks of the arrears app: they take ids, call a service, and are safe to run twice."""

from __future__ import annotations

from celery import shared_task

from arrears import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def linkage_produce_task(export_id: int) -> str:
    return services.linkage_produce(export_id=export_id).status
