"""The nightly batch's matching step: every imported ISA batch and pension list not yet matched is
matched."""

from __future__ import annotations

from django.conf import settings

from enrollment.linking import runs
from enrollment.models import MatchRun
from nhi_portal.models import LANDED_STATUSES, JobStatus
from nhi_portal.nightly import StepPending


def match_step(*, run) -> str:
    batches = run.municipality.batches.filter(
        kind__in=runs.MATCHED_KINDS, status__in=LANDED_STATUSES
    ).order_by("pk")
    waiting, failed, counts = 0, [], {"auto_match": 0, "review": 0, "no_match": 0}
    started = run.step_state("match").get("started", "")
    for batch in batches:
        match_run = MatchRun.objects.filter(batch=batch).first()
        failed_before = (
            match_run is not None
            and match_run.status == JobStatus.FAILED
            and (match_run.finished_at is None or match_run.finished_at.isoformat() < started)
        )
        if match_run is None or match_run.status == JobStatus.QUEUED or failed_before:
            # A run that failed before this execution of the step (e.g. the nightly batch is being
            # re-run after the database came back) resumes; one that fails now stops the step.
            # Eager Celery (the embedded default, tests) means "run here": do the chunks in-process.
            # Otherwise the workers take the chunks; a stalled run is picked up by the watchdog.
            eager = settings.CELERY_TASK_ALWAYS_EAGER
            match_run = runs.match_start(batch=batch, dispatch=not eager)
            if eager:
                match_run = runs.run_inline(match_run)
            match_run.refresh_from_db()
        if match_run.status == JobStatus.FAILED:
            failed.append(f"取込 #{batch.pk}: {match_run.error}")
        elif match_run.status != JobStatus.SUCCEEDED:
            waiting += 1
        elif match_run.finished_at and match_run.finished_at >= run.created_at:
            for key in counts:
                counts[key] += match_run.counts.get(key, 0)
    if failed:
        raise RuntimeError("突合に失敗した取込があります: " + "；".join(failed))
    if waiting:
        raise StepPending(f"{waiting}件の取込を突合しています")
    return f"自動照合 {counts['auto_match']:,}件、要確認 {counts['review']:,}件、該当なし {counts['no_match']:,}件"
