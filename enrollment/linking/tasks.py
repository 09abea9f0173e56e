"""Celery tasks of matching: they take ids, call a service, and are safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

from enrollment.linking import runs
from enrollment.models import MatchChunk

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def match_chunk_task(chunk_id: int) -> bool:
    try:
        return runs.chunk_execute(chunk_id)
    except Exception as exc:
        logger.exception("match chunk %s failed", chunk_id)
        chunk = MatchChunk.objects.filter(pk=chunk_id).first()
        if chunk is not None:
            runs.match_fail(
                chunk.run_id,
                f"突合の途中で失敗しました（{type(exc).__name__}）。原因を取り除いてから「再開」してください。"
                "判定済みの記録はそのまま残り、二重には作られません。",
            )
        return False


@shared_task(acks_late=True, reject_on_worker_lost=True)
def match_start_task(batch_id: int) -> int:
    from nhi_portal.models import ImportBatch

    run = runs.match_start(batch=ImportBatch.objects.get(pk=batch_id))
    return run.pk
