"""Two workers share a run's chunks: one worker's chunk (and its brief lock on the run row at the
end of a chunk) never makes another worker skip the next chunk as "locked"."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from enrollment.linking import runs
from enrollment.models import MatchRun
from nhi_portal.scoping import unscoped
from tests.linking.helpers import isa_batch, resident

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_worker_takes_its_chunk_while_another_worker_holds_the_run_row(municipality):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    resident(municipality)
    run = runs.match_start(batch=isa_batch(municipality, [{}]), dispatch=False)
    chunk = runs.pending_chunks(run).first()
    holding, release = threading.Event(), threading.Event()

    def other_worker():  # as at the end of another chunk: the run row locked for a moment
        # A worker task runs through the wall's escape hatch (PortalTask); so does this thread.
        try:
            with unscoped("test: another worker"), transaction.atomic():
                MatchRun.objects.select_for_update().get(pk=run.pk)
                holding.set()
                release.wait(5)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    assert holding.wait(5)
    threading.Timer(1.0, release.set).start()
    try:
        took = runs.chunk_execute(chunk.pk, dispatch=False)
    finally:
        release.set()
        thread.join()
    assert took is True  # waited for the run row, did the chunk; never "locked, skip it"
    chunk.refresh_from_db()
    assert chunk.done
