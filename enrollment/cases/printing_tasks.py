"""Celery task of letter printing: render one print batch. It takes the batch id, calls the
service and is safe to run twice (a batch already rendered, or held by another worker, is left
alone; a worker lost midway leaves nothing behind, and the redelivered task renders it again).

Where to run it: the letter engine lays a big batch out in worker processes, which a Celery
prefork child (a daemonic process) may not start — there the batch renders on one core. Route
this task to its own queue on a worker that may start processes, e.g.

    CELERY_TASK_ROUTES = {"enrollment.cases.printing_tasks.render_print_batch_task": {"queue": "letters"}}
    celery -A nhi_portal worker -Q letters -P solo        # or -P threads --concurrency=1

so a 10,000-letter batch uses both cores; without the route it runs, slower, on the default queue.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from enrollment.cases import printing

# A mark left by a transaction that rolled back holds later requests back this long at most.
WARM_PENDING_SECONDS = 300


@shared_task(acks_late=True, reject_on_worker_lost=True)
def render_print_batch_task(batch_id: int) -> str:
    return printing.print_batch_render(batch_id=batch_id).status


def _warm_pending_key(municipality_id: int) -> str:
    return f"letters:warm-pending:{municipality_id}"


def warm_letter_bodies_soon(municipality_id: int) -> None:
    """Once the current transaction commits, have the letters worker lay out the bodies of the
    municipality's waiting letters, so the first preview of a letter just queued (by the nightly
    batch, a clerk's second reminder, a case closed as enrolled…) only draws its overlay. One
    warm-up is pending at a time per municipality: the thousands of letters a batch queues ask for
    one, not one each (the task clears the mark when it starts, so a letter queued while it runs
    asks for the next)."""
    if not getattr(settings, "NHI_LETTER_BODY_DIR", None):
        return  # no shared store: nothing a warm-up could keep for another process
    if not cache.add(_warm_pending_key(municipality_id), 1, timeout=WARM_PENDING_SECONDS):
        return
    transaction.on_commit(lambda: warm_letter_bodies_task.delay(municipality_id))


@shared_task
def warm_letter_bodies_task(municipality_id: int) -> int:
    """Today's letter bodies of one municipality laid out ahead of previews (letters queue)."""
    from nhi_portal.models import Municipality

    cache.delete(_warm_pending_key(municipality_id))
    municipality = Municipality.objects.filter(pk=municipality_id).first()
    return printing.letter_bodies_warm(municipality=municipality) if municipality else 0


@shared_task
def warm_letter_bodies_all_task() -> int:
    """Beat entry point, just after midnight: the issue date in every letter changed."""
    from nhi_portal.models import Municipality

    return sum(printing.letter_bodies_warm(municipality=m) for m in Municipality.objects.tenants())
