"""Print batches and the letters pages, as the clerk, the printer and the postal worker meet them:
one PDF per kind in postal-code order with a cover sheet, the address in the window, letters
printed then sent (deadlines start), held letters left out, downloads counted and logged, and
another municipality or an auditor refused."""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from enrollment.cases import printing, services
from enrollment.cases.deadlines import deadline_for
from enrollment.cases.letters import layout
from enrollment.letters import load_catalogue
from enrollment.models import CaseEvent, CaseState, Letter, LetterStatus, PrintBatch
from nhi_portal.models import AccessLog, JobStatus
from tests.conftest import signed_in
from tests.factories import NhiMembershipFactory
from tests.letters.helpers import MM, POPPLER_MISSING, page_count, pdftotext, squash, words
from tests.linking.helpers import isa_batch, match, resident

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(bool(POPPLER_MISSING), reason=f"poppler-utils needed: {POPPLER_MISSING}"),
]

# Three people, queued in this order, whose postal codes sort the other way round.
PEOPLE = [
    {"name": "NGUYEN VAN AN", "birth_date": date(1998, 4, 12), "sex": "M", "postal_code": "1840013", "nationality": "VN"},
    {"name": "SANTOS MARIA CLARA", "birth_date": date(1995, 1, 3), "sex": "F", "postal_code": "1840004", "nationality": "PH"},
    {"name": "SITI NURHALIZA", "birth_date": date(2000, 7, 20), "sex": "F", "postal_code": "1840002", "nationality": "ID"},
]  # fmt: skip


def queue_letters(municipality, people=PEOPLE) -> list[Letter]:
    """Residents, an ISA file naming them, matching and cases: one queued enrollment letter each."""
    for person in people:
        resident(
            municipality,
            name_alpha=person["name"],
            name_kana="",
            birth_date=person["birth_date"],
            sex=person["sex"],
            postal_code=person["postal_code"],
            nationality=person["nationality"],
        )
    records = [{"name": p["name"], "birth_date": p["birth_date"], "sex": p["sex"]} for p in people]
    match(isa_batch(municipality, records))
    services.cases_open(municipality=municipality)
    names = [p["name"] for p in people]
    letters = sorted(
        Letter.objects.filter(municipality=municipality, addressee_name__in=names),
        key=lambda lt: names.index(lt.addressee_name),
    )
    assert len(letters) == len(people)
    return letters


def queue_withdrawal_letter(municipality) -> Letter:
    """A person in NHI who joined employee insurance (pension list): a withdrawal reminder."""
    person = resident(municipality, name_alpha="AUNG KYAW MIN", name_kana="", birth_date=date(1990, 2, 2),
                      nationality="MM", postal_code="1840001")  # fmt: skip
    NhiMembershipFactory(municipality=municipality, resident_code=person.resident_code)
    match(isa_batch(municipality, [{"name": "AUNG KYAW MIN", "birth_date": date(1990, 2, 2)}], annex=22))
    services.cases_open(municipality=municipality)
    return Letter.objects.get(case__resident=person)


def make_batch(municipality, user, django_capture_on_commit_callbacks, *, kind="enrollment", second=False):
    """What the button does: create the batch; the render task runs when the transaction commits
    (eagerly in tests, as in the embedded demo)."""
    with django_capture_on_commit_callbacks(execute=True):
        batch = printing.print_batch_create(municipality=municipality, kind=kind, second=second, user=user)
    batch.refresh_from_db()
    return batch


def pdf_of(batch, tmp_path) -> Path:
    path = tmp_path / f"batch_{batch.pk}.pdf"
    with batch.pdf.open("rb") as fh:
        path.write_bytes(fh.read())
    return path


def first_pages(pdf: Path, numbers: list[str]) -> dict[str, list[int]]:
    """For each letter number, the pages whose text shows it."""
    pages = [squash(pdftotext(pdf, n, n)) for n in range(1, page_count(pdf) + 1)]
    return {number: [i + 1 for i, text in enumerate(pages) if number in text] for number in numbers}


def postal(code: str) -> str:
    return f"{code[:3]}-{code[3:]}"


# The batch -------------------------------------------------------------------------------------


def test_a_print_batch_is_one_pdf_of_one_kind_in_postal_code_order_with_a_cover_sheet(
    municipality, clerk, tmp_path, django_capture_on_commit_callbacks
):
    letters = queue_letters(municipality)
    withdrawal = queue_withdrawal_letter(municipality)
    assert {lt.status for lt in [*letters, withdrawal]} == {"queued"}

    batch = make_batch(municipality, clerk, django_capture_on_commit_callbacks)

    assert batch.status == PrintBatch.Status.READY
    assert (batch.letter_count, batch.issue_date, batch.created_by) == (3, timezone.localdate(), clerk)
    assert batch.job.status == JobStatus.SUCCEEDED and batch.job.kind == "render_letters"
    pdf = pdf_of(batch, tmp_path)
    assert batch.page_count == page_count(pdf)
    assert batch.sha256 == hashlib.sha256(pdf.read_bytes()).hexdigest()

    cover = squash(pdftotext(pdf, 1, 1))
    number = printing.batch_number(batch)
    assert "この用紙は送付しません" in cover and number in cover and "3件" in cover
    # every letter once (its number is on its first page), right after the cover, in postal-code
    # order rather than the order they were queued in
    found = first_pages(pdf, [lt.number for lt in letters] + [withdrawal.number])
    assert found[withdrawal.number] == []  # another kind: not in this batch
    assert all(len(found[lt.number]) == 1 for lt in letters)
    starts = {lt.number: found[lt.number][0] for lt in letters}
    assert min(starts.values()) == 3  # after the cover sheet and its blank back (printed on both sides)
    by_postcode = [lt.number for lt in sorted(letters, key=lambda lt: lt.postal_code)]
    assert sorted(starts, key=starts.get) == by_postcode
    assert f"〒{postal('1840002')}〜〒{postal('1840013')}" in cover  # the range, for the post office

    for letter in letters:
        letter.refresh_from_db()
        assert (letter.status, letter.print_batch, letter.issue_date) == ("printed", batch, batch.issue_date)
        assert letter.case.state == CaseState.LETTER_QUEUED  # nothing is due until it is sent
    withdrawal.refresh_from_db()
    assert withdrawal.status == LetterStatus.QUEUED
    assert CaseEvent.objects.filter(action="letter_printed").count() == 3


def test_the_address_of_a_letter_in_the_batch_lies_inside_the_envelope_window(
    municipality, clerk, tmp_path, django_capture_on_commit_callbacks
):
    letters = queue_letters(municipality)
    batch = make_batch(municipality, clerk, django_capture_on_commit_callbacks)
    pdf = pdf_of(batch, tmp_path)
    page_layout = layout()
    slack = 2.5
    left, top = page_layout.window_left_mm - slack, page_layout.window_top_mm - slack
    right = page_layout.window_left_mm + page_layout.window_width_mm + slack
    bottom = page_layout.window_top_mm + page_layout.window_height_mm + slack
    box_left, box_top, box_width, box_height = page_layout.text_box_mm
    tolerance = 1.0
    found = first_pages(pdf, [lt.number for lt in letters])
    for letter in letters:
        near = [
            w for w in words(pdf, found[letter.number][0])
            if w.x1 > left * MM and w.x0 < right * MM and w.y1 > top * MM and w.y0 < bottom * MM
        ]  # fmt: skip
        expected = f"〒{postal(letter.postal_code)}{''.join(letter.address_lines)}{letter.addressee_name}様"
        assert squash("".join(w.text for w in near)) == squash(expected)  # the address and nothing else
        for w in near:
            assert w.x0 >= (box_left - tolerance) * MM and w.x1 <= (box_left + box_width + tolerance) * MM, w
            assert w.y0 >= (box_top - tolerance) * MM and w.y1 <= (box_top + box_height + tolerance) * MM, w


def test_marking_the_batch_sent_starts_the_deadlines(municipality, clerk, django_capture_on_commit_callbacks):
    letters = queue_letters(municipality)
    batch = make_batch(municipality, clerk, django_capture_on_commit_callbacks)
    sent_on = timezone.localdate()

    assert printing.print_batch_mark_sent(batch=batch, sent_on=sent_on, user=clerk) == 3

    batch.refresh_from_db()
    assert (batch.status, batch.sent_on, batch.sent_by) == ("sent", sent_on, clerk)
    for letter in letters:
        letter.refresh_from_db()
        assert (letter.status, letter.sent_on) == ("sent", sent_on)
        assert letter.deadline == deadline_for(sent_on, second=False)
        assert (letter.case.state, letter.case.deadline) == (CaseState.LETTER_SENT, letter.deadline)
    with pytest.raises(printing.PrintRefused, match="印刷できます"):
        printing.print_batch_mark_sent(batch=batch, sent_on=sent_on, user=clerk)


def test_sending_refuses_dates_before_the_issue_date_or_in_the_future(
    municipality, clerk, django_capture_on_commit_callbacks
):
    queue_letters(municipality, PEOPLE[:1])
    batch = make_batch(municipality, clerk, django_capture_on_commit_callbacks)
    today = timezone.localdate()
    with pytest.raises(printing.PrintRefused, match="発行日"):
        printing.print_batch_mark_sent(batch=batch, sent_on=today - timedelta(days=1), user=clerk)
    with pytest.raises(printing.PrintRefused, match="未来"):
        printing.print_batch_mark_sent(batch=batch, sent_on=today + timedelta(days=1), user=clerk)
    assert Letter.objects.get().status == "printed"


def test_a_letter_whose_case_closed_after_printing_is_not_sent(
    municipality, clerk, django_capture_on_commit_callbacks
):
    letters = queue_letters(municipality, PEOPLE[:2])
    batch = make_batch(municipality, clerk, django_capture_on_commit_callbacks)
    services.case_record_response(case=letters[0].case, response="enrolled", note="", user=clerk)
    assert printing.print_batch_mark_sent(batch=batch, sent_on=timezone.localdate(), user=clerk) == 1
    closed, sent = (Letter.objects.select_related("case").get(pk=lt.pk) for lt in letters)
    assert (closed.status, closed.case.state) == ("printed", CaseState.CLOSED)
    assert (sent.status, sent.case.state) == ("sent", CaseState.LETTER_SENT)


def test_running_the_render_twice_changes_nothing(municipality, clerk, django_capture_on_commit_callbacks):
    queue_letters(municipality)
    batch = make_batch(municipality, clerk, django_capture_on_commit_callbacks)
    before = list(Letter.objects.order_by("pk").values_list("pk", "status", "print_batch", "issue_date"))
    queue_letters(municipality, [{**PEOPLE[0], "name": "TRAN THI BINH", "birth_date": date(1999, 9, 9)}])

    again = printing.print_batch_render(batch_id=batch.pk)

    assert (again.status, again.sha256, again.pdf.name) == ("ready", batch.sha256, batch.pdf.name)
    assert list(Letter.objects.filter(pk__in=[b[0] for b in before]).order_by("pk").values_list(
        "pk", "status", "print_batch", "issue_date")) == before  # fmt: skip
    assert Letter.objects.filter(status="queued").count() == 1  # the newcomer waits for the next batch
    assert CaseEvent.objects.filter(action="letter_printed").count() == 3


def test_a_worker_killed_mid_render_leaves_nothing_and_the_rerun_prints_the_same_letters(
    municipality, clerk, monkeypatch
):
    letters = queue_letters(municipality)
    batch = printing.print_batch_create(
        municipality=municipality, kind="enrollment", second=False, user=clerk, enqueue=False
    )

    class WorkerLost(BaseException):  # like SIGKILL: nothing in the service gets to handle it
        pass

    def killed(*args, **kwargs):
        raise WorkerLost

    monkeypatch.setattr(printing, "render_letters", killed)
    with pytest.raises(WorkerLost):
        printing.print_batch_render(batch_id=batch.pk)
    batch.refresh_from_db()
    assert (batch.status, batch.pdf.name, batch.letter_count) == ("rendering", "", 0)
    assert set(Letter.objects.values_list("status", flat=True)) == {"queued"}

    monkeypatch.undo()
    batch = printing.print_batch_render(batch_id=batch.pk)
    assert batch.status == "ready"
    assert set(batch.letters.values_list("pk", flat=True)) == {lt.pk for lt in letters}


def _pdfs(settings) -> list[str]:
    return sorted(path.name for path in Path(settings.PRIVATE_STORAGE_DIR).rglob("*.pdf"))


def test_a_pdf_written_by_a_rendering_killed_before_its_commit_does_not_stay(
    municipality, clerk, monkeypatch, settings
):
    queue_letters(municipality)
    batch = printing.print_batch_create(
        municipality=municipality, kind="enrollment", second=False, user=clerk, enqueue=False
    )

    class WorkerLost(BaseException):  # SIGKILL after the PDF was written, before the commit
        pass

    def killed(pdf):
        raise WorkerLost

    monkeypatch.setattr(printing, "_page_count", killed)
    with pytest.raises(WorkerLost):
        printing.print_batch_render(batch_id=batch.pk)
    assert _pdfs(settings) == [f"letters_{printing.batch_number(batch)}.pdf"]  # nobody refers to it

    monkeypatch.undo()
    batch = printing.print_batch_render(batch_id=batch.pk)
    assert batch.status == "ready"
    assert _pdfs(settings) == [Path(batch.pdf.name).name] == [f"letters_{printing.batch_number(batch)}.pdf"]
    assert hashlib.sha256(Path(batch.pdf.path).read_bytes()).hexdigest() == batch.sha256


def test_a_rendering_that_fails_after_writing_its_pdf_leaves_no_pdf(
    municipality, clerk, monkeypatch, settings
):
    queue_letters(municipality)
    batch = printing.print_batch_create(
        municipality=municipality, kind="enrollment", second=False, user=clerk, enqueue=False
    )

    def broken(pdf):
        raise OSError("disk full")

    monkeypatch.setattr(printing, "_page_count", broken)
    batch = printing.print_batch_render(batch_id=batch.pk)
    assert (batch.status, batch.pdf.name) == ("failed", "")
    assert _pdfs(settings) == []
    assert set(Letter.objects.values_list("status", flat=True)) == {"queued"}


def test_a_letter_that_fails_the_check_at_render_time_is_held_and_left_out(
    municipality, clerk, tmp_path, django_capture_on_commit_callbacks
):
    letters = queue_letters(municipality)
    broken = letters[1]
    Letter.objects.filter(pk=broken.pk).update(postal_code="")  # the register changed since queuing

    batch = make_batch(municipality, clerk, django_capture_on_commit_callbacks)

    broken.refresh_from_db()
    assert broken.status == "held" and "郵便番号" in broken.hold_reason and broken.print_batch is None
    assert batch.letter_count == 2
    found = first_pages(pdf_of(batch, tmp_path), [lt.number for lt in letters])
    assert found[broken.number] == [] and all(found[lt.number] for lt in letters if lt != broken)


def test_a_batch_with_only_unprintable_letters_fails_and_keeps_them_held(
    municipality, clerk, django_capture_on_commit_callbacks
):
    (letter,) = queue_letters(municipality, PEOPLE[:1])
    Letter.objects.filter(pk=letter.pk).update(postal_code="")
    batch = make_batch(municipality, clerk, django_capture_on_commit_callbacks)
    assert batch.status == "failed" and "保留" in batch.error
    assert batch.job.status == JobStatus.FAILED
    letter.refresh_from_db()
    assert letter.status == "held"


def test_nothing_queued_is_refused(municipality, clerk):
    queue_letters(municipality, PEOPLE[:1])
    with pytest.raises(printing.PrintRefused, match="印刷待ちの資格喪失届の勧奨"):
        printing.print_batch_create(municipality=municipality, kind="withdrawal", second=False, user=clerk)
    with pytest.raises(printing.PrintRefused, match="加入再勧奨"):
        printing.print_batch_create(municipality=municipality, kind="enrollment", second=True, user=clerk)
    assert not PrintBatch.objects.exists()


# Pages -----------------------------------------------------------------------------------------


def test_a_clerk_prints_downloads_and_marks_sent_through_the_pages(
    municipality, clerk, tmp_path, django_capture_on_commit_callbacks
):
    letters = queue_letters(municipality)
    held = queue_letters(municipality, [{**PEOPLE[0], "name": "LE VAN CUONG", "birth_date": date(1997, 3, 3),
                                         "postal_code": ""}])[0]  # fmt: skip
    client = signed_in(clerk)

    page = client.get(reverse("letter-list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "加入勧奨" in html and "3通" in html and "印刷用PDFを作る" in html
    assert held.number in html and "郵便番号" in html
    assert reverse("case-detail", args=[held.case_id]) in html

    confirm_url = reverse("print-batch-create", args=["enrollment"])
    confirm = client.get(confirm_url)
    assert confirm.status_code == 200 and "3通を印刷用PDFにする" in confirm.content.decode()
    assert not PrintBatch.objects.exists()  # looking is not acting
    with django_capture_on_commit_callbacks(execute=True):  # the task runs when the request commits
        assert client.post(confirm_url).status_code == 302
    batch = PrintBatch.objects.get()
    assert batch.status == "ready"
    listing = client.get(reverse("letter-list")).content.decode()
    assert printing.batch_number(batch) in listing and batch.sha256[:12] in listing
    assert "作成しています" in listing  # the message left by the post

    download_url = reverse("print-batch-download", args=[batch.pk])
    for _ in range(2):
        response = client.get(download_url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment")
        assert b"".join(response.streaming_content).startswith(b"%PDF")
    batch.refresh_from_db()
    assert batch.downloads == 2
    log = list(AccessLog.objects.filter(action__startswith="print_batch_").order_by("pk"))
    assert [e.action for e in log] == ["print_batch_download", "print_batch_reprint"]
    assert all(set(e.object_ids) == {lt.case.resident_id for lt in letters} for e in log)
    assert all(e.purpose == "letters" and e.user == clerk for e in log)

    sent_url = reverse("print-batch-sent", args=[batch.pk])
    today = timezone.localdate()
    check = client.get(sent_url, {"sent_on": today.isoformat()})
    assert check.status_code == 200 and "3通を送付済みにする" in check.content.decode()
    assert Letter.objects.filter(status="sent").count() == 0
    assert client.get(sent_url, {"sent_on": "2026-13-40"}).status_code == 400
    response = client.post(f"{sent_url}?sent_on={today.isoformat()}")
    assert response.status_code == 302
    assert Letter.objects.filter(status="sent", sent_on=today).count() == 3
    assert client.post(f"{sent_url}?sent_on={today.isoformat()}").status_code == 409  # not twice


def test_the_letter_page_and_its_preview(municipality, clerk, tmp_path):
    (letter,) = queue_letters(municipality, PEOPLE[:1])
    client = signed_in(clerk)

    page = client.get(reverse("letter-detail", args=[letter.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert letter.number in html and "NGUYEN VAN AN" in html
    preview_url = reverse("letter-preview", args=[letter.pk])
    assert f'<iframe class="letter-preview" src="{preview_url}"' in html
    assert page["X-Frame-Options"] == "DENY"  # the page itself is never framed

    before = AccessLog.objects.count()
    response = client.get(preview_url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert re.search(r"frame-ancestors 'self'", response["Content-Security-Policy"])
    pdf = tmp_path / "preview.pdf"
    pdf.write_bytes(response.content)
    assert letter.number in squash(pdftotext(pdf))
    entries = AccessLog.objects.order_by("pk")[before:]
    assert [(e.action, e.object_ids, e.purpose) for e in entries] == [
        ("letter_preview", [letter.case.resident_id], "letters")
    ]


def test_the_window_test_sheet(municipality, clerk, tmp_path):
    response = signed_in(clerk).get(reverse("letter-test-sheet"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_another_municipality_gets_404_everywhere(
    municipality, clerk, other_clerk, django_capture_on_commit_callbacks
):
    (letter,) = queue_letters(municipality, PEOPLE[:1])
    batch = make_batch(municipality, clerk, django_capture_on_commit_callbacks)
    client = signed_in(other_clerk)
    for url in (
        reverse("letter-detail", args=[letter.pk]),
        reverse("letter-preview", args=[letter.pk]),
        reverse("print-batch-download", args=[batch.pk]),
        reverse("print-batch-sent", args=[batch.pk]) + "?sent_on=" + timezone.localdate().isoformat(),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("print-batch-sent", args=[batch.pk]) + "?sent_on="
                       + timezone.localdate().isoformat()).status_code == 404  # fmt: skip
    listing = client.get(reverse("letter-list")).content.decode()
    assert letter.number not in listing and printing.batch_number(batch) not in listing
    # their button makes nothing of our letters
    response = client.post(reverse("print-batch-create", args=["enrollment"]))
    assert response.status_code == 409
    batch.refresh_from_db()
    assert (batch.downloads, batch.status, PrintBatch.objects.count()) == (0, "ready", 1)


def test_auditors_are_refused(municipality, clerk, auditor, django_capture_on_commit_callbacks):
    (letter,) = queue_letters(municipality, PEOPLE[:1])
    batch = make_batch(municipality, clerk, django_capture_on_commit_callbacks)
    client = signed_in(auditor)
    for url in (
        reverse("letter-list"),
        reverse("letter-test-sheet"),
        reverse("print-batch-create", args=["enrollment"]),
        reverse("letter-detail", args=[letter.pk]),
        reverse("letter-preview", args=[letter.pk]),
        reverse("print-batch-download", args=[batch.pk]),
        reverse("print-batch-sent", args=[batch.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("print-batch-create", args=["enrollment"])).status_code == 403
    assert client.post(reverse("print-batch-sent", args=[batch.pk])).status_code == 403


def test_the_letter_list_takes_a_fixed_number_of_queries(
    municipality, clerk, django_capture_on_commit_callbacks
):
    queue_letters(municipality, PEOPLE[:1])
    make_batch(municipality, clerk, django_capture_on_commit_callbacks)
    client = signed_in(clerk)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("letter-list")).status_code == 200
        return len(captured)

    def hold_more(people) -> None:
        queue_letters(municipality, people)
        Letter.objects.filter(status="queued").update(status="held", hold_reason="郵便番号がありません")

    hold_more(PEOPLE[1:2])
    few = queries()
    hold_more(PEOPLE[2:])
    for _ in range(3):
        PrintBatch.objects.create(municipality=municipality, kind="enrollment", status="failed", error="x")
    assert queries() == few


# Command ---------------------------------------------------------------------------------------


def test_print_letters_writes_the_pdf_and_prints_the_counts(municipality, tmp_path):
    letters = queue_letters(municipality)
    out = tmp_path / "letters.pdf"
    stdout = StringIO()

    call_command("print_letters", "--out", str(out), "--kind", "enrollment", stdout=stdout)

    batch = PrintBatch.objects.get()
    assert (
        out.read_bytes().startswith(b"%PDF") and hashlib.sha256(out.read_bytes()).hexdigest() == batch.sha256
    )
    assert page_count(out) == batch.page_count
    text = stdout.getvalue()
    assert f"3通、{batch.page_count}ページ" in text and "秒" in text
    assert all(lt.number in squash(pdftotext(out)) for lt in letters)
    with pytest.raises(CommandError, match="印刷待ちの加入勧奨の通知書はありません"):
        call_command("print_letters", "--out", str(out), stdout=StringIO())


def test_print_letters_second_prints_second_reminders_of_both_kinds(municipality, clerk, tmp_path):
    with pytest.raises(CommandError, match="再勧奨"):
        call_command(
            "print_letters", "--out", str(tmp_path / "none.pdf"), "--kind", "second", stdout=StringIO()
        )
    (enrollment,) = queue_letters(municipality, PEOPLE[:1])
    withdrawal = queue_withdrawal_letter(municipality)
    for letter in (enrollment, withdrawal):
        Letter.objects.filter(pk=letter.pk).update(status="printed")
        services.letters_mark_sent(
            letters=Letter.objects.filter(pk=letter.pk), sent_on=date(2026, 10, 1), user=clerk
        )
        case = letter.case
        case.refresh_from_db()
        services.case_queue_second(case=case, user=clerk, today=case.deadline + timedelta(days=1))
    out = tmp_path / "second.pdf"
    stdout = StringIO()
    call_command("print_letters", "--out", str(out), "--kind", "second", stdout=stdout)
    batches = list(PrintBatch.objects.order_by("pk"))
    assert [(b.kind, b.second, b.letter_count) for b in batches] == [
        ("enrollment", True, 1), ("withdrawal", True, 1)
    ]  # fmt: skip
    assert page_count(out) == sum(b.page_count for b in batches)
    text = squash(pdftotext(out))
    assert text.count("この用紙は送付しません") == 2
    assert "加入再勧奨" in stdout.getvalue() and "資格喪失届の再勧奨" in stdout.getvalue()


# Letters a resident can act on (issue 14) --------------------------------------------------------


def test_the_office_is_printed_as_the_municipality_sets_it_with_its_latin_forms(municipality, tmp_path):
    from enrollment.cases.letters import sender_for
    from enrollment.letters import render_letter

    municipality.office_name_latin = "Koganei City Hall, Insurance and Pension Division"
    municipality.address_latin = "6-6-3 Honcho, Koganei-shi, Tokyo"
    municipality.counter, municipality.counter_latin = "第二庁舎1階 5番窓口", "Annex Building 1F, Counter 5"
    municipality.opening_hours, municipality.opening_hours_latin = (
        "平日 9時00分〜17時00分",
        "Weekdays 9:00-17:00",
    )
    municipality.interpreter_service = "窓口で タブレット通訳を 使えます"
    municipality.interpreter_service_latin = "Interpreting by tablet at the counter"
    municipality.save()
    (letter,) = queue_letters(municipality, PEOPLE[1:2])  # Philippines: English
    sender = sender_for(municipality)
    assert (sender.opens, sender.closes, sender.counter) == ("9:00", "17:00", "第二庁舎1階 5番窓口")
    pdf = tmp_path / "office.pdf"
    pdf.write_bytes(render_letter(printing.letter_content(letter), layout(), sender))
    text = squash(pdftotext(pdf))
    for expected in ("KoganeiCityHall,InsuranceandPensionDivision", "6-6-3Honcho,Koganei-shi,Tokyo",
                     "AnnexBuilding1F,Counter5", "第二庁舎1階5番窓口", "Weekdays9:00-17:00",
                     "平日9時00分〜17時00分", "Interpretingbytabletatthecounter"):  # fmt: skip
        assert expected in text, expected


def _enrolled_by(path: str, case, clerk):
    if path == "ledger":
        NhiMembershipFactory(municipality=case.municipality, resident_code=case.resident.resident_code,
                             acquired_date=date(2026, 10, 20))  # fmt: skip
        services.cases_close_by_ledger(municipality=case.municipality, today=date(2026, 11, 1))
    elif path == "response":
        services.case_record_response(case=case, response="enrolled", note="窓口で加入", user=clerk)
    else:
        services.case_close(case=case, reason="enrolled", note="", user=clerk)


@pytest.mark.parametrize("path", ["ledger", "response", "clerk"])
def test_a_welcome_letter_follows_every_way_a_case_closes_as_enrolled(municipality, clerk, path):
    (letter,) = queue_letters(municipality, PEOPLE[:1])
    case = letter.case
    _enrolled_by(path, case, clerk)
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED
    welcome = case.letters.get(kind="welcome")
    assert (welcome.status, welcome.language, welcome.addressee_name) == ("queued", "vi", "NGUYEN VAN AN")
    assert not welcome.ex_officio_notice and welcome.deadline is None
    assert case.events.filter(action="welcome_queued").count() == 1
    letter.refresh_from_db()
    assert letter.status == "cancelled"  # the reminder that was still queued is not printed


@pytest.mark.parametrize("response", ["withdrew", "moved_away", "left_japan", "other"])
def test_no_welcome_letter_when_a_case_closes_any_other_way(municipality, clerk, response):
    (letter,) = queue_letters(municipality, PEOPLE[:1])
    services.case_record_response(case=letter.case, response=response, note="メモ", user=clerk)
    assert not Letter.objects.filter(kind="welcome").exists()
    withdrawal = queue_withdrawal_letter(municipality)
    services.case_close(case=withdrawal.case, reason="withdrew", note="", user=clerk)
    assert not Letter.objects.filter(kind="welcome").exists()


def test_welcome_letters_are_printed_counted_sent_and_on_the_persons_timeline(
    municipality, clerk, tmp_path, django_capture_on_commit_callbacks
):
    from enrollment.cases.selectors import person_timeline

    letters = queue_letters(municipality)
    for letter in letters:
        services.case_record_response(case=letter.case, response="enrolled", note="", user=clerk)
    client = signed_in(clerk)
    listing = client.get(reverse("letter-list")).content.decode()
    assert "加入のお知らせ" in listing and reverse("print-batch-create", args=["welcome"]) in listing

    batch = make_batch(municipality, clerk, django_capture_on_commit_callbacks, kind="welcome")
    assert (batch.status, batch.letter_count) == ("ready", 3)
    pdf = pdf_of(batch, tmp_path)
    text = squash(pdftotext(pdf))
    assert text.count(squash(load_catalogue("ja")["title_welcome"])) == 3
    assert "同封:口座振替依頼書3部" in squash(pdftotext(pdf, 1, 1))
    assert page_count(pdf) == batch.page_count == 2 + 3 * 2  # cover + back, three bilingual sheets

    today = timezone.localdate()
    check = client.get(reverse("print-batch-sent", args=[batch.pk]), {"sent_on": today.isoformat()})
    assert check.status_code == 200 and "記録する回答期限" not in check.content.decode()
    response = client.post(f"{reverse('print-batch-sent', args=[batch.pk])}?sent_on={today.isoformat()}")
    assert response.status_code == 302
    welcome = Letter.objects.filter(kind="welcome")
    assert set(welcome.values_list("status", flat=True)) == {"sent"}
    assert all(lt.sent_on == today and lt.deadline is None for lt in welcome)
    assert CaseEvent.objects.filter(action="welcome_sent").count() == 3

    person = letters[0].case.resident
    timeline = person_timeline(user=clerk, resident=person)
    titles = [entry.title for entry in timeline.entries]
    number = welcome.get(case=letters[0].case).number
    assert f"加入のお知らせ {number} を作成" in titles and f"加入のお知らせ {number} を送付" in titles


def _sent_withdrawal(municipality, clerk) -> Letter:
    letter = queue_withdrawal_letter(municipality)
    Letter.objects.filter(pk=letter.pk).update(status="printed", issue_date=date(2026, 10, 1))
    services.letters_mark_sent(
        letters=Letter.objects.filter(pk=letter.pk), sent_on=date(2026, 10, 1), user=clerk
    )
    letter.refresh_from_db()
    return letter


def test_a_returned_reply_form_closes_the_withdrawal_case(municipality, clerk):
    from enrollment.cases.letters import ReplyRefused, reply_form_record

    letter = _sent_withdrawal(municipality, clerk)
    reply_form_record(letter=letter, user=clerk, received_on=date(2026, 10, 20), insurer="全国健康保険協会 東京支部",
                      acquired_on=date(2026, 9, 1), insurance_number="1234・56")  # fmt: skip
    letter.refresh_from_db()
    case = letter.case
    assert (case.state, case.response, case.close_reason) == (CaseState.CLOSED, "withdrew", "response")
    assert letter.reply_received_on == date(2026, 10, 20)
    assert (
        letter.reply["insurer"] == "全国健康保険協会 東京支部" and letter.reply["acquired_on"] == "2026-09-01"
    )
    assert not Letter.objects.filter(kind="welcome").exists()
    with pytest.raises(ReplyRefused, match="受け付けています"):
        reply_form_record(letter=letter, user=clerk, received_on=date(2026, 10, 21), insurer="x",
                          acquired_on=date(2026, 9, 1))  # fmt: skip
    enrollment = queue_letters(municipality, PEOPLE[:1])[0]
    with pytest.raises(ReplyRefused, match="資格喪失届の勧奨"):
        reply_form_record(letter=enrollment, user=clerk, received_on=date(2026, 10, 21), insurer="x",
                          acquired_on=date(2026, 9, 1))  # fmt: skip


def test_a_clerk_records_a_reply_form_through_the_pages(municipality, clerk):
    letter = _sent_withdrawal(municipality, clerk)
    client = signed_in(clerk)
    detail = client.get(reverse("letter-detail", args=[letter.pk])).content.decode()
    form_url = reverse("case-reply", args=[letter.case_id, letter.pk])
    assert form_url in detail
    assert form_url in client.get(reverse("case-detail", args=[letter.case_id])).content.decode()

    values = {"received_on": "2026-10-20", "insurer": "全国健康保険協会 東京支部", "insurance_number": "",
              "acquired_on": "2026-11-01", "employer": "", "signed": "on", "enclosure": "on"}  # fmt: skip
    refused = client.post(form_url, values)  # joined after the form arrived: refused on the form
    assert refused.status_code == 200 and "受付日より後" in refused.content.decode()
    assert "全国健康保険協会 東京支部" in refused.content.decode()  # the values are kept
    unsigned = client.post(form_url, {**values, "acquired_on": "2026-09-01", "signed": ""})
    assert "署名のない返信用紙は受け付けられません" in unsigned.content.decode()
    letter.case.refresh_from_db()
    assert letter.case.is_open

    confirm = client.post(form_url, {**values, "acquired_on": "2026-09-01"})
    assert confirm.status_code == 302
    page = client.get(confirm["Location"]).content.decode()
    assert "返信用紙を受け付けてケースを完了にする" in page and "全国健康保険協会 東京支部" in page
    assert letter.case.__class__.objects.get(pk=letter.case_id).is_open  # looking is not acting
    done = client.post(confirm["Location"])
    assert done.status_code == 302
    letter.refresh_from_db()
    assert (
        letter.reply_received_on == date(2026, 10, 20)
        and not letter.case.__class__.objects.get(pk=letter.case_id).is_open
    )
    assert (
        "返信用紙を受け付ける" not in client.get(reverse("letter-detail", args=[letter.pk])).content.decode()
    )


def test_the_letters_page_counts_each_kind_and_language_with_the_reasons_for_holding(
    municipality, clerk, django_capture_on_commit_callbacks
):
    queue_letters(municipality)  # vi, en, id: queued
    queue_letters(municipality, [{**PEOPLE[0], "name": "LE VAN CUONG", "birth_date": date(1997, 3, 3),
                                  "postal_code": ""}])  # fmt: skip
    withdrawal = _sent_withdrawal(municipality, clerk)  # my: printed and sent
    services.letter_record_returned(letter=withdrawal, user=clerk, returned_on=date(2026, 10, 5))
    tallies = {(t.label, t.language): t for t in printing.letter_tallies(user=clerk)}
    vi = tallies["加入勧奨", "日本語とベトナム語"]
    assert (vi.queued, vi.held, vi.printed, vi.returned) == (1, 1, 0, 0)
    assert len(vi.held_reasons) == 1 and "郵便番号" in vi.held_reasons[0][0] and vi.held_reasons[0][1] == 1
    assert (
        tallies["加入勧奨", "日本語と英語"].queued,
        tallies["加入勧奨", "日本語とインドネシア語"].queued,
    ) == (1, 1)
    my = tallies["資格喪失届の勧奨", "日本語とミャンマー語"]
    assert (my.queued, my.printed, my.sent, my.returned) == (0, 1, 0, 1)
    html = signed_in(clerk).get(reverse("letter-list")).content.decode()
    assert "種類と言語ごとの件数" in html and "日本語とミャンマー語" in html and vi.held_reasons[0][0] in html


def test_print_letters_second_writes_one_file_whose_font_subsets_never_clash(municipality, clerk, tmp_path):
    from tests.letters.test_acting_on_letters import font_subsets

    (enrollment,) = queue_letters(municipality, PEOPLE[:1])
    withdrawal = queue_withdrawal_letter(municipality)
    for letter in (enrollment, withdrawal):
        Letter.objects.filter(pk=letter.pk).update(status="printed")
        services.letters_mark_sent(
            letters=Letter.objects.filter(pk=letter.pk), sent_on=date(2026, 10, 1), user=clerk
        )
        case = letter.case
        case.refresh_from_db()
        services.case_queue_second(case=case, user=clerk, today=case.deadline + timedelta(days=1))
    out = tmp_path / "second.pdf"
    call_command("print_letters", "--out", str(out), "--kind", "second", stdout=StringIO())
    subsets = font_subsets(out.read_bytes())
    assert subsets and all(len(programs) == 1 for programs in subsets.values()), subsets


def test_bodies_of_queued_letters_laid_out_ahead_serve_a_first_preview_without_layout(
    municipality, settings, tmp_path, monkeypatch
):
    from enrollment.cases.letters import sender_for
    from enrollment.letters import render as engine
    from enrollment.letters import render_letter
    from enrollment.letters.context import variant_of

    settings.NHI_LETTER_BODY_DIR = tmp_path / "bodies"
    letters = [*queue_letters(municipality), queue_withdrawal_letter(municipality)]
    engine._BODY_CACHE.clear()
    variants = {variant_of(printing.letter_content(letter)) for letter in letters}
    assert printing.letter_bodies_warm(municipality=municipality) == len(variants)
    assert printing.letter_bodies_warm(municipality=municipality) == 0  # all there already

    engine._BODY_CACHE.clear()  # a web process that laid nothing out: only the store is shared

    def refuse(jobs, workers=1):
        assert not list(jobs), "the preview laid a body out"
        return iter(())

    monkeypatch.setattr(engine, "render_jobs", refuse)
    for letter in letters:
        pdf = tmp_path / "preview.pdf"
        pdf.write_bytes(render_letter(printing.letter_content(letter), layout(), sender_for(municipality)))
        assert squash(f"{letter.addressee_name}様") in squash(pdftotext(pdf, 1, 1))
    engine._BODY_CACHE.clear()


def test_a_letter_queued_by_a_clerk_has_its_body_laid_out_before_anyone_previews_it(
    municipality, clerk, settings, tmp_path, django_capture_on_commit_callbacks
):
    """Not only the nightly batch: a second reminder queued during the day asks the letters worker
    (eager here) to lay out its body once the transaction commits, one request per municipality."""
    from django.core.cache import cache

    from enrollment.letters import render as engine
    from enrollment.letters.bodystore import body_store
    from enrollment.letters.context import variant_of

    settings.NHI_LETTER_BODY_DIR = tmp_path / "bodies"
    (letter,) = queue_letters(municipality, PEOPLE[:1])
    Letter.objects.filter(pk=letter.pk).update(status="printed")
    services.letters_mark_sent(
        letters=Letter.objects.filter(pk=letter.pk), sent_on=date(2026, 10, 1), user=clerk
    )
    case = letter.case
    case.refresh_from_db()
    engine._BODY_CACHE.clear()
    cache.clear()  # the setup's letters asked for a warm-up too; their transaction never commits here
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = services.case_queue_second(case=case, user=clerk, today=case.deadline + timedelta(days=1))
    assert len(callbacks) == 1  # one warm-up asked for
    content = printing.letter_content(second)
    assert second.second and variant_of(content).second
    # the body is in the shared store: a web process that laid nothing out finds it there
    assert printing.letter_bodies_warm(municipality=municipality) == 0
    assert any(body_store().directory.glob("*.json")), "nothing was laid out ahead"
    engine._BODY_CACHE.clear()
