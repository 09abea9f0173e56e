"""The sample script writes a small PNG of every page of every kind and language (for people to
look at the layout); here into a temporary directory, so the committed docs/letters/ stay as they
are."""

from __future__ import annotations

from enrollment.letters import LANGUAGES
from enrollment.letters.samples import SAMPLE_KINDS, write_pngs


def _expected_pages(kind: str, lang: str) -> list[str]:
    pages = [f"{kind}_{lang}-1.png"]
    if lang != "ja":
        pages.append(f"{kind}_{lang}-2.png")  # the back of a bilingual sheet
    if kind.startswith("withdrawal"):
        pages.append(f"{kind}_{lang}-form.png")  # the reply form, a sheet of its own
    return pages


def test_sample_pngs_are_written_for_every_page_of_every_kind_and_language(tmp_path):
    written = write_pngs(tmp_path)
    assert sorted(p.name for p in written) == sorted(
        name for kind in SAMPLE_KINDS for lang in LANGUAGES for name in _expected_pages(kind, lang)
    )
    for path in written:
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        assert 5_000 < len(data) <= 100_000, (path.name, len(data))
