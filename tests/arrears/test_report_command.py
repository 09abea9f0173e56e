"""`manage.py arrears_report --as-of YYYY-MM-DD --out FILE.csv`."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.arrears.builders import AGREEMENT_HH, ARREARS_HH, town
from tests.receipts.helpers import assess, pay

pytestmark = pytest.mark.django_db


def test_one_row_per_household_in_arrears_sorted_by_code(municipality, tmp_path):
    town(municipality)
    assess(municipality, "09999999999")  # a head not in the register: not foreign
    pay(municipality, "09999999999", instalment=1, amount=4_000, on=date(2025, 6, 30))
    out = tmp_path / "arrears.csv"
    stdout = StringIO()
    call_command("arrears_report", "--as-of", "2025-11-01", "--out", str(out), stdout=stdout)
    assert out.read_bytes().decode("utf-8").split("\r\n") == [
        "household_head_code,overdue_instalments,overdue_amount,months_in_arrears,oldest_due_date,foreign",
        "09999999999,5,46000,5,2025-06-30,false",
        f"{ARREARS_HH},5,50000,5,2025-06-30,true",
        f"{AGREEMENT_HH},2,15000,15,2024-08-31,true",
        "",
    ]
    assert "3世帯" in stdout.getvalue() and "SHA-256" in stdout.getvalue()


def test_the_date_is_checked(municipality, tmp_path):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("arrears_report", "--as-of", "2025/11/01", "--out", str(tmp_path / "x.csv"))


def test_nobody_in_arrears_gives_just_the_header(municipality, tmp_path):
    out = tmp_path / "none.csv"
    call_command(
        "arrears_report",
        "--as-of",
        "2025-11-01",
        "--out",
        str(out),
        "--lg-code",
        municipality.lg_code,
        stdout=StringIO(),
    )
    assert (
        out.read_bytes()
        == b"household_head_code,overdue_instalments,overdue_amount,months_in_arrears,oldest_due_date,foreign\r\n"
    )
