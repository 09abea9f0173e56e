"""What the watchdogs and continuations promise, step by step (the fault tests in tests/faults show
it end to end with real workers): a waiting nightly run is followed by one continuation only — an
out-of-date one is dropped, so continuations never multiply; a run a worker holds is never
revived; a print batch whose worker died is queued again once; live progress never fails a job."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from enrollment.cases import printing
from enrollment.models import PrintBatch
from nhi_portal import jobs, nightly
from nhi_portal.models import Job, JobKind, JobStatus, NightlyRun


@pytest.fixture
def waiting_step(monkeypatch, django_capture_on_commit_callbacks):
    """The nightly batch reduced to one step that waits (hands work to the workers) until told."""
    calls = {"n": 0, "ready": False}

    def step(*, run):
        calls["n"] += 1
        if not calls["ready"]:
            raise nightly.StepPending("待っています", retry_seconds=10)
        return "済み"

    monkeypatch.setattr(nightly, "_STEPS", {"wait": nightly.Step("wait", "待つ", 10, step)})
    continuations = []
    monkeypatch.setattr(nightly, "_continue", lambda run_id, wake, countdown=0: continuations.append(wake))
    real_execute = nightly.nightly_execute

    def execute(**kwargs):  # the continuation is sent when the step's transaction commits
        with django_capture_on_commit_callbacks(execute=True):
            return real_execute(**kwargs)

    monkeypatch.setattr(nightly, "nightly_execute", execute)
    return calls, continuations


def _age(run: NightlyRun, seconds: int) -> None:
    """Move the run's stamps `seconds` into the past (as if nobody had looked at it since)."""
    run.refresh_from_db()
    for state in run.steps:
        for key in ("at", "started", "resume_at"):
            if state.get(key):
                state[key] = (
                    timezone.datetime.fromisoformat(state[key]) - timedelta(seconds=seconds)
                ).isoformat()
    NightlyRun.objects.filter(pk=run.pk).update(
        steps=run.steps, created_at=run.created_at - timedelta(seconds=seconds)
    )


@pytest.mark.django_db
def test_only_the_latest_continuation_of_a_waiting_run_is_followed(municipality, waiting_step):
    calls, continuations = waiting_step
    run = nightly.nightly_execute(run_id=nightly.nightly_create(municipality=municipality).pk)
    assert run.status == JobStatus.RUNNING and run.step_state("wait")["status"] == "waiting"
    assert calls["n"] == 1 and continuations == [run.step_state("wait")["wake"]]
    first = continuations[0]

    nightly.nightly_execute(run_id=run.pk, wake="redelivered-long-ago")
    assert calls["n"] == 1  # not the run's continuation: dropped

    nightly.nightly_execute(run_id=run.pk, wake=first)
    assert calls["n"] == 2 and len(continuations) == 2 and continuations[1] != first
    nightly.nightly_execute(run_id=run.pk, wake=first)  # the same message delivered twice
    assert calls["n"] == 2

    calls["ready"] = True
    run = nightly.nightly_execute(run_id=run.pk, wake=continuations[1])
    assert run.status == JobStatus.SUCCEEDED and calls["n"] == 3
    nightly.nightly_execute(run_id=run.pk, wake=continuations[1])
    assert calls["n"] == 3


@pytest.mark.django_db
def test_the_watchdog_sends_a_lost_continuation_again_once(municipality, waiting_step):
    calls, continuations = waiting_step
    run = nightly.nightly_execute(run_id=nightly.nightly_create(municipality=municipality).pk)
    [lost] = continuations
    assert nightly.nightly_watchdog(stall_seconds=60) == []  # not due yet

    _age(run, 120)  # the continuation was due 110 s ago and never came (its worker was killed)
    assert nightly.nightly_watchdog(stall_seconds=60) == [run.pk]
    assert continuations == [lost, lost]  # the same one again
    assert nightly.nightly_watchdog(stall_seconds=60) == []  # and not again before another stall

    nightly.nightly_execute(run_id=run.pk, wake=lost)  # the copy
    assert calls["n"] == 2 and len(continuations) == 3
    nightly.nightly_execute(run_id=run.pk, wake=lost)  # the original turns up after all: too late
    assert calls["n"] == 2
    calls["ready"] = True
    assert nightly.nightly_execute(run_id=run.pk, wake=continuations[-1]).status == JobStatus.SUCCEEDED


@pytest.mark.django_db
def test_a_continuation_of_a_failed_run_does_not_start_it_again(municipality, waiting_step):
    calls, continuations = waiting_step
    run = nightly.nightly_execute(run_id=nightly.nightly_create(municipality=municipality).pk)
    NightlyRun.objects.filter(pk=run.pk).update(status=JobStatus.FAILED)
    nightly.nightly_execute(run_id=run.pk, wake=continuations[-1])
    assert calls["n"] == 1 and NightlyRun.objects.get(pk=run.pk).status == JobStatus.FAILED


@contextmanager
def _other_connection():
    """A second database session (another worker)."""
    other = connections.create_connection("default")
    try:
        yield other
    finally:
        other.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_watchdog_leaves_a_run_a_worker_is_running_however_long(municipality, waiting_step):
    _, continuations = waiting_step
    run = nightly.nightly_execute(run_id=nightly.nightly_create(municipality=municipality).pk)
    continuations.clear()
    _age(run, 3600)
    with _other_connection() as worker, worker.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [nightly._LOCK_NAMESPACE, run.pk])
        assert nightly.nightly_watchdog(stall_seconds=60) == []
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [nightly._LOCK_NAMESPACE, run.pk])
    assert continuations == []
    assert nightly.nightly_watchdog(stall_seconds=60) == [run.pk]  # the worker died: picked up


def _rendering_batch(municipality, *, started_ago: int) -> PrintBatch:
    job = Job.objects.create(
        kind=JobKind.RENDER_LETTERS,
        municipality=municipality,
        title="印刷",
        status=JobStatus.RUNNING,
        started_at=timezone.now() - timedelta(seconds=started_ago),
    )
    return PrintBatch.objects.create(
        municipality=municipality,
        kind="enrollment",
        status=PrintBatch.Status.RENDERING,
        job=job,
        created_at=timezone.now() - timedelta(seconds=started_ago),
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_print_batch_whose_worker_died_is_queued_again_once(municipality, monkeypatch):
    from enrollment.cases import printing_tasks

    queued = []
    monkeypatch.setattr(printing_tasks.render_print_batch_task, "delay", queued.append)
    fresh = _rendering_batch(municipality, started_ago=5)
    dead = _rendering_batch(municipality, started_ago=600)
    busy = _rendering_batch(municipality, started_ago=600)

    with _other_connection() as worker:
        worker.set_autocommit(False)
        with worker.cursor() as cursor:  # a worker renders `busy` (it holds the row until it commits)
            cursor.execute("SELECT id FROM enrollment_printbatch WHERE id = %s FOR UPDATE", [busy.pk])
            assert printing.print_batch_watchdog(stall_seconds=120) == [dead.pk]
        worker.rollback()
    assert queued == [dead.pk]
    assert printing.print_batch_watchdog(stall_seconds=120) == [busy.pk]  # that worker died too
    assert printing.print_batch_watchdog(stall_seconds=120) == []  # not again before the next stall
    assert queued == [dead.pk, busy.pk] and fresh.pk not in queued


@pytest.mark.django_db
def test_live_progress_failing_does_not_fail_the_job(municipality, monkeypatch):
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("Redis is restarting")

    job = jobs.job_create(kind=JobKind.MATCH, municipality_id=municipality.pk, title="突合")
    for operation in ("get", "set", "delete"):
        monkeypatch.setattr(cache, operation, down)
    jobs.job_start(job.pk, total=3)
    jobs.job_progress(job.pk, done=1, message="1件")
    assert jobs.live_progress(Job.objects.get(pk=job.pk))["done"] == 0  # what the row holds
    jobs.job_succeed(job.pk, message="完了")
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.finished_at is not None
