"""Match runs: plan an ISA batch's matching as chunks, let workers take them (in parallel, on as
many machines as share the Redis and PostgreSQL), and advance when a stage is done.

Crash safety: each chunk's work, its `done` mark and the run's counter are one transaction, and a
chunk is claimed with a row lock, so a chunk re-delivered after a worker died either finds its
work committed (and skips) or redoes it from nothing; decisions are never duplicated
(`MatchDecision.isa_record` is unique)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from enrollment.linking import index
from enrollment.linking.matcher import match_rows
from enrollment.matching import Thresholds
from enrollment.models import MatchChunk, MatchDecision, MatchRun, Outcome
from nhi_portal import jobs
from nhi_portal.intake.bulk import analyze_after_commit
from nhi_portal.models import ImportBatch, ImportKind, JobKind, JobStatus

logger = logging.getLogger(__name__)

INDEX_CHUNK = 20_000  # residents per indexing chunk
MATCH_CHUNK = settings.NHI_MATCH_CHUNK_SIZE  # ISA rows per matching chunk


# What is matched to the register: the ISA files and the Japan Pension Service's lists (年金
# 資格喪失者一覧), which share the IsaRecord table (annexes 21 and 22) and the same engine.
MATCHED_KINDS = (ImportKind.ISA, ImportKind.PENSION_CAT2_LOST, ImportKind.PENSION_CAT13_LOST)


class NotMatchable(ValueError):
    """Japanese reason why a batch cannot be matched."""


def current_thresholds() -> Thresholds:
    """The settings' thresholds; each run adds the automatic-match probability its fit sets."""
    return Thresholds(
        target_precision=settings.NHI_MATCH_TARGET_PRECISION, review=settings.NHI_MATCH_REVIEW_PROBABILITY
    )


def match_start(*, batch: ImportBatch, user=None, dispatch: bool = True) -> MatchRun:
    """Create (or resume) the match run of an ISA batch or a pension list and hand its chunks to
    the workers. Safe to call again: a finished run is returned as it is, an unfinished one resumes."""
    if batch.kind not in MATCHED_KINDS:
        raise NotMatchable("突合できるのはISAファイルと年金の資格喪失者一覧の取込だけです。")
    if not batch.has_landed:
        raise NotMatchable("この取込はまだ完了していないか、取り込めなかったため突合できません。")
    with transaction.atomic():
        run = MatchRun.objects.select_for_update().filter(batch=batch).first()
        if run is None:
            job = jobs.job_create(
                kind=JobKind.MATCH,
                municipality_id=batch.municipality_id,
                title=f"{batch.source_name} の突合",
                user=user,
            )
            run = MatchRun.objects.create(
                municipality_id=batch.municipality_id,
                batch=batch,
                job=job,
                created_by=user if user is not None and user.is_authenticated else None,
                thresholds=current_thresholds().to_dict(),
            )
            _plan(run)
        elif run.status == JobStatus.SUCCEEDED:
            return run
        MatchRun.objects.filter(pk=run.pk).update(status=JobStatus.RUNNING, error="", finished_at=None)
        run.status, run.error = JobStatus.RUNNING, ""
        # Started before the chunks are handed out: without a broker (eager Celery: the demo, the
        # tests) they run, and the job succeeds, as soon as this transaction commits.
        jobs.job_start(run.job_id, total=run.chunks_total, message="突合の準備をしています")
        if dispatch:
            transaction.on_commit(lambda: dispatch_pending(run.pk))
    return run


def _plan(run: MatchRun) -> None:
    """Index chunks for the stale residents (by id range), match chunks by ISA row range."""
    index.drop_unnamed(run.municipality_id)
    stale = list(index.stale_residents(run.municipality_id).order_by("id").values_list("id", flat=True))
    chunks = []
    for number, start in enumerate(range(0, len(stale), INDEX_CHUNK)):
        part = stale[start : start + INDEX_CHUNK]
        chunks.append(MatchChunk(run=run, kind=MatchChunk.Kind.INDEX, number=number, lo=part[0], hi=part[-1]))
    rows = run.batch.rows_total or run.batch.isa_records.count()
    for number, start in enumerate(range(1, rows + 1, MATCH_CHUNK)):
        chunks.append(
            MatchChunk(
                run=run,
                kind=MatchChunk.Kind.MATCH,
                number=number,
                lo=start,
                hi=min(start + MATCH_CHUNK - 1, rows),
            )
        )
    MatchChunk.objects.bulk_create(chunks)
    run.chunks_total = len(chunks)
    run.stage = MatchRun.Stage.INDEX if stale else MatchRun.Stage.MATCH
    if not stale:
        run.population = index.index_population(run.municipality_id)
    run.save(update_fields=["chunks_total", "stage", "population"])


def pending_chunks(run: MatchRun):
    kind = MatchChunk.Kind.INDEX if run.stage == MatchRun.Stage.INDEX else MatchChunk.Kind.MATCH
    return run.chunks.filter(kind=kind, done=False).order_by("number")


def dispatch_pending(run_id: int) -> None:
    """Enqueue every pending chunk of the run's current stage (workers share them)."""
    from enrollment.linking.tasks import match_chunk_task

    run = MatchRun.objects.get(pk=run_id)
    if run.stage == MatchRun.Stage.DONE:
        return
    ids = list(pending_chunks(run).values_list("id", flat=True))
    if not ids:
        _advance(run.pk)
        return
    MatchRun.objects.filter(pk=run_id).update(progress_at=timezone.now())
    for chunk_id in ids:
        match_chunk_task.delay(chunk_id)


def redispatch_stalled(*, stall_seconds: int) -> list[int]:
    """Runs with no finished chunk for `stall_seconds` get their pending chunks enqueued again:
    the message of a chunk whose worker was killed only comes back after the broker's visibility
    timeout, and a restarted Redis has forgotten its queue. Duplicate deliveries are harmless
    (a done chunk is skipped)."""
    cutoff = timezone.now() - timezone.timedelta(seconds=stall_seconds)
    stalled = list(
        MatchRun.objects.filter(status=JobStatus.RUNNING, progress_at__lt=cutoff).values_list("pk", flat=True)
    )
    for run_id in stalled:
        logger.warning("match run %s stalled: dispatching its pending chunks again", run_id)
        dispatch_pending(run_id)
    return stalled


def chunk_execute(chunk_id: int, *, dispatch: bool = True) -> bool:
    """Do one chunk. Returns False when it was done already (or is being done by another worker).
    `dispatch`: when this chunk ends a stage, hand the next stage's chunks to the workers (False
    when one process does everything: commands, the demo)."""
    advance = False
    with transaction.atomic():
        # of=self and by pk: MatchChunk's default ordering ("run", …) joins the run row, and FOR
        # UPDATE would lock that too — a second worker then skipped every other chunk as "locked".
        chunk = (
            MatchChunk.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=chunk_id, done=False)
            .order_by("pk")
            .first()
        )
        if chunk is None:
            return False
        run = MatchRun.objects.get(pk=chunk.run_id)
        with jobs.without_gc():
            if chunk.kind == MatchChunk.Kind.INDEX:
                chunk.counts = {"indexed": index.index_residents(run.municipality_id, chunk.lo, chunk.hi)}
            else:
                chunk.counts = match_rows(run, chunk.lo, chunk.hi)
        chunk.done, chunk.done_at = True, timezone.now()
        chunk.save(update_fields=["done", "done_at", "counts"])
        # The run row lock orders concurrent chunk completions, so exactly one sees the last chunk.
        run = MatchRun.objects.select_for_update().get(pk=run.pk)
        MatchRun.objects.filter(pk=run.pk).update(
            chunks_done=F("chunks_done") + 1, progress_at=timezone.now()
        )
        if not run.chunks.filter(kind=chunk.kind, done=False).exists():
            advance = True
    run.refresh_from_db()
    jobs.job_progress(
        run.job_id, done=run.chunks_done, total=run.chunks_total, message=_progress_message(run)
    )
    if advance:
        _advance(run.pk, dispatch=dispatch)
    return True


def _progress_message(run: MatchRun) -> str:
    if run.stage == MatchRun.Stage.INDEX:
        return "住民の照合用データを更新しています"
    decided = MatchDecision.objects.filter(batch_id=run.batch_id).count()
    return f"{decided:,}件を判定しました"


def _advance(run_id: int, *, dispatch: bool = True) -> None:
    with transaction.atomic():
        run = MatchRun.objects.select_for_update().get(pk=run_id)
        if run.stage == MatchRun.Stage.INDEX and not pending_chunks(run).exists():
            index.refresh_statistics()  # after the commit, before the match chunks are handed out
            run.stage = MatchRun.Stage.MATCH
            run.population = index.index_population(run.municipality_id)
            run.save(update_fields=["stage", "population"])
            if dispatch:
                transaction.on_commit(lambda: dispatch_pending(run_id))
            return
        if run.stage == MatchRun.Stage.MATCH and not pending_chunks(run).exists():
            _finish(run)


def _finish(run: MatchRun) -> None:
    counts = dict(
        MatchDecision.objects.filter(batch_id=run.batch_id)
        .values_list("outcome")
        .annotate(n=Count("id"))
        .values_list("outcome", "n")
    )
    counts["remembered"] = MatchDecision.objects.filter(batch_id=run.batch_id, remembered=True).count()
    run.counts = {key: counts.get(key, 0) for key in (*Outcome.values, "remembered")}
    run.stage = MatchRun.Stage.DONE
    run.status = JobStatus.SUCCEEDED
    run.finished_at = timezone.now()
    run.save(update_fields=["counts", "stage", "status", "finished_at"])
    analyze_after_commit(MatchDecision)
    message = (
        f"突合が完了しました：自動照合 {run.counts['auto_match']:,}件、要確認 {run.counts['review']:,}件、"
        f"該当なし {run.counts['no_match']:,}件"
    )
    transaction.on_commit(
        lambda: jobs.job_succeed(
            run.job_id, message=message, result=run.counts, result_url=f"/imports/{run.batch_id}/"
        )
    )
    logger.info("match run %s finished: %s", run.pk, run.counts)


def run_inline(run: MatchRun) -> MatchRun:
    """Do every remaining chunk in this process (commands, the demo). Same code path as workers."""
    for _ in range(3):
        run.refresh_from_db()
        if run.stage == MatchRun.Stage.DONE:
            break
        for chunk_id in list(pending_chunks(run).values_list("id", flat=True)):
            chunk_execute(chunk_id, dispatch=False)
        _advance(run.pk, dispatch=False)
    run.refresh_from_db()
    return run


def match_fail(run_id: int, error: str) -> None:
    MatchRun.objects.filter(pk=run_id).update(
        status=JobStatus.FAILED, error=error, finished_at=timezone.now()
    )
    run = MatchRun.objects.get(pk=run_id)
    jobs.job_fail(run.job_id, error=error)
