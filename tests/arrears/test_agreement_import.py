"""Instalment agreements (分納誓約) from a file take the one import path (batch_receive): a batch
with its report, the same file twice changes nothing, one wrong row records nothing, and the
number of queries does not grow with the rows."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from arrears.models import AgreementStatus, InstalmentAgreement
from nhi_portal.models import BatchStatus, ImportBatch
from tests.intake.helpers import run_import

pytestmark = pytest.mark.django_db

HEADER = "household_head_code,agreed_on,first_due_date,monthly_amount,months,note\r\n"


def agreements_file(rows: list[str]) -> bytes:
    return (HEADER + "".join(f"{r}\r\n" for r in rows)).encode()


def test_agreements_arrive_as_a_batch_and_the_same_file_twice_changes_nothing(municipality):
    data = agreements_file(
        ["12345678901,2026-04-01,2026-05-31,5000,10,窓口", "12345678902,2026-04-02,2026-05-31,3000,6,"]
    )
    batch = run_import(municipality, data, kind="agreements", filename="agreements.csv")
    assert batch.kind == "agreements" and batch.status == BatchStatus.IMPORTED
    assert batch.summary["created"] == 2
    assert InstalmentAgreement.objects.filter(status=AgreementStatus.ACTIVE).count() == 2
    again = run_import(municipality, data, kind="agreements", filename="copy.csv")
    assert again.pk == batch.pk and ImportBatch.objects.filter(kind="agreements").count() == 1
    # A newer agreement of a household replaces the one in force; an unchanged one is left alone.
    newer = agreements_file(
        ["12345678901,2026-06-01,2026-06-30,4000,12,再誓約", "12345678902,2026-04-02,2026-05-31,3000,6,"]
    )
    run_import(municipality, newer, kind="agreements", filename="newer.csv")
    first = InstalmentAgreement.objects.filter(household_head_code="12345678901")
    assert sorted(first.values_list("agreed_on__month", "status")) == [
        (4, AgreementStatus.CANCELLED),
        (6, AgreementStatus.ACTIVE),
    ]
    assert InstalmentAgreement.objects.filter(household_head_code="12345678902").count() == 1


def test_one_wrong_row_records_nothing_and_says_which_line(municipality):
    data = agreements_file(
        ["12345678901,2026-04-01,2026-05-31,5000,10,", "12345678902,2026-04-02,2026-03-31,0,200,"]
    )
    batch = run_import(municipality, data, kind="agreements")
    assert batch.status == BatchStatus.REJECTED
    assert "3行目" in batch.rejection_reason and "毎月の納付額" in batch.rejection_reason
    assert not InstalmentAgreement.objects.exists()


def test_the_command_goes_through_the_same_path(municipality, tmp_path):
    path = tmp_path / "agreements.csv"
    path.write_bytes(agreements_file(["12345678901,2026-04-01,2026-05-31,5000,10,"]))
    out = io.StringIO()
    call_command("import_agreements", str(path), "--lg-code", municipality.lg_code, stdout=out)
    assert "分納誓約 1件を記録しました" in out.getvalue()
    assert ImportBatch.objects.get(kind="agreements").source_name == "agreements.csv"


def test_queries_do_not_grow_with_the_rows(municipality):
    def queries(count: int, start: int) -> int:
        rows = [f"{start + i:011d},2026-04-01,2026-05-31,5000,10," for i in range(count)]
        with CaptureQueriesContext(connection) as captured:
            run_import(municipality, agreements_file(rows), kind="agreements", filename=f"{start}.csv")
        return len(captured)

    assert queries(60, 10_000_000_000) <= queries(3, 20_000_000_000)
