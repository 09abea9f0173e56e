"""Arrears pages as clerks and supervisors use them: the list and its CSV, a household, agreements,
the linkage export from preview to download, collection rates; the access log, the municipality
wall, roles, the API, query counts."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from arrears.models import AgreementStatus, ExportStatus, InstalmentAgreement, LinkageExport
from nhi_portal.models import AccessLog
from tests.arrears.builders import AGREEMENT_HH, ARREARS_HH, AS_OF, PAID_HH, town
from tests.conftest import signed_in
from tests.receipts.helpers import assess, pay

pytestmark = pytest.mark.django_db


def last_log(**filters) -> AccessLog:
    return AccessLog.objects.filter(**filters).latest("id")


def test_the_arrears_list_shows_households_in_arrears_on_the_date(municipality, clerk):
    t = town(municipality)
    client = signed_in(clerk)
    page = client.get(reverse("arrears-home"), {"as_of": "2025-11-01"})
    html = page.content.decode()
    assert page.status_code == 200
    assert ARREARS_HH in html and AGREEMENT_HH in html and PAID_HH not in html
    assert "NGUYEN VAN AN" in html and "50,000円" in html and "5か月" in html
    log = last_log(action="view_arrears_list")
    assert set(log.object_ids) == {t.head.pk, t.agreement_head.pk} and log.purpose == "arrears"
    only_code = client.get(
        reverse("arrears-home"), {"as_of": "2025-11-01", "code": "1000000001"}
    ).content.decode()
    assert AGREEMENT_HH in only_code and ARREARS_HH not in only_code


def test_the_arrears_csv_is_the_report_and_its_hash_is_logged(municipality, clerk):
    town(municipality)
    response = signed_in(clerk).get(reverse("arrears-csv"), {"as_of": "2025-11-01"})
    data = response.content
    assert response["Content-Disposition"] == 'attachment; filename="arrears_20251101.csv"'
    assert data.decode().split("\r\n")[:3] == [
        "household_head_code,overdue_instalments,overdue_amount,months_in_arrears,oldest_due_date,foreign",
        f"{ARREARS_HH},5,50000,5,2025-06-30,true",
        f"{AGREEMENT_HH},2,15000,15,2024-08-31,true",
    ]
    import hashlib

    assert last_log(action="download_arrears_csv").content_sha256 == hashlib.sha256(data).hexdigest()


def test_a_household_page_shows_instalments_prepayment_and_agreements(municipality, clerk):
    t = town(municipality)
    pay(municipality, PAID_HH, instalment=6, amount=30_000, on=date(2025, 10, 20), channel="prepayment")
    client = signed_in(clerk)
    html = client.get(reverse("arrears-household", args=[PAID_HH]), {"as_of": "2025-11-01"}).content.decode()
    assert "前納で充当済みの期" in html and "第8期" in html and "30,000円" in html
    html = client.get(
        reverse("arrears-household", args=[AGREEMENT_HH]), {"as_of": "2025-11-01"}
    ).content.decode()
    assert "履行中" in html and "2024年度" in html
    assert last_log(action="view_household_account").object_ids == [t.agreement_head.pk]
    assert client.get(reverse("arrears-household", args=["99999999999"])).status_code == 404


def test_a_clerk_records_and_cancels_an_agreement(municipality, clerk):
    town(municipality)
    client = signed_in(clerk)
    url = reverse("agreement-new", args=[ARREARS_HH])
    data = {
        "agreed_on": "2025-10-01",
        "first_due_date": "2025-10-31",
        "monthly_amount": "10000",
        "months": "5",
    }
    check = client.post(url, data)
    assert (
        "次の内容で記録します" in check.content.decode()
        and not InstalmentAgreement.objects.filter(household_head_code=ARREARS_HH).exists()
    )
    done = client.post(url, {**data, "confirm": "1"})
    assert done.status_code == 302
    agreement = InstalmentAgreement.objects.get(household_head_code=ARREARS_HH)
    assert (agreement.monthly_amount, agreement.recorded_by) == (10_000, clerk)
    client.post(reverse("agreement-cancel", args=[agreement.pk]), {"reason": "本人の申出"})
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.CANCELLED and agreement.cancelled_by == clerk


def test_the_linkage_export_from_preview_to_download(
    municipality, clerk, supervisor, django_capture_on_commit_callbacks
):
    t = town(municipality)
    clerk_client, supervisor_client = signed_in(clerk), signed_in(supervisor)
    response = clerk_client.post(reverse("linkage-new"), {"as_of": "2025-11-01", "layout_version": "v1"})
    export = LinkageExport.objects.get()
    assert response["Location"] == reverse("linkage-detail", args=[export.pk])
    html = clerk_client.get(response["Location"]).content.decode()
    assert "TRAN THI BINH" in html and "住民登録がありません" in html and "分納誓約を守って納付中" in html
    assert "監督者の承認を待っています" in html
    assert set(last_log(action="view_linkage_export").object_ids) == {
        t.head.pk,
        t.spouse.pk,
        t.moved_out.pk,
        t.agreement_head.pk,
    }
    assert clerk_client.post(reverse("linkage-approve", args=[export.pk])).status_code == 403
    page = supervisor_client.get(reverse("linkage-detail", args=[export.pk])).content.decode()
    assert "承認してファイルを作成する" in page
    assert "data-shortcut=" not in page[page.index("承認する前に確認してください") :]  # no key approves
    unticked = supervisor_client.post(reverse("linkage-approve", args=[export.pk]), follow=True)
    assert "確認欄にチェックを入れてから承認してください" in unticked.content.decode()
    export.refresh_from_db()
    assert export.status == ExportStatus.PREVIEWED and export.approved_by is None
    with django_capture_on_commit_callbacks(execute=True):
        supervisor_client.post(reverse("linkage-approve", args=[export.pk]), {"acknowledged": "yes"})
    export.refresh_from_db()
    assert export.status == ExportStatus.PRODUCED and export.approved_by == supervisor
    download = clerk_client.get(reverse("linkage-download", args=[export.pk]))
    body = b"".join(download.streaming_content)
    assert body.decode().count("\r\n") == 3
    entry = last_log(action="download_linkage_export")
    assert entry.content_sha256 == export.sha256 and set(entry.object_ids) == {t.head.pk, t.spouse.pk}
    verify = supervisor_client.post(reverse("linkage-verify", args=[export.pk]), follow=True)
    assert "保存したものと同じです" in verify.content.decode()


def test_collection_rates_with_charts_and_csv(municipality, clerk):
    town(municipality)
    assess(municipality, "10000000099")  # a Japanese-headed household (head not in the register)
    pay(municipality, "10000000099", instalment=1, amount=10_000, on=date(2025, 6, 30))
    client = signed_in(clerk)
    html = client.get(reverse("collection-rates"), {"year": "2025"}).content.decode()
    assert 'class="chart"' in html and "chart-series-1" in html and "chart-series-2" in html
    assert "style=" not in html.split('<figure class="chart"', 1)[1]
    assert "世帯主が外国籍の世帯" in html
    data = client.get(reverse("collection-rates-csv")).content.decode().split("\r\n")
    assert data[0] == "fiscal_year,month,group,assessed,collected_cumulative,rate"
    # FY2025: 300,000 assessed (3 households), 60,000 paid; foreign heads: 200,000 and 50,000
    assert "2025,total,all,300000,60000,0.2000" in data
    assert "2025,total,foreign_head,200000,50000,0.2500" in data
    assert "2025,2025-06,all,300000,20000,0.0667" in data
    assert last_log(action="download_collection_rates").content_sha256


def test_the_municipality_wall(municipality, other_clerk, clerk, django_capture_on_commit_callbacks):
    town(municipality)
    client = signed_in(other_clerk)
    assert ARREARS_HH not in client.get(reverse("arrears-home"), {"as_of": "2025-11-01"}).content.decode()
    assert client.get(reverse("arrears-household", args=[ARREARS_HH])).status_code == 404
    from arrears import services
    from arrears.rules import LinkageParameters

    export = services.linkage_preview(user=clerk, params=LinkageParameters(AS_OF))
    for name in ("linkage-detail", "linkage-download"):
        assert client.get(reverse(name, args=[export.pk])).status_code == 404
    assert client.post(reverse("linkage-withdraw", args=[export.pk])).status_code == 404
    agreement = InstalmentAgreement.objects.get()
    assert client.post(reverse("agreement-cancel", args=[agreement.pk]), {"reason": "x"}).status_code == 404
    api = client.get("/api/arrears/", {"as_of": "2025-11-01"}).json()
    assert api["count"] == 0
    assert client.get("/api/assessments/").json()["count"] == 0


def test_an_auditor_is_refused(municipality, auditor):
    client = signed_in(auditor)
    for name in ("arrears-home", "arrears-csv", "linkage-list", "linkage-new", "collection-rates"):
        assert client.get(reverse(name)).status_code == 403, name
    assert client.get("/api/arrears/").status_code == 403


def test_the_api_lists_arrears_and_logs_the_read(municipality, clerk):
    t = town(municipality)
    client = signed_in(clerk)
    body = client.get("/api/arrears/", {"as_of": "2025-11-01", "foreign": "true"}).json()
    assert [r["household_head_code"] for r in body["results"]] == [ARREARS_HH, AGREEMENT_HH]
    assert body["results"][0] == {
        "household_head_code": ARREARS_HH, "overdue_instalments": 5, "overdue_amount": 50000,
        "months_in_arrears": 5, "oldest_due_date": "2025-06-30", "foreign": True,
    }  # fmt: skip
    assert set(last_log(action="api_arrears_list").object_ids) == {t.head.pk, t.agreement_head.pk}
    assert client.get("/api/arrears/", {"as_of": "2025-13-01"}).status_code == 400
    payments = client.get("/api/payments/", {"household_head_code": PAID_HH}).json()
    assert payments["count"] == 5 and last_log(action="api_list").object_type == "payment"


def test_the_arrears_list_does_not_query_per_household(municipality, clerk):
    town(municipality)
    client = signed_in(clerk)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("arrears-home"), {"as_of": "2025-11-01"})
    for n in range(10):
        code = f"3000000{n:04d}"
        assess(municipality, code)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("arrears-home"), {"as_of": "2025-11-01"})
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_linkage_settings_are_a_supervisors_with_basis_consequence_and_policy(
    municipality, clerk, supervisor
):
    """Issue 15 item 7: sensible defaults (not 1 month and 1 yen), minors never flagged unless a
    supervisor says so, and the page says why and what it means for the person."""
    from arrears.models import LinkageSettings
    from nhi_portal.models import ChangeLog

    defaults = LinkageSettings.defaults_for(municipality.pk)
    assert (defaults.min_months, defaults.min_amount, defaults.flag_adult_members, defaults.flag_minors) == (
        3, 10_000, True, False,
    )  # fmt: skip
    page = signed_in(clerk).get(reverse("linkage-settings")).content.decode()
    assert "連携された人に起きること" in page and "在留期間の更新" in page
    assert (
        "国民健康保険法第76条" in page
        and "国は、何か月・いくら以上で連携するかの基準をまだ示していません" in page
    )
    assert "未成年（18歳未満）の世帯員</dt><dd>連携しません" in page
    assert "設定を保存する" not in page  # clerks read it
    refused = signed_in(clerk).post(
        reverse("linkage-settings"), {"min_months": "1", "min_amount": "1", "flag_minors": "on"}
    )
    assert refused.status_code == 403 and not LinkageSettings.objects.exists()

    client = signed_in(supervisor)
    saved = client.post(
        reverse("linkage-settings"),
        {"min_months": "2", "min_amount": "5000", "flag_adult_members": "on", "flag_minors": "on"},
        follow=True,
    ).content.decode()
    assert "連携の設定を保存しました" in saved
    assert "未成年の世帯員も連携する設定です" in saved  # the warning
    current = LinkageSettings.objects.get(municipality=municipality)
    assert (current.min_months, current.min_amount, current.flag_minors, current.updated_by) == (
        2, 5000, True, supervisor,
    )  # fmt: skip
    assert set(ChangeLog.objects.filter(model="arrears.linkagesettings").values_list("field", flat=True)) >= {
        "min_months", "min_amount", "flag_minors",
    }  # fmt: skip
    new = signed_in(clerk).get(reverse("linkage-new")).content.decode()
    assert "滞納月数 2か月以上、未納額 5,000円以上" in new and "未成年の世帯員を連携します" in new
    bad = client.post(reverse("linkage-settings"), {"min_months": "0", "min_amount": ""}).content.decode()
    assert "1か月以上にしてください。" in bad and "未納額の下限を入力してください。" in bad


def test_minors_are_kept_out_of_an_export_by_default(municipality, clerk):
    from arrears.rules import Reason
    from tests.arrears.builders import member

    t = town(municipality)
    child = member(
        municipality, "10000000009", ARREARS_HH, name_alpha="NGUYEN VAN BE", birth_date=date(2020, 5, 5)
    )
    signed_in(clerk).post(reverse("linkage-new"), {"as_of": "2025-11-01", "layout_version": "v1"})
    export = LinkageExport.objects.get()
    decided = {line.resident_code: (line.decision, line.reason) for line in export.lines.all()}
    assert decided[child.resident_code] == ("excluded", Reason.MINOR_NOT_FLAGGED)
    assert decided[t.spouse.resident_code] == ("flagged", Reason.ARREARS)
    html = signed_in(clerk).get(reverse("linkage-detail", args=[export.pk])).content.decode()
    assert "未成年の世帯員です（未成年は連携しない設定）" in html
