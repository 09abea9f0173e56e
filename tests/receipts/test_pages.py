"""Receipts pages and API: a clerk uploads an assessment or payment file and lands on the batch
report; the read API is scoped and access-logged; roles."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from nhi_portal.models import AccessLog, ImportBatch
from receipts.models import Assessment
from tests.conftest import signed_in
from tests.receipts.helpers import ASSESSMENT_HEADER, HH, assess, csv_bytes

pytestmark = pytest.mark.django_db


def test_a_clerk_uploads_an_assessment_file(municipality, clerk, django_capture_on_commit_callbacks):
    data = csv_bytes(ASSESSMENT_HEADER, [f"{HH},2025,1,10000,2025-06-30"])
    client = signed_in(clerk)
    assert "賦課・収納ファイルを取り込む" in client.get(reverse("receipts-upload")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("receipts-upload"),
            {"kind": "assessments", "files": SimpleUploadedFile("fuka.csv", data, "text/csv")},
        )
    batch = ImportBatch.objects.get()
    assert response["Location"] == reverse("batch-detail", args=[batch.pk])
    batch.refresh_from_db()
    assert (batch.kind, batch.status, batch.uploaded_by) == ("assessments", "imported", clerk)
    assert Assessment.objects.get().amount == 10000


def test_an_auditor_cannot_upload_or_issue(municipality, auditor):
    client = signed_in(auditor)
    for name in ("receipts-upload", "statement-list", "statement-new"):
        assert client.get(reverse(name)).status_code == 403


def test_the_assessment_api_is_scoped_and_logged(municipality, other_municipality, clerk):
    assess(municipality)
    assess(other_municipality, "20000000001")
    body = signed_in(clerk).get("/api/assessments/", {"fiscal_year": 2025}).json()
    assert body["count"] == 10 and {r["household_head_code"] for r in body["results"]} == {HH}
    entry = AccessLog.objects.latest("id")
    assert (entry.action, entry.object_type, entry.person_count) == ("api_list", "assessment", 10)
    assert signed_in(clerk).post("/api/assessments/", {}).status_code in (403, 405)
