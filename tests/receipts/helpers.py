"""Builders shared by the receipts and arrears tests: CSV files, and households written straight
to the tables."""

from __future__ import annotations

from datetime import date

from receipts.intake import assessments_make_current
from receipts.models import Assessment, Payment
from tests.intake.helpers import run_import

ASSESSMENT_HEADER = "household_head_code,fiscal_year,instalment,amount,due_date"
PAYMENT_HEADER = "household_head_code,fiscal_year,instalment,amount,paid_date,channel"

HH = "10000000001"  # a household head's resident code
FY = 2025


def csv_bytes(header: str, rows: list[str], *, encoding: str = "utf-8", newline: str = "\n") -> bytes:
    return (newline.join([header, *rows]) + newline).encode(encoding)


def month_end(year: int, month: int) -> date:
    from calendar import monthrange

    return date(year, month, monthrange(year, month)[1])


def due_dates(fiscal_year: int = FY, count: int = 10) -> list[date]:
    """June … March: the usual ten due dates (納期限) at month ends."""
    months = [(fiscal_year, m) for m in range(6, 13)] + [(fiscal_year + 1, m) for m in (1, 2, 3)]
    return [month_end(y, m) for y, m in months[:count]]


def assess(municipality, code: str = HH, *, fiscal_year: int = FY, amounts=(10_000,) * 10, dues=None) -> None:
    dues = dues or due_dates(fiscal_year, len(amounts))
    Assessment.objects.bulk_create(
        Assessment(
            municipality=municipality,
            household_head_code=code,
            fiscal_year=fiscal_year,
            instalment=k,
            amount=amount,
            due_date=due,
            is_current=True,
        )
        for k, (amount, due) in enumerate(zip(amounts, dues, strict=True), start=1)
    )


def correct(
    municipality, code: str, *, fiscal_year: int = FY, instalment: int, amount: int, due: date | None = None
):
    current = Assessment.objects.get(
        municipality=municipality,
        household_head_code=code,
        fiscal_year=fiscal_year,
        instalment=instalment,
        is_current=True,
    )
    row = Assessment.objects.create(
        municipality=municipality, household_head_code=code, fiscal_year=fiscal_year, instalment=instalment,
        amount=amount, due_date=due or current.due_date, is_current=False,
    )  # fmt: skip
    assessments_make_current(batch_id=None, municipality_id=municipality.pk, ids=[row.pk])


def pay(
    municipality,
    code: str = HH,
    *,
    instalment: int,
    amount: int,
    on: date,
    fiscal_year: int = FY,
    channel: str = "",
) -> Payment:
    channel = channel or ("refund" if amount < 0 else "bank")
    return Payment.objects.create(
        municipality=municipality, household_head_code=code, fiscal_year=fiscal_year, instalment=instalment,
        amount=amount, paid_date=on, channel=channel,
    )  # fmt: skip


def import_csv(municipality, kind: str, data: bytes, filename: str = "file.csv"):
    return run_import(municipality, data, kind=kind, filename=filename)
