"""The register's 在留期間 and its end date (optional columns) reach the resident, and a change
of them is kept in the history like any other register field: the notice shows them."""

from __future__ import annotations

from datetime import date

import pytest

from enrollment.models import Resident, ResidentEvent
from nhi_portal.models import BatchStatus
from tests.intake.builders import RESIDENT_HEADER, csv_bytes, resident_row
from tests.intake.helpers import issue_texts, run_import

pytestmark = pytest.mark.django_db

HEADER = [*RESIDENT_HEADER, "在留期間", "在留期間満了日"]


def register(municipality, rows, mode="delta"):
    data = csv_bytes(HEADER, rows, encoding="utf-8", newline="\n")
    return run_import(municipality, data, kind="residents", filename="residents.csv", mode=mode)


def test_period_of_stay_is_read_and_its_change_kept(municipality):
    batch = register(municipality, [[*resident_row("10000000001"), "1年", "令和9年6月30日"]], mode="snapshot")
    assert batch.status == BatchStatus.IMPORTED, batch.rejection_reason
    person = Resident.objects.get(resident_code="10000000001")
    assert (person.residence_period, person.residence_expiry) == ("1年", date(2027, 6, 30))
    register(municipality, [[*resident_row("10000000001"), "3年", "2029-06-30"]])
    person.refresh_from_db()
    assert person.residence_expiry == date(2029, 6, 30)
    change = ResidentEvent.objects.get(resident=person).changes
    assert change["residence_expiry"] == ["2027-06-30", "2029-06-30"] and change["residence_period"] == [
        "1年",
        "3年",
    ]


def test_a_bad_expiry_date_is_reported_with_its_line(municipality):
    batch = register(municipality, [[*resident_row("10000000002"), "1年", "2027-02-30"]], mode="snapshot")
    assert any("在留期間満了日" in text for text in issue_texts(batch)), issue_texts(batch)
    assert not Resident.objects.filter(resident_code="10000000002").exists()


def test_files_without_the_columns_still_import(municipality):
    data = csv_bytes(RESIDENT_HEADER, [resident_row("10000000003")], encoding="utf-8", newline="\n")
    batch = run_import(municipality, data, kind="residents", filename="residents.csv", mode="snapshot")
    assert batch.status == BatchStatus.IMPORTED
    assert Resident.objects.get(resident_code="10000000003").residence_expiry is None
