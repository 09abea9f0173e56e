"""Fixtures for the letter tests: every sample letter rendered once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from enrollment.letters import LANGUAGES, LayoutConfig, render_letter
from enrollment.letters.samples import SAMPLE_KINDS, SAMPLE_SENDER, sample_letter
from tests.letters.helpers import POPPLER_MISSING

if POPPLER_MISSING:  # pragma: no cover - the dev and CI images have poppler-utils
    pytest.skip(f"poppler-utils needed: {', '.join(POPPLER_MISSING)}", allow_module_level=True)


@pytest.fixture(scope="session")
def layout() -> LayoutConfig:
    return LayoutConfig()


@pytest.fixture(scope="session")
def sample_pdfs(tmp_path_factory, layout) -> dict[tuple[str, str], Path]:
    """Every letter kind in every language, rendered once: {(kind, lang): path}."""
    out = tmp_path_factory.mktemp("letters")
    pdfs = {}
    for kind in SAMPLE_KINDS:
        for lang in LANGUAGES:
            path = out / f"{kind}_{lang}.pdf"
            path.write_bytes(render_letter(sample_letter(kind, lang), layout, SAMPLE_SENDER))
            pdfs[kind, lang] = path
    return pdfs
