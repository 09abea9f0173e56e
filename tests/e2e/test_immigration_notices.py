"""A notice to the regional immigration services bureau, in a real browser (headless Debian
chromium) against a live server on PostgreSQL:

1. a clerk opens a draft from a person's page — grounds from the municipality's list, two dated
   facts, a scanned application attached — and asks for approval;
2. a supervisor who wrote a notice of her own is refused its approval before any form;
3. another supervisor reads the register, approves the clerk's notice with the confirmation
   step, and the notice form (PDF) is made, addressed to the bureau;
4. the clerk records the sending (date, how).

The person's ISA record carries a marker that no notice screen may show. Screenshots go to
docs/screenshots/ (20-…); the PDF's first page is drawn with pdftoppm to docs/notice-pdf-page1.png."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from enrollment.models import ImmigrationNotice, NoticeGround, NoticeSettings, NoticeState
from nhi_portal.services import staff_create
from tests.conftest import ensure_roles
from tests.factories import MunicipalityFactory, NhiMembershipFactory, ResidentFactory
from tests.linking.helpers import isa_batch, match

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

PASSWORD = "e2e-pass-2026-koganei"
MARKER = "ISAMARKERQZX"
PDF_PAGE = Path(settings.BASE_DIR) / "docs" / "notice-pdf-page1.png"


def one_time_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


@pytest.fixture
def office(tmp_path):
    ensure_roles()
    city = MunicipalityFactory(department="市民部 保険年金課 国保係", mayor_title="小金井市長")
    staff = {
        "tanaka": staff_create(username="tanaka", password=PASSWORD, municipality=city, role="clerk",
                               full_name="田中 美咲"),
        "suzuki": staff_create(username="suzuki", password=PASSWORD, municipality=city, role="supervisor",
                               full_name="鈴木 健一"),
        "yamada": staff_create(username="yamada", password=PASSWORD, municipality=city, role="supervisor",
                               full_name="山田 花子"),
    }  # fmt: skip
    devices = {
        name: TOTPDevice.objects.create(user=staff[name], name="認証アプリ", confirmed=True)
        for name in ("suzuki", "yamada")
    }
    bureau = NoticeSettings.objects.create(
        municipality=city,
        bureau_name="東京出入国在留管理局長",
        bureau_section="審査管理部門",
        bureau_postal_code="108-8255",
        bureau_address="東京都港区港南5-5-30",
        sender_title="小金井市長",
    )
    for order, (label, basis) in enumerate(
        [
            ("資格取得から1年以内の高額療養費の支給申請", "平成31年1月7日付保国発0107第1号 記の対象2"),
            ("資格取得から1年以内の出産育児一時金の支給申請", "平成31年1月7日付保国発0107第1号 記の対象4"),
            (
                "その他、医療を受ける目的で在留していることが特に疑われる場合",
                "平成31年1月7日付保国発0107第1号 記の対象5",
            ),
        ],
        start=1,
    ):
        NoticeGround.objects.create(settings=bureau, order=order, label=label, legal_basis=basis)
    people = {}
    for code, name, kana, birth, status in (
        ("55500000011", "TRAN THI HOA", "チャン ティ ホア", date(1996, 8, 3), "経営・管理"),
        ("55500000022", "WANG LEI", "ワン レイ", date(1988, 2, 14), "留学"),
    ):
        people[name] = ResidentFactory(
            municipality=city, resident_code=code, name_alpha=name, name_kana=kana, sex="F",
            birth_date=birth, residence_status=status, residence_period="1年",
            residence_expiry=date(2027, 6, 30), nationality="VN" if name.startswith("TRAN") else "CN",
            address="東京都小金井市本町3丁目4番5号 本町ハイツ202", postal_code="1840004",
        )  # fmt: skip
        NhiMembershipFactory(municipality=city, insured_number=f"3{code[-7:]}", resident_code=code,
                             household_head_code=code, acquired_date=date(2026, 8, 1))  # fmt: skip
    hoa = people["TRAN THI HOA"]
    record = isa_batch(city, [{"name": hoa.name_alpha, "raw_name": f"{hoa.name_alpha} {MARKER}", "sex": "F",
                               "birth_date": hoa.birth_date, "address": hoa.address,
                               "raw_address": f"{MARKER} 東京都小金井市"}])  # fmt: skip
    match(record)
    scan = tmp_path / "kogaku-shinsei.pdf"
    scan.write_bytes(_one_page_pdf())
    return {"city": city, "staff": staff, "devices": devices, "people": people, "scan": scan}


def _one_page_pdf() -> bytes:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def sign_in(browser, username: str, device: TOTPDevice | None = None) -> None:
    browser.driver.delete_all_cookies()
    browser.open("/")
    assert browser.path.startswith(reverse("login"))
    browser.fill("#id_username", username)
    browser.fill("#id_password", PASSWORD)
    browser.click("button[type=submit]", "ログイン")
    if device is not None:
        assert browser.path.startswith(reverse("otp-verify"))
        browser.fill("#id_code", one_time_code(device))
        browser.click("form.card button", "確認する")
    assert browser.path == reverse("dashboard")


def no_marker(browser) -> None:
    assert MARKER not in browser.driver.page_source, browser.path


def draft(browser, person, *, facts, attach=None) -> ImmigrationNotice:
    browser.open(reverse("person-detail", args=[person.pk]))
    browser.click("section[aria-labelledby=notices-h] a", "通知の下書きを作る")
    assert browser.path == reverse("notice-create", args=[person.pk])
    no_marker(browser)
    browser.click("#id_grounds_0", loads=False)
    for n, (day, text) in enumerate(facts):
        browser.fill_date(f"#id_facts-{n}-occurred_on", day)
        browser.fill(f"#id_facts-{n}-description", text)
    if attach:
        browser.fill("#id_document_title_1", "高額療養費支給申請書の写し")
        browser.find("#id_document_file_1").send_keys(str(attach))
    return browser


def test_a_notice_goes_from_draft_through_approval_to_the_bureau(browser, office):
    hoa, wang = office["people"]["TRAN THI HOA"], office["people"]["WANG LEI"]
    today = timezone.localdate()

    # 1. The clerk writes the draft from the person's page and asks for approval.
    sign_in(browser, "tanaka")
    draft(
        browser,
        hoa,
        facts=[
            (date(2026, 10, 20), "高額療養費の支給申請を受け付けた（資格取得の2か月半後、入院費用）。"),
            (date(2026, 11, 5), "窓口で勤務先を尋ねたが、答えなかった。"),
        ],
        attach=office["scan"],
    )
    browser.fill("#id_employment", "申請書に勤務先の記載なし。窓口でも答えなかった。")
    browser.screen("40-notice-draft-form")
    browser.click("form.form button[type=submit]", "下書きを作る")
    notice = ImmigrationNotice.objects.get(resident=hoa)
    assert browser.path == reverse("notice-detail", args=[notice.pk])
    assert "下書き" in browser.text("h1") and "高額療養費支給申請書の写し" in browser.text()
    no_marker(browser)
    browser.screen("41-notice-draft")
    browser.click("section[aria-labelledby=actions-h] a", "承認を依頼する")
    assert "承認を依頼する前に確認してください" in browser.text()
    browser.screen("42-notice-submit-confirm")
    browser.click(".confirm-panel button", "承認を依頼する")
    assert "承認を依頼しました" in browser.text(".messages")

    # 2. A supervisor's own notice: she may not approve it — told before any form.
    sign_in(browser, "yamada", office["devices"]["yamada"])
    draft(
        browser,
        wang,
        facts=[(date(2026, 11, 10), "出産育児一時金の支給申請を受け付けた（資格取得の3か月後）。")],
    )
    browser.click("form.form button[type=submit]", "下書きを作る")
    own = ImmigrationNotice.objects.get(resident=wang)
    browser.click("section[aria-labelledby=actions-h] a", "承認を依頼する")
    browser.click(".confirm-panel button", "承認を依頼する")
    assert "別の監督者" in browser.text("section[aria-labelledby=actions-h]")
    browser.open(reverse("notice-approve", args=[own.pk]))
    assert "承認することはできません" in browser.text("h1") and "別の監督者" in browser.text(".error-summary")
    assert not browser.driver.find_elements("css selector", "input[name=checked]")
    browser.screen("43-notice-four-eyes")

    # 3. Another supervisor reads the register and approves the clerk's notice.
    sign_in(browser, "suzuki", office["devices"]["suzuki"])
    browser.click(".site-nav a", "入管通知")
    assert notice.number in browser.text("tbody") and own.number in browser.text("tbody")
    no_marker(browser)
    browser.screen("44-notice-register")
    browser.click("tbody a", notice.number)
    browser.click("section[aria-labelledby=actions-h] a", "承認する")
    browser.click("form.form button", "内容を確認する")  # without the tick: refused, nothing done
    assert "チェックを入れてください" in browser.text(".error-summary")
    browser.click("#id_checked", loads=False)
    browser.fill("#id_note", "申請書の写しと聞き取りの記録を確認。")
    browser.screen("45-notice-approve")
    browser.click("form.form button", "内容を確認する")
    assert "通知を承認する前に確認してください" in browser.text()
    browser.screen("46-notice-approve-confirm")
    browser.click(".confirm-panel button", "承認して通知書を作る")
    assert "承認しました" in browser.text(".messages")
    notice.refresh_from_db()
    assert notice.state == NoticeState.APPROVED and notice.approved_by.username == "suzuki"

    # The notice form, as the bureau will read it.
    link = browser.find("a", "通知書（PDF）を開く").get_attribute("href")
    fetched = browser.driver.execute_async_script(
        """const done = arguments[arguments.length - 1];
        fetch(arguments[0]).then(r => done([r.status, r.headers.get('content-type')]));""",
        link,
    )
    assert fetched == [200, "application/pdf"]
    pdf = Path(settings.PRIVATE_STORAGE_DIR) / notice.pdf.name
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "東京出入国在留管理局長" in text and "TRAN THI HOA" in text and MARKER not in text
    PDF_PAGE.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["/usr/bin/pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf),
         str(PDF_PAGE.with_suffix(""))],
        check=True,
    )  # fmt: skip
    browser.screen("47-notice-approved")

    # 4. The clerk records the sending.
    sign_in(browser, "tanaka")
    browser.open(reverse("notice-detail", args=[notice.pk]))
    browser.click("section[aria-labelledby=actions-h] a", "送付を記録する")
    browser.fill_date("#id_sent_on", today)
    browser.click("#id_sent_method_1", loads=False)  # 簡易書留
    browser.fill("#id_note", "簡易書留 番号 123-45-67890-1")
    browser.click("form.form button", "内容を確認する")
    assert "送付を記録する前に確認してください" in browser.text()
    browser.screen("48-notice-sent-confirm")
    browser.click(".confirm-panel button", "送付を記録する")
    assert "送付を記録しました" in browser.text(".messages")
    notice.refresh_from_db()
    assert (notice.state, notice.sent_on, notice.sent_method, notice.sent_by.username) == (
        NoticeState.SENT, today, "registered_mail", "tanaka",
    )  # fmt: skip
    no_marker(browser)
    browser.screen("49-notice-sent")
