"""Issue 15 in a real browser (headless Debian chromium, live server on PostgreSQL): the pension
lists' month, end to end.

1. A clerk uploads the list of persons who lost category-1/3 pension status (they joined employee
   insurance), matches it, opens the case and prints and sends the withdrawal reminder (③-2); the
   deadline passes, the second reminder goes; the clerk proposes ex officio withdrawal with the
   loss date; a second person — a supervisor — approves it; the supervisor exports it for the
   core system. The person page shows each state, ending with "waiting for the core system".
2. The same for the list of persons who lost category-2 status, to an enrollment reminder (③-1).
3. The other new and changed pages: the linkage settings, the access log searched by a resident
   code, an error page, the admin in Japanese.

Time passing is the only thing done behind the browser's back: the letters' dates are moved back
as if the month had gone by. Screens are saved to docs/screenshots/ and checked with axe-core."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from enrollment.models import CaseKind, CaseState, ExOfficioExport, Letter, ReminderCase
from nhi_portal.models import ImportBatch
from nhi_portal.services import staff_create
from tests.e2e.office import LE_THI_MAI, PASSWORD, PHAM_VAN_LONG, Month, Office, build_month
from tests.e2e.test_month_of_work import one_time_code, sign_in
from tests.factories import NhiMembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]

LOST_ON = date(2026, 10, 1)  # the day the pension list says the category changed


@pytest.fixture(scope="module")
def month(tmp_path_factory) -> Month:
    return build_month(tmp_path_factory.mktemp("pension_month"))


@pytest.fixture
def office(month) -> Office:
    return Office(month)


def pension_list(folder: Path, name: str, person, lost_on: date) -> Path:
    """The list as the office keys it from the Japan Pension Service's paper: CP932, CRLF."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["氏名（英字）", "性別", "生年月日", "住所", "資格喪失年月日"])
    writer.writerow([person.name, "男" if person.sex == 1 else "女", f"{person.birth_date:%Y/%m/%d}",
                     person.address, f"{lost_on:%Y/%m/%d}"])  # fmt: skip
    path = folder / name
    path.write_bytes(out.getvalue().encode("cp932"))
    return path


def sign_in_with_code(browser, username: str, device: TOTPDevice) -> None:
    sign_in(browser, username)
    assert browser.path.startswith(reverse("otp-verify"))
    with browser.next_page():
        browser.press(one_time_code(device), Keys.ENTER)


def sign_out(browser) -> None:
    browser.driver.delete_all_cookies()


def upload_and_match(browser, path: Path, kind: str, *, screen: str = "") -> ImportBatch:
    """The clerk's month: upload the list, match it, and take it into cases — from the batch page."""
    browser.click(".site-nav a", "取込")
    browser.click(".page-head a", "ファイルを取り込む")
    Select(browser.find("#id_kind")).select_by_value(kind)
    browser.find("#id_files").send_keys(str(path))
    if screen:
        browser.screen(screen)
    browser.click("form.form button[type=submit]", "取り込む")
    batch = ImportBatch.objects.get(kind=kind, source_name=path.name)
    assert browser.path == reverse("batch-detail", args=[batch.pk])
    browser.text("main", showing="住民記録との突合")
    browser.click("section[aria-labelledby=match-h] button", "突合を開始")
    for _ in range(20):  # the workers (eager here) may still be at it: the page says when it is done
        if "次にすること" in browser.text("main"):
            break
        browser.open(reverse("batch-detail", args=[batch.pk]))
    assert "まだケースになっていません" in browser.text("section[aria-labelledby=batch-cases-h]")
    return batch


def print_and_send(browser) -> None:
    browser.click(".site-nav a", "通知書")
    browser.click("a.button", "印刷用PDFを作る")
    browser.click(".confirm-panel button", "通を印刷用PDFにする")
    assert "ができました" in browser.text(".messages")
    browser.click("tbody button", "送付済みにする")
    browser.click(".confirm-panel button", "通を送付済みにする")
    assert "送付済みにしました" in browser.text(".messages")


def time_passes(case: ReminderCase, days: int) -> None:
    """The month goes by: every date of the case's letters, and its deadline, move back."""
    for letter in Letter.objects.filter(case=case):
        for name in ("issue_date", "sent_on", "deadline"):
            if getattr(letter, name):
                setattr(letter, name, getattr(letter, name) - timedelta(days=days))
        letter.save(update_fields=["issue_date", "sent_on", "deadline"])
    ReminderCase.objects.filter(pk=case.pk).update(deadline=case.deadline - timedelta(days=days))
    case.refresh_from_db()


def person_shows(browser, person_url: str, state: str) -> str:
    browser.open(person_url)
    text = browser.text("main")
    assert state in text, (state, text[:1500])
    return text


# 1. Category 1/3 lost → withdrawal reminder → ex officio → exported ---------------------------------


def test_a_cat13_pension_list_ends_in_an_exported_ex_officio_withdrawal(browser, office, tmp_path):
    pham = office.resident(PHAM_VAN_LONG)
    NhiMembershipFactory(
        municipality=office.city,
        resident_code=pham.resident_code,
        household_head_code=pham.resident_code,
        acquired_date=date(2025, 4, 1),
    )
    person_url = reverse("person-detail", args=[pham.pk])
    path = pension_list(tmp_path, "nenkin_dai1go3go_soshitsu.csv", PHAM_VAN_LONG, LOST_ON)

    sign_in(browser, "tanaka")
    batch = upload_and_match(browser, path, "pension_cat13_lost", screen="20-upload-pension-list")
    assert "資格喪失届の勧奨" in browser.text("section[aria-labelledby=match-h]")
    browser.screen("21-pension-list-matched", around="#match-h")
    browser.click("section[aria-labelledby=batch-cases-h] button", "ケースを作成する")
    assert f"取込番号 {batch.pk}：ケースを1件作成" in browser.text(".messages")
    case = ReminderCase.objects.get(resident=pham)
    assert (case.kind, case.source) == (CaseKind.WITHDRAWAL, "pension_cat13")
    person_shows(browser, person_url, "勧奨通知 印刷待ち")

    print_and_send(browser)
    case.refresh_from_db()
    assert case.state == CaseState.LETTER_SENT
    person_shows(browser, person_url, "勧奨通知 送付済み（回答待ち）")
    browser.screen("22-person-withdrawal-reminder-sent")

    # The deadline passes without a reply: the second reminder, which says ex officio may follow.
    time_passes(case, 45)
    browser.open(reverse("case-detail", args=[case.pk]))
    browser.click("a.button", "再勧奨の通知書を準備する")
    browser.click(".confirm-panel button", "再勧奨の通知書を印刷待ちにする")
    assert "を印刷待ちにしました" in browser.text(".messages")
    print_and_send(browser)
    person_shows(browser, person_url, "再勧奨 送付済み（回答待ち）")
    time_passes(case, 30)

    # The clerk proposes ex officio withdrawal; the loss date comes from the pension list.
    browser.open(reverse("case-detail", args=[case.pk]))
    assert browser.find("#propose_loss_date").get_attribute("value") == LOST_ON.isoformat()
    browser.fill("#propose_note", "年金WMで第2号被保険者を確認。回答なし。")
    browser.click("form[action$='/propose/'] button", "内容を確認する")
    assert "資格喪失年月日" in browser.text(".confirm-panel") and LOST_ON.isoformat() in browser.text(
        ".confirm-panel"
    )
    browser.screen("23-ex-officio-propose-confirm")
    browser.click(".confirm-panel button", "職権喪失を提案する")
    assert "職権喪失を提案しました" in browser.text(".messages")
    person_shows(browser, person_url, "職権喪失 承認待ち")
    sign_out(browser)

    # Another person, a supervisor, approves it, then exports it for the core system.
    sign_in_with_code(browser, "suzuki", office.device)
    browser.open(reverse("case-detail", args=[case.pk]))
    browser.fill("#approve_reason", "年金WMで第2号被保険者を確認。期限までに届出なし。")
    browser.click("form[action$='/approve/'] button", "内容を確認する")
    panel = browser.text(".confirm-panel")
    assert "田中 美咲" in panel and LOST_ON.isoformat() in panel
    assert not browser.driver.find_elements("css selector", ".confirm-panel [data-shortcut]")
    browser.screen("24-ex-officio-approve-confirm")
    browser.click(".confirm-panel button", "職権喪失を承認する")
    assert "職権喪失を承認しました" in browser.text(".messages")
    person_shows(browser, person_url, "職権喪失 承認済み（基幹系へ出力待ち）")

    browser.open(reverse("ex-officio"))
    browser.click("a.button", "件を出力する前に確認する")
    browser.screen("25-ex-officio-export-confirm")
    browser.click(".confirm-panel button", "CSVに出力してケースを完了にする")
    assert "職権喪失 1件を出力しました" in browser.text(".messages")
    export = ExOfficioExport.objects.get(municipality=office.city)
    rows = list(csv.DictReader(io.StringIO(export.file.open("rb").read().decode("utf-8-sig"))))
    assert [(r["resident_code"], r["loss_date"], r["approved_by"]) for r in rows] == [
        (pham.resident_code, LOST_ON.isoformat(), "鈴木 健一")
    ]
    text = person_shows(browser, person_url, "職権喪失 基幹系の処理待ち")
    assert "加入中" not in text.split("国保", 1)[1].split("\n", 2)[1]
    browser.screen("26-person-waiting-for-core-system")


# 2. Category 2 lost → enrollment reminder ------------------------------------------------------------


def test_a_cat2_pension_list_ends_in_an_enrollment_reminder(browser, office, tmp_path):
    mai = office.resident(LE_THI_MAI)
    person_url = reverse("person-detail", args=[mai.pk])
    path = pension_list(tmp_path, "nenkin_dai2go_soshitsu.csv", LE_THI_MAI, LOST_ON)

    sign_in(browser, "tanaka")
    upload_and_match(browser, path, "pension_cat2_lost")
    assert "加入勧奨" in browser.text("section[aria-labelledby=match-h]")
    browser.click("section[aria-labelledby=batch-cases-h] button", "ケースを作成する")
    case = ReminderCase.objects.get(resident=mai)
    assert (case.kind, case.source, case.lost_employee_insurance) == (
        CaseKind.ENROLLMENT,
        "pension_cat2",
        True,
    )
    person_shows(browser, person_url, "勧奨通知 印刷待ち")
    print_and_send(browser)
    text = person_shows(browser, person_url, "勧奨通知 送付済み（回答待ち）")
    assert "加入勧奨" in text
    browser.screen("27-person-enrollment-reminder-sent")

    # The dashboard's funnel counts the list.
    browser.open(reverse("dashboard"))
    table = browser.text("#funnel-pension-h + p + .table-wrap")
    assert "第2号被保険者資格喪失者一覧" in table
    browser.screen("28-dashboard-pension-funnel", around="#funnel-pension-h")


# 3. The other new and changed pages ------------------------------------------------------------------


def test_the_settings_the_access_log_by_person_the_error_page_and_the_admin(browser, office):
    pham = office.resident(PHAM_VAN_LONG)
    sign_in(browser, "tanaka")
    browser.open(reverse("person-detail", args=[pham.pk]))  # a read the auditor will find
    browser.driver.get(browser.base_url + "/cases/999999/")
    logged = [e["message"] for e in browser.driver.get_log("browser") if e["level"] == "SEVERE"]
    assert all("status of 404" in line for line in logged), logged  # the refusal itself, nothing else
    browser.settle()
    assert "ページが見つかりません" in browser.text("main") and "ダッシュボードに戻る" in browser.text("main")
    browser.screen("29-not-found")
    sign_out(browser)

    sign_in_with_code(browser, "suzuki", office.device)
    browser.open(reverse("linkage-settings"))
    assert "連携された人に起きること" in browser.text("main")
    assert "未成年（18歳未満）の世帯員\n連携しません" in browser.text("#policy")
    browser.screen("30-linkage-settings")
    sign_out(browser)

    auditor = staff_create(username="yamada", password=PASSWORD, municipality=office.city, role="auditor",
                           full_name="山田 監査")  # fmt: skip
    device = TOTPDevice.objects.create(user=auditor, name="認証アプリ", confirmed=True)
    sign_in_with_code(browser, "yamada", device)
    browser.open(reverse("access-log"))
    browser.fill("#id_resident_code", pham.resident_code)
    browser.click("form.filters button", "絞り込む")
    assert f"住民票コード {pham.resident_code} の人を見た・出力した記録：1件" in browser.text(
        "#person-result"
    )
    row = browser.text("tbody")
    assert "住民の詳細" in row and "田中 美咲" in row and "view_person" not in row
    browser.screen("31-access-log-by-person")
    sign_out(browser)

    admin = staff_create(username="kanri", password=PASSWORD, municipality=office.city, role="administrator",
                         full_name="管理 太郎")  # fmt: skip
    device = TOTPDevice.objects.create(user=admin, name="認証アプリ", confirmed=True)
    sign_in_with_code(browser, "kanri", device)
    browser.open("/admin/")
    text = browser.text("body")
    assert "二要素認証" in text and "TOTP devices" not in text and "Access attempts" not in text
    browser.screenshot("32-admin")  # Django's own admin page: its markup is Django's, not checked by axe here
