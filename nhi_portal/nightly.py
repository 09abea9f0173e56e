"""The nightly batch (夜間バッチ): ordered steps registered by the apps (import the inbox, match,
open cases, queue letters…). Each step is idempotent; a run records each step's outcome, so a
failed run is re-run from the step that failed and finished steps are not repeated.

Inbox layout: INBOX_DIR/<lg_code>/<kind>/*.csv, kind one of the ImportKind values. Files are
moved to INBOX_DIR/<lg_code>/done/<date>/ or rejected/<date>/ with `<name>.reason.txt` beside.
"""

from __future__ import annotations

import logging
import secrets
import shutil
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from nhi_portal import jobs
from nhi_portal.models import (
    BatchSource,
    BatchStatus,
    ImportKind,
    ImportMode,
    JobKind,
    JobStatus,
    Municipality,
    NightlyRun,
)

logger = logging.getLogger(__name__)


class StepPending(Exception):
    """A step handed its work to the workers and has to be looked at again later (the run is
    re-queued after `retry_seconds`, freeing the worker meanwhile)."""

    def __init__(self, message: str, retry_seconds: int = 10) -> None:
        super().__init__(message)
        self.message = message
        self.retry_seconds = retry_seconds


@dataclass(frozen=True)
class Step:
    name: str
    label: str  # Japanese, shown on the dashboard
    order: int
    run: Callable[..., str]  # run(run=NightlyRun) -> a Japanese one-line summary


_STEPS: dict[str, Step] = {}

# Register and ledger first (matching needs the current register), then the ISA and pension
# lists, then receipts.
INBOX_ORDER = [
    ImportKind.RESIDENTS,
    ImportKind.NHI_LEDGER,
    ImportKind.ISA,
    ImportKind.PENSION_CAT2_LOST,
    ImportKind.PENSION_CAT13_LOST,
    ImportKind.ASSESSMENTS,
    ImportKind.PAYMENTS,
]


def register_step(step: Step) -> None:
    _STEPS[step.name] = step


def steps() -> list[Step]:
    return sorted(_STEPS.values(), key=lambda s: s.order)


def inbox_for(municipality: Municipality) -> Path:
    return Path(settings.INBOX_DIR) / municipality.lg_code


def sweep_inbox(*, run: NightlyRun) -> str:
    """Import every file waiting in the municipality's inbox, in INBOX_ORDER."""
    from nhi_portal.intake import services
    from nhi_portal.intake.registry import registered_kinds

    root = inbox_for(run.municipality)
    today = timezone.localdate().strftime("%Y%m%d")
    counts = {"imported": 0, "needs_attention": 0, "rejected": 0, "duplicate": 0}
    for kind in INBOX_ORDER:
        if kind not in registered_kinds():
            continue
        folder = root / kind
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
            with path.open("rb") as fh:
                received = services.batch_receive(
                    municipality=run.municipality,
                    kind=kind,
                    filename=path.name,
                    content=fh,
                    source=BatchSource.INBOX,
                    mode=ImportMode.SNAPSHOT if "snapshot" in path.name.lower() else ImportMode.DELTA,
                    enqueue=False,
                )
            batch = (
                received.batch if received.duplicate else services.batch_import(batch_id=received.batch.pk)
            )
            if received.duplicate:
                outcome, note = "duplicate", received.message
            elif batch.status == BatchStatus.REJECTED:
                outcome, note = "rejected", batch.rejection_reason
            elif batch.status == BatchStatus.FAILED:
                raise RuntimeError(f"{path.name}: {batch.rejection_reason}")
            else:
                outcome, note = str(batch.status), f"取込番号 {batch.pk}"
            counts[outcome if outcome in counts else "imported"] += 1
            target = root / ("rejected" if outcome == "rejected" else "done") / today
            target.mkdir(parents=True, exist_ok=True)
            destination = target / path.name
            shutil.move(str(path), destination)
            (target / f"{path.name}.reason.txt").write_text(note + "\n", encoding="utf-8")
            logger.info("inbox %s: %s → %s", run.municipality.lg_code, path.name, outcome)
    return (
        f"取込 {counts['imported']}件、要確認 {counts['needs_attention']}件、"
        f"取込不可 {counts['rejected']}件、取込済みの重複 {counts['duplicate']}件"
    )


register_step(Step("inbox", "受信フォルダの取込", 10, sweep_inbox))


def nightly_create(*, municipality: Municipality, user=None) -> NightlyRun:
    job = jobs.job_create(
        kind=JobKind.NIGHTLY, municipality_id=municipality.pk, title="夜間バッチ", user=user
    )
    run = NightlyRun.objects.create(
        municipality=municipality,
        job=job,
        triggered_by=user if user is not None and user.is_authenticated else None,
        steps=[{"name": s.name, "label": s.label, "status": "pending", "message": ""} for s in steps()],
    )
    return run


def nightly_enqueue(*, municipality: Municipality, user=None) -> NightlyRun:
    with transaction.atomic():
        run = nightly_create(municipality=municipality, user=user)
        from nhi_portal.tasks import nightly_run_task

        transaction.on_commit(lambda: nightly_run_task.delay(run.pk))
    return run


# A re-run imports the inbox, matches and opens cases: whoever starts it must be allowed each of those.
RERUN_PERMISSIONS = ("import_files", "run_matching", "work_cases")


class RerunRefused(Exception):
    """Why a run cannot be re-run now (Japanese, shown to the user)."""


def nightly_rerun(*, run: NightlyRun, user=None) -> NightlyRun:
    """Re-run a failed run from the step that failed (one button, one command). A conditional
    update takes the run, so two clicks (or two people) start it once; the change log records who."""
    from nhi_portal.changelog import log_change
    from nhi_portal.models import ChangeAction

    with transaction.atomic():
        taken = NightlyRun.objects.filter(pk=run.pk, status=JobStatus.FAILED).update(
            status=JobStatus.QUEUED, error=""
        )
        if not taken:
            run.refresh_from_db()
            raise RerunRefused(
                f"夜間バッチ #{run.pk} は失敗の状態ではありません（{run.get_status_display()}）。"
                "すでに再実行されたか、実行中です。"
            )
        log_change(
            user=user,
            action=ChangeAction.UPDATE,
            instance=run,
            changes={"status": (JobStatus.FAILED, JobStatus.QUEUED)},
        )
        from nhi_portal.tasks import nightly_run_task

        transaction.on_commit(lambda: nightly_run_task.delay(run.pk))
    logger.info("nightly run %s queued again by %s", run.pk, getattr(user, "pk", None))
    run.refresh_from_db()
    return run


def nightly_execute(*, run_id: int, wake: str = "") -> NightlyRun:
    """Run the steps not yet finished, in order. Safe to call twice, even at the same time on two
    workers: one runs, the other finds the run taken and leaves it (a PostgreSQL advisory lock,
    released by the server if the worker dies).

    `wake`: the token of a continuation (a step that waits is looked at again later). Only the
    continuation the run last asked for is followed; an older one (redelivered by the broker, or
    the second of an original and the watchdog's copy) is dropped, so continuations never
    multiply. A run taken by the watchdog for a moment drops the continuation too: the watchdog
    sends it again once it is overdue."""
    with _exclusive(run_id) as acquired:
        if not acquired:
            logger.info("nightly run %s is being run by another worker", run_id)
            return NightlyRun.objects.get(pk=run_id)
        return _execute(run_id, wake=wake)


@contextmanager
def _exclusive(run_id: int):
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_NAMESPACE, run_id])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_NAMESPACE, run_id])


_LOCK_NAMESPACE = 7701  # advisory lock class of nightly runs


def _current_step(run: NightlyRun) -> dict:
    """The first step not done ({} when all are)."""
    return next((s for s in run.steps if s.get("status") != "done"), {})


def _execute(run_id: int, *, wake: str = "") -> NightlyRun:
    run = NightlyRun.objects.select_related("municipality").get(pk=run_id)
    if run.status == JobStatus.SUCCEEDED:
        return run
    if wake and (
        run.status not in (JobStatus.QUEUED, JobStatus.RUNNING) or _current_step(run).get("wake") != wake
    ):
        logger.info("nightly run %s: continuation %s is out of date, dropped", run_id, wake)
        return run
    NightlyRun.objects.filter(pk=run.pk).update(status=JobStatus.RUNNING, error="")
    all_steps = steps()
    jobs.job_start(run.job_id, total=len(all_steps), message="夜間バッチを実行しています")
    for index, step in enumerate(all_steps, start=1):
        state = run.step_state(step.name)
        if state.get("status") == "done":
            continue
        if state.get("status") not in ("running", "waiting"):
            _mark_started(run, step.name)
        _set_step(run, step.name, "running", "")
        jobs.job_progress(run.job_id, done=index - 1, message=f"{step.label}を実行しています")
        try:
            summary = step.run(run=run)
        except StepPending as pending:
            delay, token = pending.retry_seconds, secrets.token_hex(8)
            resume_at = (timezone.now() + timedelta(seconds=delay)).isoformat()
            _set_step(run, step.name, "waiting", pending.message, wake=token, resume_at=resume_at)
            transaction.on_commit(lambda token=token, delay=delay: _continue(run.pk, token, countdown=delay))
            run.refresh_from_db()
            return run
        except Exception as exc:
            logger.exception("nightly run %s: step %s failed", run.pk, step.name)
            reason = f"{step.label}で失敗しました: {type(exc).__name__}: {exc}"[:2000]
            _set_step(run, step.name, "failed", reason)
            NightlyRun.objects.filter(pk=run.pk).update(
                status=JobStatus.FAILED, error=reason, current_step=""
            )
            jobs.job_fail(
                run.job_id, error=reason + "　ダッシュボードの「再実行」で失敗した工程から再開できます。"
            )
            run.refresh_from_db()
            return run
        _set_step(run, step.name, "done", summary)
    NightlyRun.objects.filter(pk=run.pk).update(
        status=JobStatus.SUCCEEDED, finished_at=timezone.now(), current_step=""
    )
    jobs.job_succeed(run.job_id, message="夜間バッチが完了しました")
    run.refresh_from_db()
    return run


def _mark_started(run: NightlyRun, name: str) -> None:
    """When this execution of the step began (a step may run several times while it waits)."""
    for state in run.steps:
        if state["name"] == name:
            state["started"] = timezone.now().isoformat()


def _continue(run_id: int, wake: str, *, countdown: int = 0) -> None:
    from nhi_portal.tasks import nightly_run_task

    nightly_run_task.apply_async((run_id,), {"wake": wake}, countdown=countdown)


def _set_step(run: NightlyRun, name: str, status: str, message: str, **extra) -> None:
    for state in run.steps:
        if state["name"] == name:
            state.update(status=status, message=message, at=timezone.now().isoformat(), **extra)
    run.current_step = name if status == "running" else ""
    NightlyRun.objects.filter(pk=run.pk).update(steps=run.steps, current_step=run.current_step)


def nightly_watchdog(*, stall_seconds: int) -> list[int]:
    """Runs nobody has looked at for `stall_seconds` are picked up again: their message or their
    delayed continuation died with a worker or with Redis. A run a worker is running (it holds the
    run's advisory lock) is never stalled, however long its step takes; a waiting run is stalled
    `stall_seconds` after its continuation was due. The continuation is sent again with the same
    token, so a late original and the copy run it once. Called by beat every minute."""
    now = timezone.now()
    revived = []
    for run_id in NightlyRun.objects.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).values_list(
        "pk", flat=True
    ):
        with _exclusive(run_id) as acquired:
            if not acquired:  # a worker is on it
                continue
            run = NightlyRun.objects.get(pk=run_id)
            current = _current_step(run)
            if run.status not in (JobStatus.QUEUED, JobStatus.RUNNING) or not current:
                continue
            stamps = [s["at"] for s in run.steps if s.get("at")]
            if current.get("status") == "waiting" and current.get("resume_at"):
                stamps.append(current["resume_at"])
            seen = max([run.created_at, *(datetime.fromisoformat(stamp) for stamp in stamps)])
            if seen > now - timedelta(seconds=stall_seconds):
                continue
            # The same token again: whichever of the old and the new message comes first runs,
            # the other finds it out of date. Stamped, so it is sent again only after another stall.
            token = current.get("wake") or secrets.token_hex(8)
            current.update(wake=token, resume_at=now.isoformat())
            NightlyRun.objects.filter(pk=run.pk).update(steps=run.steps)
            logger.warning("nightly run %s stalled on %s: queued again", run.pk, current["name"])
            revived.append((run.pk, token))
    for run_id, token in revived:  # after the lock is released, or the worker would find it taken
        _continue(run_id, token)
    return [run_id for run_id, _ in revived]
