"""The notice pages, the PDF, the register, its CSV and the API: what a clerk, a supervisor and
an auditor see, what another municipality's clerk does not, the access-log purpose — and that no
ISA-record field reaches any of them (a MARKER planted in the person's ISA records)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from enrollment.models import ImmigrationNotice, NoticeState
from nhi_portal.audit import Purpose
from nhi_portal.models import AccessLog
from tests.conftest import _persona, signed_in
from tests.notices.conftest import MARKER, MARKER_DATE

pytestmark = pytest.mark.django_db

PDF_DOC = b"%PDF-1.4\n% scanned application\n%%EOF\n"


def draft_post(settings_row, **extra) -> dict:
    ground = settings_row.grounds.order_by("order").first()
    data = {
        "grounds": [ground.pk],
        "facts-TOTAL_FORMS": "3",
        "facts-INITIAL_FORMS": "0",
        "facts-0-occurred_on": "2026-10-20",
        "facts-0-description": "高額療養費の支給申請を受け付けた（資格取得の2か月半後、入院費用）。",
        "facts-1-occurred_on": "2026-11-05",
        "facts-1-description": "窓口で勤務先を尋ねたが、答えなかった。",
        "facts-2-occurred_on": "",
        "facts-2-description": "",
        "employment": "勤務先の記載なし",
        "schooling": "",
        "summary": "",
        "document_title_1": "高額療養費支給申請書の写し",
        "document_title_2": "",
        "document_title_3": "",
    }
    data.update(extra)
    return data


def create_by_page(client, person, settings_row, **extra):
    data = draft_post(settings_row, **extra)
    data["document_file_1"] = SimpleUploadedFile("application.pdf", PDF_DOC, content_type="application/pdf")
    return client.post(reverse("notice-create", args=[person.pk]), data)


def act(client, notice, action, data=None):
    """The action's form, then its confirm page, then the button."""
    form = client.post(reverse(f"notice-{action}", args=[notice.pk]), data or {})
    assert form.status_code == 302, form.content.decode()[:2000]
    page = client.get(reverse(f"notice-{action}-confirm", args=[notice.pk]))
    assert page.status_code == 200
    return page, client.post(reverse(f"notice-{action}-confirm", args=[notice.pk]))


@pytest.fixture
def second_supervisor(municipality):
    return _persona("supervisor", municipality, "supervisor2")


@pytest.fixture
def walked(notice_settings, person, isa_marked, clerk_client, supervisor_client):
    """A notice walked through the pages: drafted by the clerk, approved by a supervisor, sent.
    Every page's HTML (and the PDF) collected on the way."""
    seen: dict[str, bytes] = {}
    seen["form"] = clerk_client.get(reverse("notice-create", args=[person.pk])).content
    response = create_by_page(clerk_client, person, notice_settings)
    assert response.status_code == 302
    notice = ImmigrationNotice.objects.get(resident=person)
    seen["detail"] = clerk_client.get(reverse("notice-detail", args=[notice.pk])).content
    seen["edit"] = clerk_client.get(reverse("notice-edit", args=[notice.pk])).content
    page, done = act(clerk_client, notice, "submit")
    seen["submit-confirm"] = page.content
    assert done.status_code == 302
    seen["approve-form"] = supervisor_client.get(reverse("notice-approve", args=[notice.pk])).content
    page, done = act(supervisor_client, notice, "approve", {"checked": "on", "note": "確認済み"})
    seen["approve-confirm"] = page.content
    assert done.status_code == 302
    today = timezone.localdate()
    page, done = act(
        clerk_client, notice, "sent", {"sent_on": today.isoformat(), "sent_method": "mail", "note": ""}
    )
    seen["sent-confirm"] = page.content
    assert done.status_code == 302
    seen["detail-sent"] = supervisor_client.get(reverse("notice-detail", args=[notice.pk])).content
    seen["register"] = supervisor_client.get(reverse("notice-register")).content
    seen["csv"] = supervisor_client.get(reverse("notice-register-csv")).content
    seen["supervisor"] = supervisor_client.get(reverse("supervisor-overview")).content
    seen["api"] = supervisor_client.get(reverse("api-immigration-notice-list")).content
    pdf = supervisor_client.get(reverse("notice-pdf", args=[notice.pk]))
    seen["pdf"] = b"".join(pdf.streaming_content)
    notice.refresh_from_db()
    return notice, seen


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_draft_approval_pdf_and_sending_through_the_pages(walked, person, clerk, supervisor):
    notice, seen = walked
    assert notice.state == NoticeState.SENT
    assert (notice.created_by, notice.approved_by, notice.sent_by) == (clerk, supervisor, clerk)
    assert notice.documents.get().title == "高額療養費支給申請書の写し"
    assert notice.facts.count() == 2
    text = pdf_text(seen["pdf"])
    for expected in ("東京出入国在留管理局長", "TRAN THI HOA", "経営・管理", "2027年6月30日", "2026年8月1日",
                     "資格取得から1年以内の高額療養費の支給申請", "平成31年1月7日付保国発0107第1号",
                     "高額療養費の支給申請を受け付けた", "高額療養費支給申請書の写し"):  # fmt: skip
        assert expected in text, expected


def test_no_isa_record_field_reaches_a_notice_page_the_pdf_the_csv_or_the_api(
    walked, person, isa_marked, clerk_client
):
    _notice, seen = walked
    # The control: the marks are there to be found — the enrollment pages show them.
    assert (
        f"{MARKER_DATE:%Y-%m-%d}"
        in clerk_client.get(reverse("person-detail", args=[person.pk])).content.decode()
    )
    assert MARKER in clerk_client.get(reverse("isa-record", args=[isa_marked.pk])).content.decode()
    for name, content in seen.items():
        text = pdf_text(content) if name == "pdf" else content.decode("utf-8-sig")
        assert MARKER not in text, name
        assert f"{MARKER_DATE:%Y-%m-%d}" not in text and f"{MARKER_DATE:%Y年%-m月%-d日}" not in text, name


def test_every_read_is_logged_with_the_notice_purpose(walked, person, clerk, supervisor):
    notice, _seen = walked
    entries = AccessLog.objects.filter(path__contains="/notices/")
    assert entries.count() >= 10
    assert set(entries.values_list("purpose", flat=True)) == {Purpose.IMMIGRATION_NOTICE}
    pdf = AccessLog.objects.get(action="notice_pdf")
    assert (
        pdf.object_ids == [person.pk] and pdf.content_sha256 == notice.pdf_sha256 and pdf.user == supervisor
    )
    assert AccessLog.objects.filter(action="notice_document").count() == 0  # not opened yet
    api = AccessLog.objects.get(action="api_list", object_type="immigration_notice")
    assert api.purpose == Purpose.IMMIGRATION_NOTICE and api.object_ids == [notice.pk]


def test_the_writer_is_refused_approval_before_any_form(notice_settings, person, supervisor_client):
    response = create_by_page(supervisor_client, person, notice_settings)
    notice = ImmigrationNotice.objects.get(resident=person)
    act(supervisor_client, notice, "submit")
    detail = supervisor_client.get(reverse("notice-detail", args=[notice.pk])).content.decode()
    assert "別の監督者" in detail  # shown beside the disabled button
    for url in (
        reverse("notice-approve", args=[notice.pk]),
        reverse("notice-approve-confirm", args=[notice.pk]),
    ):
        page = supervisor_client.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert "別の監督者" in html and 'name="checked"' not in html and "承認して通知書を作る" not in html
    assert (
        supervisor_client.post(reverse("notice-approve", args=[notice.pk]), {"checked": "on"}).status_code
        == 409
    )
    notice.refresh_from_db()
    assert notice.state == NoticeState.SUBMITTED and response.status_code == 302


def test_approval_needs_the_confirmation_step(notice_settings, person, clerk_client, supervisor_client):
    create_by_page(clerk_client, person, notice_settings)
    notice = ImmigrationNotice.objects.get(resident=person)
    act(clerk_client, notice, "submit")
    form = supervisor_client.post(reverse("notice-approve", args=[notice.pk]), {})
    assert form.status_code == 200 and "チェックを入れてください" in form.content.decode()
    supervisor_client.post(reverse("notice-approve", args=[notice.pk]), {"checked": "on"})
    notice.refresh_from_db()
    assert notice.state == NoticeState.SUBMITTED  # the form alone approves nothing


def test_a_bad_draft_keeps_what_was_typed(notice_settings, person, clerk_client):
    data = draft_post(notice_settings, **{"facts-0-occurred_on": "2099-01-01"})
    data["document_file_1"] = SimpleUploadedFile(
        "scan.docx", b"PK\x03\x04", content_type="application/msword"
    )
    response = clerk_client.post(reverse("notice-create", args=[person.pk]), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "未来の日付は入れられません" in html and "PDF・JPEG・PNG" in html
    assert "窓口で勤務先を尋ねたが、答えなかった。" in html and "勤務先の記載なし" in html
    assert "もう一度選んでください" in html
    assert not ImmigrationNotice.objects.exists()


def test_the_refusal_is_on_the_form_page_before_anything_is_typed(person, clerk_client):
    html = clerk_client.get(reverse("notice-create", args=[person.pk])).content.decode()
    assert "管理者に設定を依頼してください" in html and 'name="grounds"' not in html


def test_the_person_page_offers_the_draft_and_lists_the_notices(walked, person, clerk_client):
    notice, _ = walked
    html = clerk_client.get(reverse("person-detail", args=[person.pk])).content.decode()
    assert reverse("notice-detail", args=[notice.pk]) in html
    assert AccessLog.objects.filter(action="person_notices", purpose=Purpose.IMMIGRATION_NOTICE).exists()


def test_the_register_filters_by_year_state_and_ground(walked, notice_settings, supervisor_client, auditor):
    notice, _ = walked
    other_ground = notice_settings.grounds.order_by("order").last()
    url = reverse("notice-register")
    assert (
        notice.number
        in supervisor_client.get(url, {"year": notice.fiscal_year, "state": "sent"}).content.decode()
    )
    assert notice.number not in supervisor_client.get(url, {"state": "draft"}).content.decode()
    assert notice.number not in supervisor_client.get(url, {"ground": other_ground.pk}).content.decode()
    auditor_client = signed_in(auditor)
    assert notice.number in auditor_client.get(url).content.decode()
    assert auditor_client.get(reverse("notice-detail", args=[notice.pk])).status_code == 200
    assert auditor_client.get(reverse("notice-approve", args=[notice.pk])).status_code == 403


def test_clerks_do_not_read_the_register(clerk_client):
    assert clerk_client.get(reverse("notice-register")).status_code == 403


def test_the_supervisor_page_counts_notices_per_year(walked, supervisor_client):
    notice, seen = walked
    html = seen["supervisor"].decode()
    assert f"{notice.fiscal_year}年度" in html and "入管への通知の件数" in html


def test_another_municipality_sees_nothing(walked, other_clerk, other_municipality, person):
    notice, _ = walked
    other = signed_in(other_clerk)
    other_supervisor = signed_in(_persona("supervisor", other_municipality, "other_supervisor"))
    document = notice.documents.get()
    for client in (other, other_supervisor):
        for url in (
            reverse("notice-detail", args=[notice.pk]),
            reverse("notice-edit", args=[notice.pk]),
            reverse("notice-pdf", args=[notice.pk]),
            reverse("notice-document", args=[document.pk]),
            reverse("notice-create", args=[person.pk]),
            reverse("notice-withdraw", args=[notice.pk]),
        ):
            assert client.get(url).status_code == 404, url
    register = other_supervisor.get(reverse("notice-register")).content.decode()
    assert notice.number not in register and "TRAN THI HOA" not in register
    csv_text = other_supervisor.get(reverse("notice-register-csv")).content.decode("utf-8-sig")
    assert person.resident_code not in csv_text and len(csv_text.strip().splitlines()) == 1
    api = other_supervisor.get(reverse("api-immigration-notice-list")).json()
    assert api["results"] == [] if isinstance(api, dict) else api == []
    assert other_supervisor.get(reverse("api-immigration-notice-detail", args=[notice.pk])).status_code == 404
    assert "入管への通知の件数" in other_supervisor.get(reverse("supervisor-overview")).content.decode()
    assert (
        f"{notice.fiscal_year}年度"
        not in other_supervisor.get(reverse("supervisor-overview")).content.decode()
    )


def test_a_withdrawn_draft_shows_its_reason(notice_settings, person, clerk_client):
    create_by_page(clerk_client, person, notice_settings)
    notice = ImmigrationNotice.objects.get(resident=person)
    act(clerk_client, notice, "withdraw", {"reason": "本人が在職証明書を提出した"})
    notice.refresh_from_db()
    assert notice.state == NoticeState.WITHDRAWN
    html = clerk_client.get(reverse("notice-detail", args=[notice.pk])).content.decode()
    assert "本人が在職証明書を提出した" in html and "取下げ" in html


def test_an_attached_document_downloads_and_is_logged(walked, supervisor_client):
    notice, _ = walked
    document = notice.documents.get()
    response = supervisor_client.get(reverse("notice-document", args=[document.pk]))
    assert b"".join(response.streaming_content) == PDF_DOC
    assert "attachment" in response["Content-Disposition"]
    entry = AccessLog.objects.get(action="notice_document")
    assert entry.content_sha256 == document.sha256 and entry.purpose == Purpose.IMMIGRATION_NOTICE


def test_fiscal_year_is_april_to_march():
    from enrollment.notices.selectors import fiscal_year_of

    assert fiscal_year_of(date(2027, 3, 31)) == 2026 and fiscal_year_of(date(2027, 4, 1)) == 2027


def test_the_clerk_finds_open_notices_in_the_work_list(notice_settings, person, clerk_client, other_clerk):
    create_by_page(clerk_client, person, notice_settings)
    notice = ImmigrationNotice.objects.get(resident=person)
    html = clerk_client.get(reverse("notice-work")).content.decode()
    assert notice.number in html and "下書き（1件）" in html
    assert AccessLog.objects.filter(action="list_open_notices", purpose=Purpose.IMMIGRATION_NOTICE).exists()
    assert notice.number not in signed_in(other_clerk).get(reverse("notice-work")).content.decode()


def test_editing_a_draft_changes_facts_and_removes_a_document(
    notice_settings, person, clerk_client, settings, django_capture_on_commit_callbacks
):
    from pathlib import Path

    create_by_page(clerk_client, person, notice_settings)
    notice = ImmigrationNotice.objects.get(resident=person)
    document = notice.documents.get()
    stored = Path(settings.PRIVATE_STORAGE_DIR) / document.file.name
    assert stored.exists()
    data = draft_post(
        notice_settings,
        **{"facts-1-occurred_on": "", "facts-1-description": "", "remove_document": [str(document.pk)],
           "document_title_1": ""},
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = clerk_client.post(reverse("notice-edit", args=[notice.pk]), data)
    assert response.status_code == 302
    assert notice.facts.count() == 1 and not notice.documents.exists()
    assert not stored.exists()  # the stored file went with it
    assert list(notice.events.values_list("action", flat=True)) == ["created", "edited"]


def test_the_register_reads_a_fixed_number_of_queries(
    notice_settings, municipality, clerk, supervisor_client, django_assert_max_num_queries
):
    from enrollment.notices import services
    from tests.factories import NhiMembershipFactory, ResidentFactory
    from tests.notices.conftest import draft_input

    def add(n):
        for _ in range(n):
            resident = ResidentFactory(municipality=municipality)
            NhiMembershipFactory(municipality=municipality, resident_code=resident.resident_code)
            services.notice_create(resident=resident, user=clerk, data=draft_input(notice_settings))

    add(3)
    url = reverse("notice-register")
    supervisor_client.get(url)
    with django_assert_max_num_queries(30) as few:
        supervisor_client.get(url)
    add(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert supervisor_client.get(url).status_code == 200


def test_before_approval_the_pdf_is_a_marked_preview_that_is_not_kept(
    notice_settings, person, isa_marked, clerk_client
):
    create_by_page(clerk_client, person, notice_settings)
    notice = ImmigrationNotice.objects.get(resident=person)
    response = clerk_client.get(reverse("notice-pdf", args=[notice.pk]))
    text = pdf_text(response.content)
    assert "見本（未承認）" in text and "TRAN THI HOA" in text and MARKER not in text
    notice.refresh_from_db()
    assert not notice.pdf
    assert AccessLog.objects.get(action="notice_pdf_preview").purpose == Purpose.IMMIGRATION_NOTICE
