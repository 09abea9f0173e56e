"""Shared by the enrollment commands that read a batch's match decisions."""

from __future__ import annotations

from django.core.management.base import CommandError

from nhi_portal.models import ImportBatch


def matched_batch(batch_id: int) -> ImportBatch:
    """The import batch `batch_id`, which must have been matched (for the commands that read its decisions)."""
    batch = ImportBatch.objects.filter(pk=batch_id).select_related("municipality").first()
    if batch is None:
        raise CommandError(f"取込番号 {batch_id} はありません。")
    if not hasattr(batch, "match_run"):
        raise CommandError(
            f"取込番号 {batch.pk} はまだ突合されていません（manage.py match_batch {batch.pk}）。"
        )
    return batch
