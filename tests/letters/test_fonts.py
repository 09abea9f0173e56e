"""No tofu: every character of every letter text comes from a font that has it, and that font is
the one meant for the text's language (Chinese in Noto Sans CJK SC glyph forms, Burmese in Noto
Sans Myanmar, …). Three independent proofs:

1. character maps: every character of every catalogue message, filled with realistic values, is
   in the cmap of a font of its language's stack (fontTools on the files fontconfig resolves);
2. WeasyPrint itself: laying out every message of every language, no font reports a missing
   glyph, only the intended families are used, and each script's characters are drawn by its
   own font;
3. the printed PDF: pdffonts lists only the intended fonts, all embedded.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from enrollment.letters import LANGUAGES, LayoutConfig, load_catalogue, missing_fonts
from enrollment.letters.catalogue import Run, fill
from enrollment.letters.context import geometry, overlay_context, variant_of
from enrollment.letters.fonts import cmap, uncovered
from enrollment.letters.languages import (
    NOTO_CJK_JP,
    NOTO_CJK_SC,
    NOTO_DEVANAGARI,
    NOTO_MYANMAR,
    NOTO_SANS,
    format_date,
)
from enrollment.letters.pdf import render_document
from enrollment.letters.render import _body_contexts, _job
from enrollment.letters.samples import SAMPLE_KINDS, SAMPLE_SENDER, sample_letter
from tests.letters.helpers import pdf_fonts

SCRIPT_FONT = {"my": NOTO_MYANMAR, "ne": NOTO_DEVANAGARI, "zh-Hans": NOTO_CJK_SC}
SCRIPT_RANGE = {"my": (0x1000, 0x109F), "ne": (0x0900, 0x097F)}
PDF_NAME = {
    NOTO_CJK_JP: "Noto-Sans-CJK-JP",
    NOTO_CJK_SC: "Noto-Sans-CJK-SC",
    NOTO_SANS: "Noto-Sans",
    NOTO_MYANMAR: "Noto-Sans-Myanmar",
    NOTO_DEVANAGARI: "Noto-Sans-Devanagari",
}


def test_every_font_the_letters_need_is_installed():
    assert missing_fonts() == []


def _values(lang: str) -> dict:
    day = date(2026, 12, 25)
    office: tuple[Run, ...] = (Run("ja", SAMPLE_SENDER.office),)
    if lang != "ja":
        office += (Run(lang, f" ({SAMPLE_SENDER.office_latin})"),)
    return {
        "deadline": format_date(day, lang),
        "first_date": format_date(date(2026, 11, 25), lang),
        "office": office if lang != "ja" else SAMPLE_SENDER.office,
        "office_address": (Run("ja", f"〒184-8504 {SAMPLE_SENDER.address} {SAMPLE_SENDER.counter}"),),
        "phone": SAMPLE_SENDER.phone,
        "opens": SAMPLE_SENDER.opens,
        "closes": SAMPLE_SENDER.closes,
        "hours": SAMPLE_SENDER.hours if lang == "ja" else SAMPLE_SENDER.hours_latin,
        "interpreter": SAMPLE_SENDER.interpreter if lang == "ja" else SAMPLE_SENDER.interpreter_latin,
    }


def _runs(lang: str, *, printed_only: bool = False) -> list[Run]:
    values = _values(lang)
    messages = dict(load_catalogue(lang))
    if printed_only:
        messages.pop("language_name")  # for the override editor, not printed on the letter
    return [run for text in messages.values() for run in fill(text, values, lang)]


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_every_character_is_in_the_cmap_of_its_language_font(lang):
    for run in _runs(lang):
        stack = LANGUAGES[run.lang].fonts
        assert uncovered(run.text, stack) == [], (lang, run)
        # What the first font lacks may only be neutral characters (digits, Latin, punctuation)
        # that the next font of the stack supplies, never the language's own script.
        first = cmap(stack[0])
        for char in run.text:
            if ord(char) not in first and char.strip():
                low, high = SCRIPT_RANGE.get(run.lang, (0, -1))
                assert not low <= ord(char) <= high, (lang, char)
                assert ord(char) < 0x2100, (lang, char, hex(ord(char)))


def _all_bodies_document(lang: str):
    """Every kind of letter in `lang`, with a personal overlay full of rarer kanji, laid out."""
    letters = [sample_letter(kind, lang) for kind in SAMPLE_KINDS]
    # … each addressed to the head of household about someone else (the 世帯主 note and the texts
    # about the person concerned), and each for a Japanese national who asked for this language …
    letters += [replace(letter, addressee_name="山田 花子") for letter in letters]
    letters += [replace(letter, nationality="JP", language=lang) for letter in letters]
    # … and one whose address and name use rarer characters.
    odd = replace(
        letters[0],
        address_lines=("福岡県髙﨑町𠮷野1丁目", "ﾊｲﾂ・コーポ（Ａ棟）№3"),
        addressee_name="髙橋 𠮷太郎",
    )
    variants = list(dict.fromkeys(variant_of(letter) for letter in letters))
    layout = LayoutConfig()
    job = _job(
        layout,
        overlays=[overlay_context(letter, layout, SAMPLE_SENDER) for letter in [*letters, odd]],
        bodies=_body_contexts(variants, SAMPLE_SENDER, None),
    )
    document = render_document(job.html, job.css)
    document.write_pdf()  # drawing fills document.fonts
    return document


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_weasyprint_draws_every_glyph_from_the_intended_font(lang):
    document = _all_bodies_document(lang)
    allowed = set(LANGUAGES["ja"].fonts) | set(LANGUAGES[lang].fonts)
    drawn: dict[str, set[str]] = {}
    for font in document.fonts.values():
        assert not font.missing, (font.family, sorted(chr(c) for c in font.missing))
        assert font.family in allowed, font.family  # no fontconfig fallback to another family
        drawn.setdefault(font.family, set()).update("".join(font.to_unicode.values()))
    own_script = "".join(run.text for run in _runs(lang, printed_only=True) if run.lang == lang)
    if lang in SCRIPT_RANGE:
        # Shaped scripts: a glyph's text in the PDF is its whole cluster, so `drawn` cannot list
        # every character. But no other allowed family has a glyph for any of them, so, with no
        # glyph missing and no other family used, the script's own font drew them all.
        low, high = SCRIPT_RANGE[lang]
        needed = {c for c in own_script if low <= ord(c) <= high}
        script_font = SCRIPT_FONT[lang]
        assert needed and not uncovered("".join(needed), (script_font,))
        for family in allowed - {script_font}:
            assert not {c for c in needed if ord(c) in cmap(family)}, family
        assert script_font in drawn
    if lang == "zh-Hans":
        needed = {c for c in own_script if "\u4e00" <= c <= "\u9fff"}
        assert needed <= drawn[NOTO_CJK_SC]  # simplified forms: 险 证 费 …
        assert {"险", "证", "费"} <= needed
    if lang == "vi":
        assert {"ế", "ữ", "ạ", "Đ"} & drawn[NOTO_SANS]


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize("kind", SAMPLE_KINDS)
def test_pdf_embeds_only_the_intended_fonts(sample_pdfs, kind, lang):
    fonts = pdf_fonts(sample_pdfs[kind, lang])
    assert all(embedded for _, embedded in fonts)
    names = {name.removesuffix("-Bold") for name, _ in fonts}
    allowed = {PDF_NAME[f] for f in (*LANGUAGES["ja"].fonts, *LANGUAGES[lang].fonts)}
    assert names <= allowed
    if lang in SCRIPT_FONT:
        assert PDF_NAME[SCRIPT_FONT[lang]] in names


def test_these_checks_do_catch_a_tofu_box():
    """The same inspection flags a character no letter font has (a private-use 外字, Ethiopic)."""
    from django.template.loader import render_to_string

    css = render_to_string("letters/body.css", {"g": geometry(LayoutConfig())})
    document = render_document('<p class="ja">小金井\ue001市</p><p class="my">ሰላም</p>', css)
    document.write_pdf()
    allowed = set(LANGUAGES["ja"].fonts) | set(LANGUAGES["my"].fonts)
    problems = [font.family for font in document.fonts.values() if font.missing or font.family not in allowed]
    assert problems
    assert uncovered("小金井\ue001市", LANGUAGES["ja"].fonts) == ["\ue001"]
