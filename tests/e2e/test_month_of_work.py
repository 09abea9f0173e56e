"""A month at the NHI office, in a real browser (headless Debian chromium), against a live server
on PostgreSQL:

1. a clerk signs in, uploads the month's three ISA files (one with a bad row), reads the batch
   report, starts matching and watches the progress bar finish;
2. a supervisor signs in with a one-time code and works the review queue with the keyboard only:
   confirms one record, picks another person for one, marks one not resident;
3. a clerk opens the cases, previews a Vietnamese letter, prints a batch, downloads the PDF, marks
   it sent, records returned mail for one letter, and reads the arrears list;
4. a clerk of another municipality signs in and sees none of it.

Each test starts from the state the steps before it leave, built through the same services
(the data: tests/e2e/office.py). Every page is checked for console errors; every screen saved
(var/screenshots/, or docs/screenshots/ with NHI_UPDATE_SCREENSHOTS=1, listed in its README) is
checked with axe-core first."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from selenium.webdriver.common.keys import Keys

from enrollment.linking import runs
from enrollment.models import (
    CaseState,
    IsaRecord,
    Letter,
    LetterStatus,
    LinkStatus,
    MatchDecision,
    MatchRun,
    PrintBatch,
    ReminderCase,
    Resolution,
)
from nhi_portal.models import BatchStatus, ImportBatch
from tests.e2e.office import (
    BAD_ROW_FILE,
    DUC_AT_ISA_ADDRESS,
    LE_THI_MAI,
    PASSWORD,
    PHAM_VAN_LONG,
    Month,
    Office,
    build_month,
)

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]

# The office and its month ------------------------------------------------------------------


@pytest.fixture(scope="module")
def month(tmp_path_factory) -> Month:
    return build_month(tmp_path_factory.mktemp("month"))


@pytest.fixture
def office(month) -> Office:
    return Office(month)


@pytest.fixture
def held_matching(monkeypatch):
    """Matching chunks wait in a queue until the test runs them, as workers would: the browser
    then sees the progress bar move. (Other tasks stay eager.)"""
    import enrollment.linking.tasks

    queue: list[int] = []

    class HeldTask:
        def delay(self, chunk_id: int) -> None:
            queue.append(chunk_id)

    monkeypatch.setattr(enrollment.linking.tasks, "match_chunk_task", HeldTask())

    class Worker:
        def run_one(self) -> None:
            runs.chunk_execute(queue.pop(0))

        def run_all(self) -> None:
            while queue:
                self.run_one()

    return Worker()


# Signing in ------------------------------------------------------------------------------


def sign_in(browser, username: str) -> None:
    browser.open("/")
    assert browser.path.startswith(reverse("login"))
    browser.fill("#id_username", username)
    browser.fill("#id_password", PASSWORD)
    browser.click("button[type=submit]", "ログイン")


def one_time_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


# 1. The clerk imports the month ----------------------------------------------------------


def test_a_clerk_uploads_the_isa_files_reads_the_report_and_matches(
    browser, office, month, held_matching, monkeypatch
):
    # The month is small: chunks of 5 records, so that the progress bar has steps to show.
    monkeypatch.setattr(runs, "MATCH_CHUNK", 5)
    browser.open("/")
    browser.screen("01-sign-in")
    sign_in(browser, "tanaka")
    assert "田中 美咲" in browser.text(".site-user")

    browser.click(".site-nav a", "取込")
    browser.click(".page-head a", "ファイルを取り込む")
    browser.find("#id_files").send_keys("\n".join(str(path) for path in month.isa.values()))
    browser.screen("02-upload")
    browser.click("form.form button[type=submit]", "取り込む")

    assert browser.path == reverse("batch-list")
    messages = browser.text(".messages")
    for name in (path.name for path in month.isa.values()):
        assert f"「{name}」を受け付けました" in messages
    assert "要確認" in browser.text("tbody")
    browser.screen("03-imports")

    bad = ImportBatch.objects.get(municipality=office.city, source_name=BAD_ROW_FILE)
    assert bad.status == BatchStatus.NEEDS_ATTENTION
    browser.click("tbody a", f"#{bad.pk}")
    report = browser.text()
    assert "確認が必要な行があります" in report
    assert "2000年2月30日は存在しない日付です" in browser.text("#issues-h ~ .table-wrap")
    assert LE_THI_MAI.name in report
    browser.screen("04-batch-report")

    browser.click(".notice button", "確認しました")
    assert "指摘を確認済みにしました" in browser.text(".messages")

    browser.click("section[aria-labelledby=match-h] button", "突合を開始")
    assert "突合を開始しました" in browser.text(".messages")
    run = MatchRun.objects.get(batch=bad)
    # The records in chunks; no chunk builds the register's matching index: its import kept it.
    assert run.chunks_total >= 2 and not run.chunks.filter(kind="index").exists()
    assert "実行中" in browser.text(".job-progress[data-job-finished=false]")
    assert browser.text(".job-progress__percent") == "0%"
    held_matching.run_one()
    browser.wait_until(
        lambda d: browser.text(".job-progress__percent") not in ("0%", "100%"), "the progress bar to move"
    )
    browser.screen("05-matching-progress")
    held_matching.run_all()
    assert "完了" in browser.text(".job-progress[data-job-finished=true]")
    assert browser.text(".job-progress__percent") == "100%"
    browser.text("#live-region", showing="完了")  # what a screen reader hears, once
    browser.click(".job-progress__result a", "最新の結果を表示する")
    run.refresh_from_db()
    assert run.counts["review"] >= 1
    stats = browser.text("section[aria-labelledby=match-h] .stats")
    assert f"要確認\n{run.counts['review']}" in stats
    browser.screen("06-matching-done")
    assert office.decision_of(LE_THI_MAI.name).status == LinkStatus.PENDING_REVIEW


# 2. The supervisor works the review queue, keyboard only ----------------------------------


def test_a_supervisor_signs_in_with_a_code_and_works_the_review_queue_by_keyboard(browser, office):
    office.match_all()
    browser.open("/")
    # The username field has the focus; from here on only keys are pressed.
    with browser.next_page():
        browser.press("suzuki", Keys.TAB, PASSWORD, Keys.ENTER)
    assert browser.path.startswith(reverse("otp-verify"))
    browser.screen("07-two-factor")
    with browser.next_page():
        browser.press(one_time_code(office.device), Keys.ENTER)
    assert browser.path == reverse("dashboard")

    browser.tab_to("審査")
    with browser.next_page():
        browser.press(Keys.ENTER)
    assert browser.path == reverse("review-queue")
    queue = browser.text("tbody")
    for person in (LE_THI_MAI, DUC_AT_ISA_ADDRESS, PHAM_VAN_LONG):
        assert person.name in queue
    browser.screen("08-review-queue")
    browser.tab_to("審査を始める")
    with browser.next_page():
        browser.press(Keys.ENTER)

    to_do = {LE_THI_MAI.name, DUC_AT_ISA_ADDRESS.name, PHAM_VAN_LONG.name}
    for _ in range(MatchDecision.objects.filter(status=LinkStatus.PENDING_REVIEW).count() + 1):
        if not to_do:
            break
        heading = browser.text("h1", showing="審査：ISA記録")
        name = browser.text("section[aria-labelledby=isa-h] dd [lang=en]")
        if name == LE_THI_MAI.name:
            # The birth date could not be read and the address is her previous one; name and sex
            # agree, and the register shows she moved within the city: the same person.
            assert "読めなかった値" in browser.text("section[aria-labelledby=isa-h]")
            browser.screen("09-review-item")
            browser.press("1")  # chooses candidate 1; only the confirm panel's button decides
            panel = browser.text(".confirm-panel--decision", showing="判断を確定する前に確認してください")
            assert office.resident(LE_THI_MAI).resident_code in panel
            browser.press("1", "n", Keys.ENTER)  # stray keys on the panel decide nothing
            assert office.decision_of(LE_THI_MAI.name).status == LinkStatus.PENDING_REVIEW
            browser.screen("09b-review-confirm")
            browser.tab_to("同じ人として確定する")
            browser.press(Keys.ENTER)
        elif name == DUC_AT_ISA_ADDRESS.name:
            # Two residents of that name and birth date: find the one at the ISA address.
            browser.press("s")
            browser.press(DUC_AT_ISA_ADDRESS.name, Keys.ENTER)
            browser.find("#resident-results table")
            browser.settle()
            browser.screen("10-review-choose", around="#search")
            browser.tab_to(f"（{DUC_AT_ISA_ADDRESS.code}）")
            browser.press(Keys.ENTER)
            browser.text(".confirm-panel--decision", showing=DUC_AT_ISA_ADDRESS.code)
            browser.tab_to("同じ人として確定する")
            browser.press(Keys.ENTER)
        elif name == PHAM_VAN_LONG.name:
            # Another birth date and another house: not the resident of that name.
            browser.press("n")
            browser.text(".confirm-panel--decision", showing="「住民でない」")
            browser.tab_to("「住民でない」に確定する")
            browser.press(Keys.ENTER)
        else:
            browser.tab_to("後で審査する")
            browser.press(Keys.ENTER)
        to_do.discard(name)
        # The next record replaces this one (htmx), or the queue comes back when it is empty.
        browser.wait_until(lambda d, before=heading: browser.text("h1") != before, f"the page after {name}")
        browser.settle()
    assert not to_do

    mai, duc, pham = (office.decision_of(p.name) for p in (LE_THI_MAI, DUC_AT_ISA_ADDRESS, PHAM_VAN_LONG))
    assert (mai.status, mai.resolution, mai.linked_resident) == (
        LinkStatus.LINKED,
        Resolution.CONFIRMED,
        office.resident(LE_THI_MAI),
    )
    assert (duc.status, duc.resolution, duc.linked_resident) == (
        LinkStatus.LINKED,
        Resolution.CHOSEN,
        office.resident(DUC_AT_ISA_ADDRESS),
    )
    assert (pham.status, pham.resolution, pham.linked_resident) == (
        LinkStatus.NOT_RESIDENT,
        Resolution.NOT_RESIDENT,
        None,
    )
    assert {d.resolved_by for d in (mai, duc, pham)} == {office.supervisor}


# 3. The clerk works the cases and the letters -----------------------------------------------


@pytest.fixture
def cases_opened(office) -> Office:
    office.match_all()
    office.review_as_the_supervisor_did()
    office.open_cases()
    office.import_receipts()
    return office


def test_a_clerk_previews_a_vietnamese_letter_prints_the_batch_and_records_returned_mail(
    browser, cases_opened
):
    office = cases_opened
    mai = office.resident(LE_THI_MAI)
    case = ReminderCase.objects.get(resident=mai)
    letter = Letter.objects.get(case=case)
    assert (letter.language, letter.status) == ("vi", LetterStatus.QUEUED)
    queued = Letter.objects.filter(municipality=office.city, status=LetterStatus.QUEUED, second=False).count()

    sign_in(browser, "tanaka")
    browser.screen("11-dashboard")

    browser.click(".site-nav a", "ケース")
    assert LE_THI_MAI.name in browser.text("tbody")
    browser.screen("12-case-list")
    browser.click("tbody a", LE_THI_MAI.name)
    assert browser.path == reverse("case-detail", args=[case.pk])
    assert "ベトナム語" in browser.text("section[aria-labelledby=letters-h]")
    browser.click("section[aria-labelledby=letters-h] a", letter.number)
    assert browser.path == reverse("letter-detail", args=[letter.pk])
    assert "ベトナム語" in browser.text(".split__aside")
    preview = browser.driver.execute_async_script(
        """const done = arguments[arguments.length - 1];
        fetch(document.querySelector('iframe.letter-preview').src)
          .then(r => done([r.status, r.headers.get('content-type')]));"""
    )
    assert preview == [200, "application/pdf"]
    browser.wait_for_pdf("iframe.letter-preview")
    browser.screen("13-letter-preview")

    browser.click(".site-nav a", "通知書")
    browser.click("a.button", "印刷用PDFを作る")
    assert f"{queued}通" in browser.text(".confirm-panel")
    browser.screen("14-print-confirm")
    browser.click(".confirm-panel button", "通を印刷用PDFにする")
    assert "の印刷用PDF" in browser.text(".messages") and "ができました" in browser.text(".messages")
    batch = PrintBatch.objects.get(municipality=office.city)
    assert (batch.status, batch.letter_count) == (PrintBatch.Status.READY, queued)
    browser.screen("15-print-batch")

    browser.click("tbody a", "ダウンロード", loads=False)
    pdf = browser.downloaded(".pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    batch.refresh_from_db()
    assert batch.downloads == 1

    browser.click("tbody button", "送付済みにする")
    assert "送付済みにする前に確認してください" in browser.text()
    browser.screen("16-sent-confirm")
    browser.click(".confirm-panel button", "通を送付済みにする")
    assert "送付済みにしました" in browser.text(".messages")
    letter.refresh_from_db()
    assert letter.status == LetterStatus.SENT and letter.deadline is not None

    browser.open(reverse("case-detail", args=[case.pk]))
    browser.click("section[aria-labelledby=letters-h] a", "返戻を記録")
    browser.fill_date("#id_returned_on", timezone.localdate())
    browser.fill("#id_note", "宛所に尋ねあたりません。")
    browser.click("form.form button", "内容を確認する")
    browser.click(".confirm-panel button")
    assert f"通知書 {letter.number} の返戻を記録しました" in browser.text(".messages")
    letter.refresh_from_db()
    case.refresh_from_db()
    assert letter.status == LetterStatus.RETURNED
    assert case.state == CaseState.ADDRESS_UNKNOWN
    browser.screen("17-returned-mail")

    browser.click(".site-nav a", "滞納")
    assert "世帯" in browser.text()
    browser.screen("18-arrears")


# 4. The clerk of another municipality ------------------------------------------------------


def test_a_clerk_of_another_municipality_sees_none_of_it(browser, cases_opened):
    office = cases_opened
    batch = ImportBatch.objects.filter(municipality=office.city, kind="isa").first()
    case = ReminderCase.objects.filter(municipality=office.city).first()
    letter = Letter.objects.filter(municipality=office.city).first()
    record = IsaRecord.objects.filter(municipality=office.city).first()
    assert batch and case and letter and record

    sign_in(browser, "sato")
    assert "千代田区" in browser.text(".site-user")
    secrets = [office.month.isa[1].name, BAD_ROW_FILE, LE_THI_MAI.name, DUC_AT_ISA_ADDRESS.name, "小金井"]
    for nav in ("ダッシュボード", "取込", "ケース", "通知書", "滞納"):
        browser.click(".site-nav a", nav)
        shown = browser.text("main")
        assert not [s for s in secrets if s in shown], (nav, shown[:500])
        if nav == "ケース":
            assert "ケースはまだありません。" in shown
            browser.screen("19-other-municipality")
    assert "審査" not in browser.text(".site-nav")

    for path in (
        reverse("batch-detail", args=[batch.pk]),
        reverse("case-detail", args=[case.pk]),
        reverse("letter-detail", args=[letter.pk]),
        reverse("letter-preview", args=[letter.pk]),
        reverse("isa-record", args=[record.pk]),
        reverse("person-detail", args=[case.resident_id]),
        reverse("job-detail", args=[batch.job_id]),
    ):
        assert browser.status_of(path) == 404, path
