"""Single corrections by hand (the admin's services, and a file of corrections through batch_receive):
a new assessment row becomes current and the earlier one stays; payments and refunds are added;
each change is in the ChangeLog; the rules are the same as the file import's."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from nhi_portal.models import ChangeLog, ImportBatch
from receipts import services
from receipts.admin import AssessmentAdmin, PaymentAdmin
from receipts.models import Assessment, Payment
from tests.conftest import signed_in
from tests.receipts.helpers import HH, assess

pytestmark = pytest.mark.django_db


def test_an_assessment_correction_becomes_current_and_keeps_the_history(municipality, administrator):
    assess(municipality)
    row = services.assessment_record(
        assessment=Assessment(
            household_head_code=HH,
            fiscal_year=2025,
            instalment=2,
            amount=7_000,
            due_date=date(2025, 7, 31),
            note="減額更正",
        ),
        user=administrator,
    )
    assert row.is_current and row.recorded_by == administrator
    rows = Assessment.objects.filter(instalment=2).order_by("id")
    assert [(r.amount, r.is_current) for r in rows] == [(10_000, False), (7_000, True)]
    assert ChangeLog.objects.filter(model__icontains="assessment").exists()


def test_a_correction_with_a_due_date_outside_the_year_is_refused(municipality, administrator):
    with pytest.raises(ValidationError):
        services.assessment_record(
            assessment=Assessment(
                household_head_code=HH, fiscal_year=2025, instalment=1, amount=1, due_date=date(2027, 1, 1)
            ),
            user=administrator,
        )
    with pytest.raises(ValidationError):
        services.assessment_record(
            assessment=Assessment(
                household_head_code="12345",
                fiscal_year=2025,
                instalment=1,
                amount=1,
                due_date=date(2025, 6, 30),
            ),
            user=administrator,
        )
    assert not Assessment.objects.exists()


def test_a_payment_by_hand_follows_the_sign_rules(municipality, administrator):
    services.payment_record(
        payment=Payment(
            household_head_code=HH,
            fiscal_year=2025,
            instalment=1,
            amount=-500,
            paid_date=date(2025, 9, 1),
            channel="refund",
        ),
        user=administrator,
    )
    with pytest.raises(ValidationError):
        services.payment_record(
            payment=Payment(
                household_head_code=HH,
                fiscal_year=2025,
                instalment=1,
                amount=500,
                paid_date=date(2025, 9, 1),
                channel="refund",
            ),
            user=administrator,
        )
    assert list(Payment.objects.values_list("amount", "municipality_id")) == [(-500, municipality.pk)]


def test_a_small_file_of_corrections_goes_through_the_one_import_path(
    municipality, administrator, django_capture_on_commit_callbacks
):
    assess(municipality)
    admin = signed_in(administrator)
    corrections = (
        f"household_head_code,fiscal_year,instalment,amount,due_date\r\n{HH},2025,3,9000,2025-08-31\r\n"
    ).encode()
    url = reverse("admin:receipts_assessment_import")
    assert "ファイルから取り込む" in admin.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(url, {"file": SimpleUploadedFile("corrections.csv", corrections)})
    assert response.status_code == 302
    batch = ImportBatch.objects.get(kind="assessments", source_name="corrections.csv")
    assert batch.municipality == municipality and batch.rows_total == 1
    assert Assessment.objects.get(instalment=3, is_current=True).amount == 9_000
    # The same file again is recognised by its hash and changes nothing.
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(url, {"file": SimpleUploadedFile("again.csv", corrections)})
    assert ImportBatch.objects.filter(kind="assessments").count() == 1
    payments = (
        "household_head_code,fiscal_year,instalment,amount,paid_date,channel,receipt_number\r\n"
        f"{HH},2025,3,9000,2025-08-30,counter,\r\n"
    ).encode()
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(reverse("admin:receipts_payment_import"), {"file": SimpleUploadedFile("p.csv", payments)})
    assert Payment.objects.get().municipality == municipality
    # A wrong row records nothing, and the batch says which line and why.
    wrong = f"household_head_code,fiscal_year,instalment,amount,due_date\r\n{HH},2025,3,-5,2025-08-31\r\n"
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(url, {"file": SimpleUploadedFile("wrong.csv", wrong.encode())})
    rejected = ImportBatch.objects.get(source_name="wrong.csv")
    assert rejected.status == "rejected" and "2行目" in rejected.rejection_reason
    assert Assessment.objects.get(instalment=3, is_current=True).amount == 9_000


def test_the_admin_is_for_administrators_of_the_municipality(municipality, administrator, clerk, rf):
    from django.contrib import admin

    for model_admin in (AssessmentAdmin(Assessment, admin.site), PaymentAdmin(Payment, admin.site)):
        request = rf.get("/")
        request.user = administrator
        assert model_admin.has_add_permission(request) and not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
        request.user = clerk
        assert not model_admin.has_view_permission(request)
