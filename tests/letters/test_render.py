"""The rendered letters as a resident, a printer and a postal worker meet them: the text on the
page, where the address lands, how many sheets, what a batch holds."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from enrollment.letters import (
    LANGUAGES,
    BatchInfo,
    LayoutConfig,
    LetterError,
    check_letter,
    format_date,
    load_catalogue,
    render_cover_sheet,
    render_letter,
    render_letters,
    render_test_sheet,
)
from enrollment.letters.samples import SAMPLE_KINDS, SAMPLE_SENDER, sample_batch, sample_letter
from tests.letters.helpers import MM, page_count, pdftotext, squash, words

# Burmese and Devanagari are shaped (glyphs reordered, stacked), so pdftotext cannot give their
# text back character for character; test_fonts.py proves those glyphs come from the right font.
ROUND_TRIP = {"ja", "en", "vi", "id", "zh-Hans"}


def _expected_texts(kind: str, lang: str) -> list[str]:
    letter = sample_letter(kind, lang)
    ja = load_catalogue("ja")
    expected = [
        letter.letter_number,
        "〒184-0004",
        "東京都小金井市本町1丁目2番3号",
        letter.addressee_name,
        SAMPLE_SENDER.phone,
        ja[f"title_{letter.kind}"],
    ]
    if letter.deadline:
        expected.append(format_date(letter.deadline, "ja"))
    if letter.second:
        expected += ["再通知", format_date(letter.first_letter_date, "ja")]
    if letter.ex_officio_notice:
        expected.append(ja["ex_officio"])
    fx = letter.foreign_language
    if fx and fx in ROUND_TRIP:
        messages = load_catalogue(fx)
        expected.append(messages[f"title_{letter.kind}"])
        if letter.deadline:
            expected.append(format_date(letter.deadline, fx))
        if letter.second:
            expected += [messages["second_notice"]]
        if letter.ex_officio_notice:
            expected.append(messages["ex_officio"])
    return expected


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize("kind", SAMPLE_KINDS)
def test_letter_text_holds_what_the_resident_needs(sample_pdfs, kind, lang):
    text = squash(pdftotext(sample_pdfs[kind, lang]))
    for expected in _expected_texts(kind, lang):
        assert squash(expected) in text, expected
    assert "保険証" not in text  # abolished on 2024-12-02; never ask for it
    if kind.startswith("enrollment"):
        assert squash(load_catalogue("ja")["ex_officio"]) not in text


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize("kind", SAMPLE_KINDS)
def test_every_letter_is_one_sheet_printed_on_both_sides(sample_pdfs, kind, lang):
    """Japanese only: one side of one sheet. With a translation: the two sides of one sheet. A
    withdrawal reminder adds its reply form, on a sheet of its own; nothing else spills over."""
    pdf = sample_pdfs[kind, lang]
    form_title = squash(load_catalogue("ja")["form_title"])
    pages = [squash(pdftotext(pdf, n, n)) for n in range(1, page_count(pdf) + 1)]
    letter_pages = [text for text in pages if form_title not in text]
    form_pages = [text for text in pages if form_title in text]
    assert len(letter_pages) == (1 if lang == "ja" else 2)
    assert all(letter_pages)  # no empty page
    assert len(form_pages) == (1 if kind.startswith("withdrawal") else 0)
    if form_pages:
        assert pages[-1] == form_pages[0]  # the form comes after the letter, on its own sheet


def test_ex_officio_statement_is_printed_exactly_when_asked(layout, tmp_path):
    statement = squash(load_catalogue("en")["ex_officio"])
    letter = sample_letter("withdrawal", "en")
    for flag in (True, False):
        pdf = tmp_path / f"{flag}.pdf"
        pdf.write_bytes(render_letter(replace(letter, ex_officio_notice=flag), layout, SAMPLE_SENDER))
        assert (statement in squash(pdftotext(pdf))) is flag
        assert (squash(load_catalogue("ja")["ex_officio"]) in squash(pdftotext(pdf))) is flag


def test_japanese_only_letter_for_a_japanese_national(sample_pdfs):
    text = squash(pdftotext(sample_pdfs["enrollment", "ja"]))
    assert squash(load_catalogue("en")["title_enrollment"]) not in text


def _window_words(pdf, layout: LayoutConfig, slack_mm: float = 2.5):
    """Words whose box touches the window grown by `slack_mm`, in reading order."""
    left, top = layout.window_left_mm - slack_mm, layout.window_top_mm - slack_mm
    right = layout.window_left_mm + layout.window_width_mm + slack_mm
    bottom = layout.window_top_mm + layout.window_height_mm + slack_mm
    return [
        w
        for w in words(pdf)
        if w.x1 > left * MM and w.x0 < right * MM and w.y1 > top * MM and w.y0 < bottom * MM
    ]


def _assert_address_in_window(pdf, layout: LayoutConfig, letter, tolerance_mm: float = 1.0):
    found = _window_words(pdf, layout)
    expected = f"〒184-0004{''.join(letter.address_lines)}{letter.addressee_name}様"
    # Exactly the address is near the window: nothing missing, nothing else showing through.
    assert squash("".join(w.text for w in found)) == squash(expected.replace("1840004", "184-0004"))
    left, top, width, height = layout.text_box_mm
    for w in found:  # inside the padded text box, so the sheet may slide in the envelope
        assert w.x0 >= (left - tolerance_mm) * MM, w
        assert w.x1 <= (left + width + tolerance_mm) * MM, w
        assert w.y0 >= (top - tolerance_mm) * MM, w
        assert w.y1 <= (top + height + tolerance_mm) * MM, w


@pytest.mark.parametrize("lang", ["ja", "vi", "my", "ne"])
def test_address_lies_inside_the_envelope_window(sample_pdfs, layout, lang):
    _assert_address_in_window(sample_pdfs["enrollment", lang], layout, sample_letter("enrollment", lang))


def test_window_position_follows_the_layout_settings(tmp_path):
    layout = LayoutConfig(window_left_mm=25, window_top_mm=22, window_width_mm=95, window_height_mm=48)
    letter = replace(
        sample_letter("withdrawal", "id"),
        address_lines=("東京都小金井市本町1丁目2番3号", "コーポ本町101", "A棟", "B号室"),
    )
    assert check_letter(letter, layout) == []
    pdf = tmp_path / "moved.pdf"
    pdf.write_bytes(render_letter(letter, layout, SAMPLE_SENDER))
    _assert_address_in_window(pdf, layout, letter)


def test_address_at_the_width_limit_still_fits(tmp_path, layout):
    # Lines as wide as check_address allows, in kanji and in Latin capitals and digits.
    lines = ("東京都小金井市本町一丁目二番三号コーポ本町", "MAISON KOGANEI 1234 ROOM 5678")
    letter = replace(sample_letter("enrollment", "en"), address_lines=lines,
                     addressee_name="BISHNU PRASAD BHATTARAI KHATRI")  # fmt: skip
    assert check_letter(letter, layout) == []
    pdf = tmp_path / "wide.pdf"
    pdf.write_bytes(render_letter(letter, layout, SAMPLE_SENDER))
    _assert_address_in_window(pdf, layout, letter, tolerance_mm=0.3)


def test_html_in_data_is_printed_as_text(tmp_path, layout):
    letter = replace(sample_letter("enrollment", "en"), addressee_name="<b>TRAN</b> & CO")
    pdf = tmp_path / "escaped.pdf"
    pdf.write_bytes(render_letter(letter, layout, SAMPLE_SENDER))
    assert "<b>TRAN</b>&CO様" in squash(pdftotext(pdf))


def test_municipality_wording_override_is_printed(tmp_path, layout):
    overrides = {"ja": {"contact_body": "ご不明な点は {office}（電話 {phone}）まで お問い合わせください。"}}
    pdf = tmp_path / "override.pdf"
    pdf.write_bytes(
        render_letter(sample_letter("enrollment", "vi"), layout, SAMPLE_SENDER, overrides=overrides)
    )
    assert squash(f"ご不明な点は {SAMPLE_SENDER.office}（電話 {SAMPLE_SENDER.phone}）まで") in squash(
        pdftotext(pdf)
    )


def test_inconsistent_letter_is_refused_not_printed(layout):
    bad = replace(sample_letter("withdrawal_second", "vi"), first_letter_date=None)
    with pytest.raises(LetterError, match="前回の通知日"):
        render_letters([sample_letter("enrollment", "vi"), bad], layout, SAMPLE_SENDER)


def test_batch_is_one_pdf_with_each_letter_on_its_own_pages(tmp_path):
    layout = LayoutConfig(chunk_size=5)  # several overlay documents, as in a big batch
    letters = sample_batch(40)[::3]  # every kind, several languages
    pdf = tmp_path / "batch.pdf"
    pdf.write_bytes(render_letters(letters, layout, SAMPLE_SENDER, sort=True, workers=1))
    pages = [squash(pdftotext(pdf, n, n)) for n in range(1, page_count(pdf) + 1)]
    ordered = sorted(letters, key=lambda lt: lt.postal_code)
    numbers = {lt.letter_number for lt in letters}
    form_title = squash(load_catalogue("ja")["form_title"])
    firsts = [
        (n, text)
        for n, text in enumerate(pages)
        if any(number in text for number in numbers) and form_title not in text
    ]
    forms = [text for text in pages if form_title in text]
    # Each withdrawal reminder's reply form carries its own letter number, and no other.
    assert sorted(next(num for num in numbers if num in text) for text in forms) == sorted(
        lt.letter_number for lt in letters if lt.reply_form
    )
    # One first page per letter, in postal-code order, each with no other letter's number.
    assert [next(num for num in numbers if num in text) for _, text in firsts] == [
        lt.letter_number for lt in ordered
    ]
    assert all(sum(num in text for num in numbers) == 1 for _, text in firsts)
    ja = load_catalogue("ja")
    for (_, first), letter in zip(firsts, ordered, strict=True):
        assert squash(letter.addressee_name) in first
        # … over the body of its own kind and language, not a neighbour's
        assert squash(ja[f"title_{letter.kind}"]) in first
        assert (squash(ja["second_notice"]) in first) is letter.second
        fx = letter.foreign_language
        if fx in ROUND_TRIP:
            assert squash(load_catalogue(fx)[f"title_{letter.kind}"]) in first
            if letter.deadline:
                assert squash(format_date(letter.deadline, fx)) in first


def test_batch_pages_match_single_previews(tmp_path, layout, sample_pdfs):
    letters = [sample_letter("withdrawal_second", "my"), sample_letter("enrollment", "zh-Hans")]
    pdf = tmp_path / "two.pdf"
    pdf.write_bytes(render_letters(letters, layout, SAMPLE_SENDER, workers=1))
    # withdrawal_second/my: two pages and its reply form; then enrollment/zh-Hans.
    for page, key in ((1, ("withdrawal_second", "my")), (4, ("enrollment", "zh-Hans"))):
        batch_words = [(w.text, round(w.x0), round(w.y0)) for w in words(pdf, page)]
        single_words = [(w.text, round(w.x0), round(w.y0)) for w in words(sample_pdfs[key], 1)]
        assert batch_words == single_words


def test_duplex_batch_starts_every_letter_on_a_front_page(tmp_path):
    layout = LayoutConfig(duplex=True)
    letters = [
        sample_letter("enrollment", "vi", 1),
        sample_letter("enrollment", "ja", 2),
        sample_letter("withdrawal", "vi", 3),
    ]
    pdf = tmp_path / "duplex.pdf"
    cover = BatchInfo("2026-11-B001", date(2026, 11, 25))
    pdf.write_bytes(render_letters(letters, layout, SAMPLE_SENDER, cover=cover, workers=1))
    count = page_count(pdf)
    assert count % 2 == 0
    fronts = {n: pdftotext(pdf, n, n) for n in range(1, count + 1)}
    for letter in letters:
        pages = [n for n, text in fronts.items() if letter.letter_number in text]
        assert len(pages) == (2 if letter.reply_form else 1)  # the letter, and its reply form
        assert all(page % 2 == 1 for page in pages)  # odd page = front side
    assert fronts[2].strip() == ""  # the cover's blank back
    assert fronts[6].strip() == ""  # the Japanese-only letter's blank back: one sheet


def test_cover_sheet_counts_the_batch(tmp_path, layout):
    letters = sample_batch(30)
    pdf = tmp_path / "cover.pdf"
    cover = BatchInfo("2026-11-B001", date(2026, 11, 25), note="テスト")
    pdf.write_bytes(render_letters(letters, layout, SAMPLE_SENDER, cover=cover, workers=1))
    first = squash(pdftotext(pdf, 1, 1))
    letter_pages = page_count(pdf) - 1
    for expected in ("この用紙は送付しません", "2026-11-B001", "30件", f"{letter_pages}ページ", "加入勧奨",
                     "資格喪失届の再勧奨", "加入のお知らせ", "日本語とミャンマー語", "日本語のみ",
                     "令和8年（2026年）11月25日", "1枚（片面）", "1枚（両面）＋返信用紙1枚",
                     "同封:返信用封筒"):  # fmt: skip
        assert squash(expected) in first
    for english in ("Burmese", "Japanese only", "Nepali"):  # staff read the cover sheet in Japanese
        assert english not in first
    alone = tmp_path / "cover_alone.pdf"
    alone.write_bytes(render_cover_sheet(letters, cover, layout, SAMPLE_SENDER))
    assert page_count(alone) == 1


def test_envelope_test_sheet_draws_the_window(tmp_path, layout):
    pdf = tmp_path / "test_sheet.pdf"
    pdf.write_bytes(render_test_sheet(layout))
    assert page_count(pdf) == 1
    text = squash(pdftotext(pdf))
    assert "窓位置の試し刷り" in text and "左20.0mm" in text and "4行まで" in text
    sample = [w for w in words(pdf) if w.text.startswith("〒")]
    left, top, _, _ = layout.text_box_mm
    assert sample and abs(sample[0].x0 - left * MM) < 1 * MM and abs(sample[0].y0 - top * MM) < 2 * MM
