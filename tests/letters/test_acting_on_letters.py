"""Letters a foreign resident can act on: the office named and located in their language, the
right texts for a Japanese national and for a head of household, a reply form to answer by post,
the welcome letter after enrollment, a cover sheet staff read, font subsets that never clash,
and every page's address in the window and nothing else there."""

from __future__ import annotations

import hashlib
import io
from collections import defaultdict
from dataclasses import replace
from datetime import date

import pytest

from enrollment.letters import (
    LANGUAGES,
    BatchInfo,
    LayoutConfig,
    load_catalogue,
    render_letter,
    render_letters,
)
from enrollment.letters.pdf import Composer
from enrollment.letters.samples import SAMPLE_KINDS, SAMPLE_SENDER, sample_batch, sample_letter, write_pngs
from tests.letters.helpers import page_count, pdftotext, squash
from tests.letters.test_render import _assert_address_in_window

SENDER = SAMPLE_SENDER


def _text(tmp_path, letter, sender=SENDER, name="letter") -> str:
    pdf = tmp_path / f"{name}.pdf"
    pdf.write_bytes(render_letter(letter, LayoutConfig(), sender))
    return squash(pdftotext(pdf))


# 1. The office in the resident's language ------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "vi", "id", "my", "ne"])
def test_a_foreign_reader_gets_the_office_name_address_counter_and_hours_in_latin_letters(tmp_path, lang):
    text = _text(tmp_path, sample_letter("enrollment", lang))
    for latin in (SENDER.office_latin, SENDER.address_latin, SENDER.counter_latin, SENDER.hours_latin,
                  SENDER.interpreter_latin):  # fmt: skip
        assert squash(latin) in text, latin
    # … beside the Japanese, which is what the resident shows at the counter and the post reads
    for japanese in (SENDER.office, SENDER.address, SENDER.counter, SENDER.hours):
        assert squash(japanese) in text


def test_without_latin_settings_nothing_latin_is_invented(tmp_path):
    bare = replace(
        SENDER, office_latin="", address_latin="", counter_latin="", interpreter="", interpreter_latin=""
    )
    text = _text(tmp_path, sample_letter("enrollment", "en"), bare)
    assert "KoganeiCityHall" not in text and "Honcho" not in text and "Interpreting" not in text


# 3. and the sheets ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", SAMPLE_KINDS)
@pytest.mark.parametrize("household", [False, True], ids=["self", "household"])
@pytest.mark.parametrize("national", [False, True], ids=["foreign", "japanese"])
def test_a_japanese_only_letter_is_one_side_of_one_sheet(tmp_path, kind, household, national):
    letter = replace(sample_letter(kind, "ja"), nationality="JP" if national else "VN", language="ja")
    if household:
        letter = replace(letter, addressee_name="山田 花子")
    pdf = tmp_path / "ja.pdf"
    pdf.write_bytes(render_letter(letter, LayoutConfig(), SENDER))
    form = squash(load_catalogue("ja")["form_title"])
    pages = [squash(pdftotext(pdf, n, n)) for n in range(1, page_count(pdf) + 1)]
    assert len([p for p in pages if form not in p]) == 1, kind
    assert len(pages) == (2 if letter.reply_form else 1)


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "ja"])
@pytest.mark.parametrize("kind", SAMPLE_KINDS)
def test_a_letter_addressed_to_a_head_of_household_still_fits_one_sheet(tmp_path, kind, lang):
    letter = replace(sample_letter(kind, lang), addressee_name="TRAN THI BINH")
    pdf = tmp_path / "head.pdf"
    pdf.write_bytes(render_letter(letter, LayoutConfig(), SENDER))
    form = squash(load_catalogue("ja")["form_title"])
    pages = [squash(pdftotext(pdf, n, n)) for n in range(1, page_count(pdf) + 1)]
    assert len([p for p in pages if form not in p]) == 2


# 4. Japanese nationals --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["enrollment", "withdrawal", "withdrawal_second"])
def test_a_japanese_national_is_not_asked_for_a_residence_card_nor_told_the_three_month_rule(tmp_path, kind):
    ja = load_catalogue("ja")
    national = _text(tmp_path, replace(sample_letter(kind, "ja"), nationality="JP"), name="jp")
    foreigner = _text(
        tmp_path, replace(sample_letter(kind, "ja"), nationality="VN", language="ja"), name="vn"
    )
    assert squash(ja["bring_residence_card"]) not in national
    assert squash(ja["bring_residence_card"]) in foreigner
    if kind == "enrollment":
        assert "3か月" not in national and "3か月" in foreigner
        assert squash(ja["bring_passport"]) not in national


# 5. The head of household is not spoken to as the person concerned ------------------------------


@pytest.mark.parametrize("kind", ["enrollment", "withdrawal"])
def test_a_letter_to_the_head_of_household_speaks_about_the_person_concerned(tmp_path, kind):
    en = load_catalogue("en")
    to_head = _text(tmp_path, replace(sample_letter(kind, "en"), addressee_name="SANTOS JOSE"), name="head")
    to_self = _text(tmp_path, sample_letter(kind, "en"), name="self")
    assert squash(en[f"why_{kind}"]) in to_self
    assert squash(en[f"why_{kind}"]) not in to_head  # "It seems that you are not covered…"
    assert squash(en[f"why_{kind}_other"]) in to_head  # "… the person concerned …"
    assert squash(en["household_head_note"]) in to_head
    assert "Itseemsthatyou" not in to_head


# Respond by post ---------------------------------------------------------------------------------


def test_a_withdrawal_reminder_carries_a_reply_form_with_the_letter_number_and_the_person(tmp_path):
    letter = sample_letter("withdrawal", "vi")
    pdf = tmp_path / "form.pdf"
    pdf.write_bytes(render_letter(letter, LayoutConfig(), SENDER))
    form_page = squash(pdftotext(pdf, page_count(pdf), page_count(pdf)))
    ja, vi = load_catalogue("ja"), load_catalogue("vi")
    for key in ("form_title", "form_insurer", "form_acquired", "form_signature", "form_enclose"):
        assert squash(ja[key]) in form_page and squash(vi[key]) in form_page, key
    assert letter.letter_number in form_page and squash(f"{letter.subject_name}様") in form_page
    assert squash("令和8年（2026年）12月25日") in form_page  # the deadline
    assert squash(SENDER.address) in form_page  # where to send it
    letter_text = squash(pdftotext(pdf, 1, page_count(pdf) - 1))
    assert squash(ja["post_reply"]) in letter_text and squash(vi["post_reply"]) in letter_text


def test_an_enrollment_reminder_says_what_to_bring_and_where_interpreters_are(tmp_path):
    text = _text(tmp_path, sample_letter("enrollment", "id"))
    ida = load_catalogue("id")
    assert squash(ida["bring_residence_card"]) in text
    assert squash(SENDER.interpreter_latin) in text and squash(ida["interpreter"].split("{")[0]) in text
    assert squash(load_catalogue("ja")["form_title"]) not in text  # enrolling needs the counter


# The welcome letter -------------------------------------------------------------------------------


def test_the_welcome_letter_tells_what_follows_enrollment(tmp_path):
    text = _text(tmp_path, sample_letter("welcome", "en"))
    en = load_catalogue("en")
    for key in ("title_welcome", "welcome_card", "welcome_premium", "welcome_pay", "welcome_prepay",
                "welcome_unpaid", "contact_body"):  # fmt: skip
        assert squash(en[key].split("{")[0]) in text, key
    assert "資格確認書" in text and "資格情報のお知らせ" in text and "口座振替" in text
    assert "回答期限" not in text and "Deadline" not in text  # nothing is due


def test_the_welcome_letter_mentions_prepayment_and_the_visa_warning_only_where_they_apply(tmp_path):
    en, ja = load_catalogue("en"), load_catalogue("ja")
    no_prepay = _text(tmp_path, sample_letter("welcome", "en"), replace(SENDER, prepayment=False), name="a")
    assert squash(en["welcome_prepay"]) not in no_prepay
    national = _text(tmp_path, replace(sample_letter("welcome", "ja"), nationality="JP"), name="b")
    assert squash(ja["welcome_unpaid"]) not in national  # 特定技能 concerns foreign nationals
    assert squash(ja["welcome_card"]) in national


# 6. Font subsets --------------------------------------------------------------------------------


def font_subsets(pdf: bytes) -> dict[str, set[str]]:
    """Subset name (TAG+Family) → the distinct font programs embedded under it."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    names: dict[str, set[str]] = defaultdict(set)
    for number in range(1, int(reader.trailer["/Size"])):
        try:
            obj = reader.get_object(number)
        except Exception:  # a free entry
            continue
        if not hasattr(obj, "get") or obj.get("/Type") != "/FontDescriptor":
            continue
        for key in ("/FontFile3", "/FontFile2", "/FontFile"):
            if key in obj:
                names[str(obj["/FontName"])].add(hashlib.sha256(obj[key].get_object().get_data()).hexdigest())
    return names


def test_no_two_different_font_subsets_share_a_name_in_a_batch_or_across_batches():
    layout = LayoutConfig(chunk_size=10)  # several overlay documents, each with its own subsets
    first = render_letters(
        sample_batch(35), layout, SENDER, cover=BatchInfo("B1", date(2026, 11, 25)), workers=1
    )
    second = render_letters(
        sample_batch(12)[5:], layout, SENDER, cover=BatchInfo("B2", date(2026, 11, 25)), workers=1
    )
    one, two = font_subsets(first), font_subsets(second)
    assert len(one) > 3
    assert all(len(programs) == 1 for programs in one.values()), one
    # Two batches sent to the same printer: a name means the same subset in both.
    for name in one.keys() & two.keys():
        assert one[name] == two[name], name
    # Joined into one file (print_letters --kind second): still one subset per name.
    composer = Composer(title="joined", duplex=False)
    for pdf in (first, second):
        reader = composer.source(pdf)
        composer.add_pages(reader, range(len(reader.pages)))
    joined = font_subsets(composer.write())
    assert all(len(programs) == 1 for programs in joined.values()), joined


# 7. The cover sheet ------------------------------------------------------------------------------


def test_the_cover_sheet_speaks_japanese_and_says_how_each_letter_is_printed(tmp_path):
    letters = [sample_letter("enrollment", "ja", 1), sample_letter("enrollment", "ne", 2),
               sample_letter("withdrawal", "my", 3), sample_letter("welcome", "vi", 4)]  # fmt: skip
    pdf = tmp_path / "cover.pdf"
    pdf.write_bytes(render_letters(letters, LayoutConfig(duplex=True), SENDER,
                                   cover=BatchInfo("B9", date(2026, 11, 25)), workers=1))  # fmt: skip
    cover = squash(pdftotext(pdf, 1, 1))
    for expected in ("日本語のみ", "日本語とネパール語", "日本語とミャンマー語", "日本語とベトナム語", "両面印刷",
                     "用紙:1枚（片面）1件", "用紙:1枚（両面）2件", "用紙:1枚（両面）＋返信用紙1枚1件",
                     "同封:返信用封筒1部", "同封:口座振替依頼書1部"):  # fmt: skip
        assert squash(expected) in cover, expected
    for english in ("Japanese", "Nepali", "Burmese", "Vietnamese"):
        assert english not in cover


# The page images and the window -----------------------------------------------------------------


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize("kind", SAMPLE_KINDS)
def test_nothing_but_the_address_shows_in_the_window(sample_pdfs, layout, kind, lang):
    _assert_address_in_window(sample_pdfs[kind, lang], layout, sample_letter(kind, lang))


def test_the_page_images_command_writes_every_page_of_every_kind_in_every_language(tmp_path):
    written = write_pngs(tmp_path, resolution=20)
    names = {path.name for path in written}
    for kind in SAMPLE_KINDS:
        for lang in LANGUAGES:
            assert f"{kind}_{lang}-1.png" in names
            assert (f"{kind}_{lang}-2.png" in names) is (lang != "ja")  # the back of a bilingual sheet
            assert (f"{kind}_{lang}-form.png" in names) is kind.startswith("withdrawal")
    assert len(names) == len(written)
