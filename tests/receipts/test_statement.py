"""The payment status statement (納付状況証明書): a clerk asks for it, checks the household and
years, issues it; the PDF is in Japanese with era dates, the household's instalments, what is
overdue and what the prepayment covers; it is kept with its hash and every step is logged."""

import hashlib
import io
from datetime import date

import pytest
from django.urls import reverse
from pypdf import PdfReader

from nhi_portal.models import AccessLog
from receipts.models import PaymentStatement
from tests.arrears.builders import ARREARS_HH, PAID_HH, town
from tests.conftest import signed_in
from tests.receipts.helpers import pay

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).replace(" ", "")


def issue(client, resident, *, as_of="2025-11-01", years=("2025",)):
    start = client.post(
        reverse("statement-new"),
        {"resident_code": resident.resident_code, "as_of": as_of, "purpose": "在留期間更新許可申請"},
    )
    assert start.status_code == 302, start.content.decode()[:500]
    confirm = client.get(start["Location"])
    assert confirm.status_code == 200
    return client.post(
        reverse("statement-confirm"),
        {
            "resident": resident.pk,
            "as_of": as_of,
            "purpose": "在留期間更新許可申請",
            "fiscal_years": list(years),
        },
    )


def test_a_clerk_issues_a_statement_for_a_residents_household(municipality, clerk):
    t = town(municipality)
    pay(municipality, PAID_HH, instalment=6, amount=30_000, on=date(2025, 10, 20), channel="prepayment")
    client = signed_in(clerk)
    response = issue(client, t.paid_head)
    statement = PaymentStatement.objects.get()
    assert response["Location"] == reverse("statement-detail", args=[statement.pk])
    assert (statement.issued_by, statement.household_head_code, statement.fiscal_years) == (
        clerk,
        PAID_HH,
        [2025],
    )
    assert statement.number == f"{municipality.lg_code}-S{date.today().year}-000001"
    data = b"".join(client.get(reverse("statement-download", args=[statement.pk])).streaming_content)
    assert data.startswith(b"%PDF") and hashlib.sha256(data).hexdigest() == statement.sha256
    text = pdf_text(data)
    assert "国民健康保険料納付状況証明書" in text
    assert "令和7年度（2025年度）" in text and "令和7年6月30日" in text
    assert "納期限を過ぎた未納はありません" in text
    assert "前納・先払いの充当状況" in text and "第8期" in text
    assert "在留期間更新許可申請" in text and "BUDISANTOSO" in text
    assert AccessLog.objects.filter(
        action="download_payment_statement", content_sha256=statement.sha256
    ).exists()
    assert AccessLog.objects.filter(action="confirm_payment_statement", object_ids=[t.paid_head.pk]).exists()


def test_a_member_in_arrears_gets_the_households_overdue_amounts(municipality, clerk):
    t = town(municipality)
    issue(signed_in(clerk), t.spouse)
    statement = PaymentStatement.objects.get()
    assert statement.household_head_code == ARREARS_HH and statement.resident_code == t.spouse.resident_code
    text = pdf_text(statement.file.open("rb").read())
    assert "50,000円あります" in text and "未納" in text and "TRANTHIBINH" in text


def test_statements_are_numbered_in_order(municipality, clerk):
    t = town(municipality)
    client = signed_in(clerk)
    issue(client, t.head)
    issue(client, t.paid_head)
    assert [s.number[-6:] for s in PaymentStatement.objects.order_by("id")] == ["000001", "000002"]


def test_no_year_chosen_or_an_unknown_resident(municipality, clerk):
    t = town(municipality)
    client = signed_in(clerk)
    unknown = client.post(reverse("statement-new"), {"resident_code": "99999999999", "as_of": "2025-11-01"})
    assert "見つかりません" in unknown.content.decode()
    response = client.post(reverse("statement-confirm"), {"resident": t.head.pk, "as_of": "2025-11-01"})
    assert "証明する年度を1つ以上選んでください" in response.content.decode()
    assert not PaymentStatement.objects.exists()


def test_other_municipalities_and_other_roles_are_refused(municipality, clerk, other_clerk, auditor):
    t = town(municipality)
    issue(signed_in(clerk), t.head)
    statement = PaymentStatement.objects.get()
    other = signed_in(other_clerk)
    assert (
        other.get(reverse("statement-confirm"), {"resident": t.head.pk, "as_of": "2025-11-01"}).status_code
        == 404
    )
    assert other.get(reverse("statement-detail", args=[statement.pk])).status_code == 404
    assert other.get(reverse("statement-download", args=[statement.pk])).status_code == 404
    assert statement.number not in other.get(reverse("statement-list")).content.decode()
    assert signed_in(auditor).get(reverse("statement-list")).status_code == 403
