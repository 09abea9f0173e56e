"""The personal-data overlay drawn directly (enrollment/letters/overlay.py) prints what WeasyPrint's
layout of the same overlay printed: the same words at the same places, the same font embedded,
text a reader can search and copy; and a letter it cannot draw exactly still prints, laid out by
WeasyPrint."""

from __future__ import annotations

from dataclasses import replace

import pytest

from enrollment.letters import LANGUAGES, LayoutConfig, check_letter, render_letter
from enrollment.letters.context import geometry, overlay_context
from enrollment.letters.overlay import draw_overlays, overlay_pages
from enrollment.letters.pdf import Composer, render_job
from enrollment.letters.render import _job
from enrollment.letters.samples import SAMPLE_KINDS, SAMPLE_SENDER, sample_letter
from tests.letters.helpers import pdf_fonts, pdftotext, squash, words


def _letters():
    letters = [sample_letter(kind, lang) for kind in SAMPLE_KINDS for lang in LANGUAGES]
    head = sample_letter("withdrawal_second", "vi")
    letters += [
        # to a head of household about someone else, with a long name shrunk in the 対象者 box
        replace(head, addressee_name="NGUYEN VAN AN", subject_name="NGUYEN THI MINH KHAI HOANG PHUONG"),
        # a long addressee name set smaller in the window; Latin pairs that kern (AV, TA, WA)
        replace(sample_letter("enrollment", "en"), addressee_name="BISHNU PRASAD BHATTARAI KHATRI"),
        replace(sample_letter("welcome", "id"), addressee_name="AVA TATWAWIJAYA"),
        # four address lines, full-width and half-width characters
        replace(
            sample_letter("enrollment", "my"),
            address_lines=("東京都小金井市本町1丁目2番3号", "コーポ本町101", "Ａ棟", "B号室"),
        ),
    ]
    return letters


def _both(tmp_path, letters, layout):
    overlays = [overlay_context(letter, layout, SAMPLE_SENDER) for letter in letters]
    pages = overlay_pages(overlays, layout, geometry(layout))
    assert pages is not None
    drawn, laid_out = tmp_path / "drawn.pdf", tmp_path / "weasyprint.pdf"
    composer = Composer(title="overlays", duplex=False)
    composer.add_drawn_pages(draw_overlays(pages))
    drawn.write_bytes(composer.write())
    laid_out.write_bytes(render_job(_job(layout, overlays=overlays)).pdf)
    return drawn, laid_out, len(pages)


@pytest.mark.parametrize("layout", [LayoutConfig(), LayoutConfig(window_left_mm=25, window_top_mm=22,
                                                                  window_width_mm=95, window_height_mm=48)])  # fmt: skip
def test_drawn_overlay_puts_every_word_where_weasyprint_put_it(tmp_path, layout):
    letters = _letters()
    for letter in letters:
        assert check_letter(letter, layout) == [], letter
    drawn, laid_out, page_count = _both(tmp_path, letters, layout)
    assert page_count == len(letters) + sum(1 for letter in letters if letter.reply_form)
    for page in range(1, page_count + 1):
        ours, theirs = words(drawn, page), words(laid_out, page)
        assert [w.text for w in ours] == [w.text for w in theirs], page
        for a, b in zip(ours, theirs, strict=True):
            # 0.1 pt = 0.035 mm: kerning is the font's own value where WeasyPrint rounds Pango's.
            assert abs(a.x0 - b.x0) < 0.1 and abs(a.x1 - b.x1) < 0.1, (page, a, b)
            assert abs(a.y0 - b.y0) < 0.1 and abs(a.y1 - b.y1) < 0.1, (page, a, b)


def test_drawn_overlay_is_text_in_the_intended_embedded_font(tmp_path):
    letters = _letters()
    drawn, _, _ = _both(tmp_path, letters, LayoutConfig())
    assert pdf_fonts(drawn) == [("Noto-Sans-CJK-JP", True)]
    text = squash(pdftotext(drawn))
    for letter in letters:
        assert squash(f"{letter.addressee_name}様") in text
        assert squash("".join(letter.address_lines)) in text
        assert letter.letter_number in text


def test_letter_that_cannot_be_drawn_is_laid_out_by_weasyprint(tmp_path):
    layout = LayoutConfig()
    too_wide = replace(sample_letter("enrollment", "vi"),
                       address_lines=("東京都小金井市本町一丁目二番三号コーポ本町三〇一号室Ａ棟",))  # fmt: skip
    private_use = replace(sample_letter("enrollment", "vi"), address_lines=("東京都小金井市本町\ue000",))
    for letter in (too_wide, private_use):
        assert check_letter(letter, layout) != []  # held, but its preview must still show it
        assert (
            overlay_pages([overlay_context(letter, layout, SAMPLE_SENDER)], layout, geometry(layout)) is None
        )
        pdf = tmp_path / "fallback.pdf"
        pdf.write_bytes(render_letter(letter, layout, SAMPLE_SENDER))
        text = squash(pdftotext(pdf, 1, 1))
        assert squash(letter.address_lines[0].replace("\ue000", "")) in text
        assert squash(f"{letter.addressee_name}様") in text
