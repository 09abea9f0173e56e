"""The synthetic assessments, payments and agreements of the demo (demo/receipts.py):
deterministic, realistic, and imported cleanly through the portal's own importers."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from arrears import engine, selectors
from arrears.models import InstalmentAgreement
from demo.generator import generate
from demo.receipts import generate_receipts
from nhi_portal.models import BatchStatus
from tests.receipts.helpers import import_csv


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    generate(out, residents=4000, seed=5)
    summary = generate_receipts(out, seed=5)
    return out, summary


def test_the_same_seed_gives_the_same_bytes(demo, tmp_path):
    out, summary = demo
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("residents.csv", "nhi_ledger.csv", "summary.json"):
        (copy / name).write_bytes((out / name).read_bytes())
    generate_receipts(copy, seed=5)
    for name in summary.files:
        assert (copy / name).read_bytes() == (out / name).read_bytes(), name
    generate_receipts(copy, seed=6)
    assert (copy / "payments.csv").read_bytes() != (out / "payments.csv").read_bytes()


def test_the_data_has_what_the_rules_are_about(demo):
    out, summary = demo
    assert summary.fiscal_years == [2024, 2025] and summary.as_of == "2025-11-30"
    assert (
        summary.prepayments > 0 and summary.refunds > 0 and summary.corrections > 0 and summary.agreements > 0
    )
    payments = (out / "payments.csv").read_text(encoding="utf-8")
    for channel in ("transfer", "bank", "konbini", "counter", "prepayment", "refund"):
        assert f",{channel}," in payments
    dues = {line.split(",")[4][5:] for line in (out / "assessments.csv").read_text().splitlines()[1:]}
    assert dues <= {
        "06-30",
        "07-31",
        "08-31",
        "09-30",
        "10-31",
        "11-30",
        "12-31",
        "01-31",
        "02-28",
        "02-29",
        "03-31",
    }


@pytest.mark.django_db
def test_the_files_import_cleanly_and_foreign_headed_households_pay_less(demo, municipality):
    out, summary = demo
    for name, kind in (
        ("residents.csv", "residents"),
        ("assessments.csv", "assessments"),
        ("payments.csv", "payments"),
    ):
        batch = import_csv(municipality, kind, (out / name).read_bytes(), filename=name)
        assert batch.status in (BatchStatus.IMPORTED, BatchStatus.NEEDS_ATTENTION), (
            name,
            batch.rejection_reason,
        )
    call_command(
        "import_agreements",
        str(out / "instalment_agreements.csv"),
        "--lg-code",
        municipality.lg_code,
        stdout=StringIO(),
    )
    assert InstalmentAgreement.objects.count() == summary.agreements
    rates = {
        y.fiscal_year: y
        for y in selectors.collection_rates(municipality_id=municipality.pk, today=date(2025, 11, 30))
    }
    done = rates[2024]
    assert (
        0.85 < done.rate_all < 0.97
        and 0.45 < done.rate_foreign < 0.8
        and done.rate_foreign < done.rate_all - 0.15
    )
    assert engine.arrears_by_household(municipality_id=municipality.pk, as_of=date(2025, 11, 30))
