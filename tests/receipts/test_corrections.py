"""Single corrections by hand (the admin's services, and its django-import-export resources):
a new assessment row becomes current and the earlier one stays; payments and refunds are added;
each change is in the ChangeLog; the rules are the same as the file import's."""

from datetime import date

import pytest
import tablib
from django.core.exceptions import ValidationError

from nhi_portal.models import ChangeLog
from receipts import services
from receipts.admin import AssessmentAdmin, AssessmentResource, PaymentAdmin, PaymentResource
from receipts.models import Assessment, Payment
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


def test_a_small_file_of_corrections_through_django_import_export(municipality, administrator):
    assess(municipality)
    dataset = tablib.Dataset(
        headers=["household_head_code", "fiscal_year", "instalment", "amount", "due_date", "note"]
    )
    dataset.append([HH, 2025, 3, 9_000, "2025-08-31", "更正"])
    result = AssessmentResource().import_data(dataset, dry_run=False, raise_errors=True, user=administrator)
    assert not result.has_errors()
    assert Assessment.objects.get(instalment=3, is_current=True).amount == 9_000
    payments = tablib.Dataset(
        headers=[
            "household_head_code",
            "fiscal_year",
            "instalment",
            "amount",
            "paid_date",
            "channel",
            "receipt_number",
            "note",
        ]
    )
    payments.append([HH, 2025, 3, 9_000, "2025-08-30", "counter", "", "窓口"])
    result = PaymentResource().import_data(payments, dry_run=False, raise_errors=True, user=administrator)
    assert not result.has_errors() and Payment.objects.get().municipality == municipality


def test_the_admin_is_for_administrators_of_the_municipality(municipality, administrator, clerk, rf):
    from django.contrib import admin

    for model_admin in (AssessmentAdmin(Assessment, admin.site), PaymentAdmin(Payment, admin.site)):
        request = rf.get("/")
        request.user = administrator
        assert model_admin.has_add_permission(request) and not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
        request.user = clerk
        assert not model_admin.has_view_permission(request)
