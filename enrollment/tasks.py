"""Celery discovers the enrollment app's tasks here."""

from enrollment.cases.printing_tasks import render_print_batch_task
from enrollment.linking.tasks import match_chunk_task, match_start_task

__all__ = ["match_chunk_task", "match_start_task", "render_print_batch_task"]
