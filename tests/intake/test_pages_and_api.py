"""Import pages and API as clerks use them, and the wall between municipalities."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from enrollment.models import IsaRecord
from nhi_portal.models import AccessLog, BatchStatus, ImportBatch
from tests.conftest import signed_in
from tests.intake.builders import GOOD_ROWS, isa_bytes
from tests.intake.helpers import run_import

# Uploads enqueue the import when the request's transaction commits (eager Celery here), so
# these tests run with real commits.
pytestmark = pytest.mark.django_db(transaction=True)


def upload(client, *files, kind="isa", follow=False):
    return client.post(
        reverse("batch-upload"), {"kind": kind, "files": list(files), "mode": "delta"}, follow=follow
    )


def test_clerk_uploads_three_isa_files_at_once(clerk_client):
    files = [
        SimpleUploadedFile(f"annex{a}.csv", isa_bytes(annex=a), content_type="text/csv") for a in (1, 2, 3)
    ]
    response = upload(clerk_client, *files)
    assert response.status_code == 302
    assert response["Location"] == reverse("batch-list")
    batches = ImportBatch.objects.order_by("annex")
    assert [(b.annex, b.status) for b in batches] == [(1, "imported"), (2, "imported"), (3, "imported")]
    page = clerk_client.get(reverse("batch-list"))
    assert "annex2.csv" in page.content.decode()


def test_upload_of_a_file_with_a_bad_row_shows_the_report(clerk_client):
    rows = [
        GOOD_ROWS[0],
        ["TRAN THI BINH", "132101", "東京都小金井市中町2-3-4", "女", "20000230", "20261002"],
    ]
    response = upload(clerk_client, SimpleUploadedFile("bad_row.csv", isa_bytes(rows)))
    batch = ImportBatch.objects.get()
    assert response["Location"] == reverse("batch-detail", args=[batch.pk])
    page = clerk_client.get(response["Location"]).content.decode()
    assert "確認が必要な行があります" in page
    assert "2000年2月30日は存在しない日付です" in page
    assert "TRAN THI BINH" in page
    # the clerk confirms having read it
    clerk_client.post(reverse("batch-acknowledge", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == BatchStatus.ACKNOWLEDGED
    assert batch.acknowledged_by.username == "clerk"


def test_a_rejected_upload_says_what_to_do_and_imports_nothing(clerk_client):
    response = upload(clerk_client, SimpleUploadedFile("report.xlsx", b"PK\x03\x04\x00\x00\x00binary"))
    page = clerk_client.get(response["Location"]).content.decode()
    assert "取り込めませんでした" in page
    assert "CSV形式で保存したファイルを選んでください" in page
    assert not IsaRecord.objects.exists()


def test_uploading_the_same_file_twice_says_so(clerk_client):
    upload(clerk_client, SimpleUploadedFile("a.csv", isa_bytes()))
    response = upload(clerk_client, SimpleUploadedFile("a_copy.csv", isa_bytes()), follow=True)
    assert "同じ内容のファイルは取込済みです" in response.content.decode()
    assert ImportBatch.objects.count() == 1


def test_the_form_explains_missing_input(clerk_client):
    response = clerk_client.post(
        reverse("batch-upload"), {"kind": "isa", "mode": "delta", "data_month": "10月"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "入力内容に誤りがあります" in page
    assert "対象月は 2026-10 の形で入力してください。" in page
    assert 'href="#id_files"' in page


def test_viewing_isa_records_is_access_logged(clerk, clerk_client, municipality):
    batch = run_import(municipality, isa_bytes())
    clerk_client.get(reverse("batch-detail", args=[batch.pk]))
    entry = AccessLog.objects.get()
    assert entry.user == clerk
    assert entry.object_type == "isa_record"
    assert entry.person_count == 3
    assert sorted(entry.object_ids) == sorted(IsaRecord.objects.values_list("pk", flat=True))
    assert "NGUYEN" not in str(entry.object_ids)


def test_anonymous_visitors_are_sent_to_sign_in():
    response = Client().get(reverse("batch-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert Client().get("/api/batches/").status_code in (401, 403)


def test_auditor_cannot_import(auditor):
    client = signed_in(auditor)
    assert client.get(reverse("batch-list")).status_code == 403
    assert upload(client, SimpleUploadedFile("a.csv", isa_bytes())).status_code == 403
    assert not ImportBatch.objects.exists()


def test_another_municipality_sees_nothing(municipality, other_clerk_client):
    batch = run_import(municipality, isa_bytes())
    assert other_clerk_client.get(reverse("batch-detail", args=[batch.pk])).status_code == 404
    assert (
        "isa"
        not in other_clerk_client.get(reverse("batch-list"))
        .content.decode()
        .split("<tbody>")[1]
        .split("</tbody>")[0]
    )
    assert other_clerk_client.post(reverse("batch-acknowledge", args=[batch.pk])).status_code == 404
    api = other_clerk_client.get("/api/batches/").json()
    assert api["count"] == 0
    assert other_clerk_client.get(f"/api/batches/{batch.pk}/").status_code == 404
    assert other_clerk_client.get("/api/isa-records/").json()["count"] == 0
    dashboard = other_clerk_client.get(reverse("dashboard")).content.decode()
    assert "file.csv" not in dashboard


def test_api_upload_then_read_back(clerk, municipality):
    client = signed_in(clerk)
    response = client.post(
        "/api/batches/upload/", {"kind": "isa", "file": SimpleUploadedFile("api.csv", isa_bytes())}
    )
    assert response.status_code == 202
    body = response.json()
    assert body["duplicate"] is False
    assert body["batch"]["status"] == "imported"
    again = client.post(
        "/api/batches/upload/", {"kind": "isa", "file": SimpleUploadedFile("api.csv", isa_bytes())}
    )
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    detail = client.get(f"/api/batches/{body['batch']['id']}/").json()
    assert detail["annex"] == 1 and detail["rows_total"] == 3
    records = client.get("/api/isa-records/", {"batch": body["batch"]["id"]}).json()
    assert [r["name"] for r in records["results"]] == ["NGUYEN VAN AN", "TRAN THI BINH", "SITI RAHAYU"]
    assert AccessLog.objects.filter(action="api_list", person_count=3).count() == 1


def test_api_upload_validation_errors_are_400(clerk):
    client = signed_in(clerk)
    response = client.post("/api/batches/upload/", {"kind": "payments"})
    assert response.status_code == 400
    assert set(response.json()) >= {"kind", "file"}


def test_api_token_authentication(clerk):
    from tests.conftest import api_key

    client = Client(HTTP_AUTHORIZATION=f"Token {api_key(clerk)}")
    assert client.get("/api/batches/").status_code == 200


def test_openapi_schema_is_served_and_describes_the_upload(clerk_client):
    response = clerk_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert "/api/batches/upload/" in schema["paths"]
    assert "/api/isa-records/{id}/" in schema["paths"]
    assert Client().get("/api/schema/").status_code in (401, 403)


def eight_rows(names):
    return [
        [name, "132101", f"東京都小金井市本町1-2-{i}", "男", f"1990010{i % 9 + 1}", "20261001"]
        for i, name in enumerate(names)
    ]


NAMES = ["NGUYEN VAN AN", "TRAN THI BINH", "SITI RAHAYU", "LE VAN CUONG", "PHAM THI DUNG", "HOANG VAN EM",
         "VU THI GIANG", "DO VAN HAI"]  # fmt: skip


def test_a_batch_that_mostly_repeats_an_earlier_one_is_flagged_on_its_page(clerk_client, clerk):
    """Six of eight rows identical to an earlier batch (not the same bytes, so not refused as a
    duplicate file): the batch page says so and links the earlier batch."""
    first = run_import(clerk.municipality, isa_bytes(eight_rows(NAMES)), filename="2026-10_annex1.csv")
    again = eight_rows(NAMES)
    again[6][0], again[7][0] = "BUI VAN KHOA", "DANG THI LAN"
    second = run_import(clerk.municipality, isa_bytes(again), filename="2026-11_annex1.csv")
    assert second.summary["overlap"]["batch_id"] == first.pk
    assert (second.summary["overlap"]["rows"], second.summary["overlap"]["of"]) == (6, 8)
    page = clerk_client.get(reverse("batch-detail", args=[second.pk])).content.decode()
    assert "以前の取込とほとんど同じ内容です" in page
    assert "このファイルの8行のうち6行が" in page
    assert f"取込 #{first.pk}「2026-10_annex1.csv」" in page
    assert "overlap" not in page  # the summary list does not show the raw key
    # a batch of new people gets no warning
    third = run_import(
        clerk.municipality, isa_bytes(eight_rows([n + " X" for n in NAMES])), filename="new.csv"
    )
    assert "overlap" not in third.summary
    assert (
        "以前の取込とほとんど同じ内容です"
        not in clerk_client.get(reverse("batch-detail", args=[third.pk])).content.decode()
    )


def test_the_batch_page_numbers_rows_by_their_line_in_the_file(clerk_client, clerk):
    """One numbering on the page: the line of the file (header = line 1), in the problems and in the
    records alike, under the same heading."""
    rows = [
        GOOD_ROWS[0],
        ["TRAN THI BINH", "132101", "東京都小金井市中町2-3-4", "女", "20000230", "20261002"],
    ]
    data = isa_bytes(rows).replace(b"\r\n", b"\r\n\r\n", 1)  # a blank line after the header: line 3 is row 1
    batch = run_import(clerk.municipality, data)
    page = clerk_client.get(reverse("batch-detail", args=[batch.pk])).content.decode()
    assert page.count('<th scope="col" class="num">ファイルの行</th>') == 2
    assert '<th scope="col" class="num">行</th>' not in page
    assert '<td class="num">4</td><td>生年月日</td>' in page  # the problem: line 4
    records = IsaRecord.objects.filter(batch=batch).order_by("row_number")
    assert [(r.row_number, r.line_number) for r in records] == [(1, 3), (2, 4)]
    assert '<td class="num">3</td>' in page and '<td class="num">1</td>' not in page
