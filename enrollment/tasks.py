"""Celery discovers the enrollment app's tasks here."""

from enrollment.linking.tasks import match_chunk_task, match_start_task

__all__ = ["match_chunk_task", "match_start_task"]
