"""Bodies laid out ahead (warm_bodies) and kept in the shared store serve any process's first
preview without a layout; a changed sender or engine never reuses a stale body."""

from __future__ import annotations

import os
import time
from dataclasses import replace

import pytest

from enrollment.letters import LayoutConfig, bodystore, render, render_letter, warm_bodies
from enrollment.letters.samples import SAMPLE_SENDER, sample_letter
from tests.letters.helpers import pdftotext, squash


@pytest.fixture
def store(tmp_path, settings):
    settings.NHI_LETTER_BODY_DIR = tmp_path / "bodies"
    render._BODY_CACHE.clear()  # a process that laid nothing out
    yield tmp_path / "bodies"
    render._BODY_CACHE.clear()


def _no_layout(monkeypatch):
    def refuse(jobs, workers=1):
        assert not list(jobs), "a body was laid out again"
        return iter(())

    monkeypatch.setattr(render, "render_jobs", refuse)


def test_a_warmed_body_serves_another_process_first_preview(store, monkeypatch, tmp_path):
    layout = LayoutConfig(duplex=True)
    letters = [sample_letter("withdrawal", "my", 1), sample_letter("welcome", "vi", 2)]
    assert warm_bodies(letters, layout, SAMPLE_SENDER) == 2
    assert warm_bodies(letters, layout, SAMPLE_SENDER) == 0  # nothing left to lay out
    render._BODY_CACHE.clear()  # another process: only the store is shared
    _no_layout(monkeypatch)
    for letter in letters:
        pdf = tmp_path / "preview.pdf"
        pdf.write_bytes(render_letter(letter, layout, SAMPLE_SENDER))
        text = squash(pdftotext(pdf))
        assert squash(f"{letter.addressee_name}様") in text
        assert letter.letter_number in text


def test_a_changed_sender_or_engine_lays_the_body_out_again(store, monkeypatch):
    layout = LayoutConfig()
    letter = sample_letter("enrollment", "ne")
    assert warm_bodies([letter], layout, SAMPLE_SENDER) == 1
    render._BODY_CACHE.clear()
    assert warm_bodies([letter], layout, replace(SAMPLE_SENDER, phone="042-000-0000")) == 1
    render._BODY_CACHE.clear()
    monkeypatch.setattr(bodystore, "engine_version", lambda: "another engine")
    assert warm_bodies([letter], layout, SAMPLE_SENDER) == 1


def test_without_a_store_warming_does_nothing(settings):
    settings.NHI_LETTER_BODY_DIR = None
    assert warm_bodies([sample_letter("enrollment", "vi")], LayoutConfig(), SAMPLE_SENDER) == 0


def test_old_bodies_are_pruned(store):
    warm_bodies([sample_letter("enrollment", "id")], LayoutConfig(), SAMPLE_SENDER)
    files = list(store.iterdir())
    assert len(files) == 2  # the laid-out PDF and the variant's index
    old = time.time() - 15 * 86400
    for path in files:
        os.utime(path, (old, old))
    assert bodystore.BodyStore(store).prune(max_age_days=14) == 2
    assert list(store.iterdir()) == []
