"""A small municipality with foreign insured people in and out of arrears, for the linkage tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from arrears.models import InstalmentAgreement
from enrollment.models import Resident, ResidentStatus
from tests.factories import NhiMembershipFactory, ResidentFactory
from tests.receipts.helpers import assess, pay

AS_OF = date(2025, 11, 1)  # instalments 1-5 of FY2025 are due
ARREARS_HH = "10000000001"  # Vietnamese head, nothing paid
AGREEMENT_HH = "10000000010"  # Filipino head, arrears of FY2024, an agreement kept
PAID_HH = "10000000020"  # Indonesian head, everything paid


@dataclass
class Town:
    head: Resident  # flagged
    spouse: Resident  # flagged (a member of the household in arrears)
    japanese: Resident  # never listed
    moved_out: Resident  # excluded: not in the register any more
    agreement_head: Resident  # excluded: agreement honoured
    paid_head: Resident  # not listed


def member(
    municipality, code: str, household: str, *, nationality="VN", status=ResidentStatus.RESIDENT, **values
):
    person = ResidentFactory(
        municipality=municipality, resident_code=code, nationality=nationality, status=status,
        household_head_code=household, **values,
    )  # fmt: skip
    NhiMembershipFactory(
        municipality=municipality,
        resident_code=code,
        household_head_code=household,
        acquired_date=date(2024, 4, 1),
    )
    return person


def town(municipality) -> Town:
    t = Town(
        head=member(municipality, ARREARS_HH, ARREARS_HH, name_alpha="NGUYEN VAN AN"),
        spouse=member(municipality, "10000000002", ARREARS_HH, name_alpha="TRAN THI BINH", sex="F"),
        japanese=member(
            municipality,
            "10000000003",
            ARREARS_HH,
            nationality="JP",
            name_alpha="",
            name_kana="ヤマダ ハナコ",
        ),
        moved_out=member(
            municipality,
            "10000000004",
            ARREARS_HH,
            status=ResidentStatus.MOVED_OUT,
            name_alpha="LE VAN CUONG",
        ),
        agreement_head=member(
            municipality, AGREEMENT_HH, AGREEMENT_HH, nationality="PH", name_alpha="SANTOS MARIA"
        ),
        paid_head=member(municipality, PAID_HH, PAID_HH, nationality="ID", name_alpha="BUDI SANTOSO"),
    )
    assess(municipality, ARREARS_HH)
    assess(municipality, AGREEMENT_HH, fiscal_year=2024, amounts=(10_000,) * 4)
    assess(municipality, PAID_HH)
    for k in range(1, 6):
        pay(municipality, PAID_HH, instalment=k, amount=10_000, on=date(2025, 5 + k, 25))
    InstalmentAgreement.objects.create(
        municipality=municipality, household_head_code=AGREEMENT_HH, agreed_on=date(2025, 6, 1),
        first_due_date=date(2025, 6, 30), monthly_amount=5_000, months=8,
    )  # fmt: skip
    for month in range(6, 11):  # five agreed payments, each on time
        pay(
            municipality,
            AGREEMENT_HH,
            fiscal_year=2024,
            instalment=1,
            amount=5_000,
            on=date(2025, month, 28),
            channel="counter",
        )
    return t
