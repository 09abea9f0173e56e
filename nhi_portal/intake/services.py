"""Receive a file (hash, de-duplicate, store, enqueue) and import it whole or not at all."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.utils import timezone

from nhi_portal import jobs
from nhi_portal.intake.bulk import insert_rows
from nhi_portal.intake.errors import ERROR, FileRejected
from nhi_portal.intake.registry import get_importer
from nhi_portal.models import (
    LANDED_STATUSES,
    BatchStatus,
    ImportBatch,
    ImportIssue,
    ImportMode,
    JobKind,
    Municipality,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Received:
    batch: ImportBatch
    duplicate: bool  # the same bytes were already imported: nothing new was created

    @property
    def message(self) -> str:
        if self.duplicate:
            return (
                f"同じ内容のファイルは取込済みです（取込番号 {self.batch.pk}、"
                f"{timezone.localtime(self.batch.created_at):%Y-%m-%d %H:%M}）。何も変更していません。"
            )
        return f"「{self.batch.source_name}」を受け付けました（取込番号 {self.batch.pk}）。"


def content_sha256(stream: BinaryIO) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    stream.seek(0)
    while block := stream.read(1 << 20):
        digest.update(block)
        size += len(block)
    stream.seek(0)
    return digest.hexdigest(), size


def batch_receive(
    *,
    municipality: Municipality,
    kind: str,
    filename: str,
    content: BinaryIO | bytes,
    source: str,
    user=None,
    mode: str = ImportMode.DELTA,
    annex: int | None = None,
    data_month: date | None = None,
    enqueue: bool = True,
) -> Received:
    """Record a received file. Identical content already imported → the earlier batch, unchanged.
    The import itself runs as a Celery task once this transaction commits."""
    get_importer(kind)  # unknown kinds fail loudly, before anything is stored
    stream = File(ContentFile(content) if isinstance(content, bytes) else content)
    sha, size = content_sha256(stream.file if hasattr(stream, "file") else stream)
    existing = (
        ImportBatch.objects.for_municipality(municipality.pk)
        .filter(kind=kind, sha256=sha, status__in=LANDED_STATUSES)
        .first()
    )
    if existing is not None:
        logger.info("batch %s: duplicate content received again (%s)", existing.pk, source)
        return Received(existing, duplicate=True)
    with transaction.atomic():
        job = jobs.job_create(
            kind=JobKind.IMPORT, municipality_id=municipality.pk, title=f"{filename} の取込", user=user
        )
        batch = ImportBatch.objects.create(
            municipality=municipality,
            kind=kind,
            annex=annex,
            mode=mode,
            source=source,
            source_name=filename[:255],
            sha256=sha,
            size_bytes=size,
            data_month=data_month,
            uploaded_by=user if user is not None and user.is_authenticated else None,
            job=job,
        )
        batch.file.save(f"{sha}.csv", stream, save=True)
        if enqueue:
            from nhi_portal.intake.tasks import import_batch_task

            transaction.on_commit(lambda: import_batch_task.delay(batch.pk))
    logger.info("batch %s received: %s (%s bytes, %s)", batch.pk, kind, size, source)
    return Received(batch, duplicate=False)


def batch_import(*, batch_id: int) -> ImportBatch:
    """Import a received batch in one transaction. Safe to run twice: a batch that is already
    imported (or being imported by another worker) is left alone."""
    batch = ImportBatch.objects.get(pk=batch_id)
    if batch.status not in (BatchStatus.RECEIVED, BatchStatus.FAILED):
        return batch
    importer = get_importer(batch.kind)
    jobs.job_start(batch.job_id, message="ファイルを確認しています")
    try:
        with transaction.atomic():
            locked = (
                ImportBatch.objects.select_for_update(skip_locked=True)
                .filter(pk=batch_id, status__in=[BatchStatus.RECEIVED, BatchStatus.FAILED])
                .first()
            )
            if locked is None:
                return ImportBatch.objects.get(pk=batch_id)
            _run_import(locked, importer)
    except FileRejected as exc:
        reason = exc.message(batch.source_name)
        ImportBatch.objects.filter(pk=batch_id).update(
            status=BatchStatus.REJECTED, rejection_reason=reason, imported_at=timezone.now()
        )
        jobs.job_fail(batch.job_id, error=reason)
        logger.info("batch %s rejected: %s", batch_id, exc.reason)
    except IntegrityError:
        reason = (
            "同じ内容のファイルが同時に取り込まれました。取込一覧で先に取り込まれた方を確認してください。"
        )
        ImportBatch.objects.filter(pk=batch_id).update(status=BatchStatus.REJECTED, rejection_reason=reason)
        jobs.job_fail(batch.job_id, error=reason)
        logger.warning("batch %s: concurrent duplicate", batch_id)
    except Exception as exc:
        logger.exception("batch %s failed", batch_id)
        reason = (
            "取込中に予期しないエラーが起きました。ファイルの内容は取り込まれていません。"
            f"時間をおいて再実行し、続くようなら管理者に連絡してください（{type(exc).__name__}）。"
        )
        ImportBatch.objects.filter(pk=batch_id).update(status=BatchStatus.FAILED, rejection_reason=reason)
        jobs.job_fail(batch.job_id, error=reason)
    return ImportBatch.objects.get(pk=batch_id)


def _run_import(batch: ImportBatch, importer) -> None:
    state: dict = {}
    with batch.file.open("rb") as stream:
        source = importer.open(stream, batch=batch)
        jobs.job_progress(batch.job_id, done=0, total=source.size, message="取り込んでいます")

        def progress(rows: int) -> None:
            jobs.job_progress(batch.job_id, done=source.bytes_read, message=f"{rows:,}行を読み込みました")

        with jobs.without_gc():  # millions of short-lived cells; reference counting frees them
            problems = importer.save(source, batch=batch, state=state, progress=progress)
        batch.encoding = source.encoding
        rows_total = source.rows_read
    if rows_total == 0:
        raise FileRejected("見出し行だけで、データ行がありません。")
    summary = importer.finish(batch=batch, state=state)
    insert_rows(
        ImportIssue,
        ["batch_id", "line", "column", "value", "reason", "severity"],
        ((batch.pk, p.line, p.column[:80], p.value[:200], p.reason[:300], p.severity) for p in problems),
    )
    error_lines = {p.line for p in problems if p.severity == ERROR}
    warning_lines = {p.line for p in problems if p.severity != ERROR} - error_lines
    batch.rows_total = rows_total
    batch.rows_with_errors = len(error_lines)
    batch.rows_with_warnings = len(warning_lines)
    batch.summary = summary
    batch.status = BatchStatus.NEEDS_ATTENTION if problems else BatchStatus.IMPORTED
    batch.rejection_reason = ""
    batch.imported_at = timezone.now()
    batch.save()
    done_message = f"{rows_total:,}行を取り込みました"
    if problems:
        done_message += f"（確認が必要な行 {len(error_lines | warning_lines):,}）"
    transaction.on_commit(
        lambda: jobs.job_succeed(
            batch.job_id,
            message=done_message,
            result={"batch_id": batch.pk},
            result_url=f"/imports/{batch.pk}/",
        )
    )


def batch_acknowledge(*, batch: ImportBatch, user) -> ImportBatch:
    """A clerk has read the problems of a 'needs attention' batch."""
    updated = ImportBatch.objects.filter(pk=batch.pk, status=BatchStatus.NEEDS_ATTENTION).update(
        status=BatchStatus.ACKNOWLEDGED, acknowledged_by=user, acknowledged_at=timezone.now()
    )
    if updated:
        logger.info("batch %s acknowledged by user %s", batch.pk, user.pk)
    batch.refresh_from_db()
    return batch


def batch_retry(*, batch: ImportBatch) -> ImportBatch:
    """Re-run a batch that failed for a reason outside the file (e.g. the database restarted)."""
    if batch.status != BatchStatus.FAILED:
        return batch
    from nhi_portal.intake.tasks import import_batch_task

    transaction.on_commit(lambda: import_batch_task.delay(batch.pk))
    return batch
