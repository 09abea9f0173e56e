"""The importer for instalment agreements (分納誓約), registered for the kind "agreements": a file
from the core system (or the demo) goes the one import path, `batch_receive` → `batch_import`,
like every other file: hashed (the same file twice changes nothing), checked whole, and saved
whole or not at all, one line per problem.

Money is strict here as in receipts (an agreement decides whether a household is flagged to the
Immigration Services Agency): one wrong row rejects the file. An agreement already recorded with
the same household, date and terms is left alone; a new one replaces the household's agreement in
force (one at a time)."""

from __future__ import annotations

import pyarrow as pa
from django.utils import timezone

from arrears.models import AgreementStatus, InstalmentAgreement
from nhi_portal.intake.columns import Check
from nhi_portal.intake.table import Column
from nhi_portal.intake.values import date_cell, digits_cell, text_cell
from receipts.intake import ELEVEN_DIGITS, StrictImporter, amount_cell

AGREEMENT_COLUMNS = (
    Column("household_head_code", ("household_head_code", "世帯主住民票コード")),
    Column("agreed_on", ("agreed_on", "誓約日")),
    Column("first_due_date", ("first_due_date", "初回納期限")),
    Column("monthly_amount", ("monthly_amount", "毎月の納付額")),
    Column("months", ("months", "回数")),
    Column("note", ("note", "備考"), required=False),
)
TERMS = ("household_head_code", "agreed_on", "first_due_date", "monthly_amount", "months")


class AgreementImporter(StrictImporter):
    kind = "agreements"
    what = "分納誓約"
    columns = AGREEMENT_COLUMNS

    def _checks(self) -> dict[str, Check]:
        return {
            "household_head_code": Check(
                digits_cell(length=11, label="世帯主の住民票コード"), fast=ELEVEN_DIGITS
            ),
            "agreed_on": Check(date_cell(), pa.date32(), cached=True),
            "first_due_date": Check(date_cell(), pa.date32(), cached=True),
            "monthly_amount": Check(amount_cell, pa.int64(), cached=True),
            "months": Check(amount_cell, pa.int64(), cached=True),
            "note": Check(text_cell, max_length=200),
        }

    def row_problem(self, values: dict) -> tuple[str, str] | None:
        if values["monthly_amount"] <= 0:
            return "monthly_amount", "毎月の納付額は1以上の整数で指定してください"
        if not 0 < values["months"] <= 120:
            return "months", "回数は1〜120で指定してください"
        if values["first_due_date"] < values["agreed_on"]:
            return "first_due_date", "初回の納付期限が誓約日より前です"
        return None

    def prepare(self, *, batch, state: dict) -> None:
        state["rows_by_key"] = {}

    def insert(self, rows, *, batch) -> int:
        # Kept until the file is read whole (finish): a later row for the same household wins.
        return 0

    def check_slice(self, rows, *, found, raw, source, state) -> list:
        for _line, v in rows:
            state["rows_by_key"][tuple(v[name] for name in TERMS)] = v
        return rows

    def finish(self, *, batch, state: dict) -> dict:
        municipality_id = batch.municipality_id
        wanted = state["rows_by_key"]
        households = sorted({key[0] for key in wanted})
        existing = set(
            InstalmentAgreement.objects.for_municipality(municipality_id)
            .filter(household_head_code__in=households)
            .values_list(*TERMS)
        )
        new = [(key, v) for key, v in sorted(wanted.items()) if key not in existing]
        # One agreement in force per household: the newest of the file replaces the one in force.
        in_force = {key[0]: key for key, _ in new}
        now = timezone.now()
        InstalmentAgreement.objects.for_municipality(municipality_id).filter(
            household_head_code__in=list(in_force), status=AgreementStatus.ACTIVE
        ).update(
            status=AgreementStatus.CANCELLED,
            cancelled_at=now,
            cancel_reason=f"新しい分納誓約に置き換え（取込番号 {batch.pk}）",
        )
        InstalmentAgreement.objects.bulk_create(
            InstalmentAgreement(
                municipality_id=municipality_id,
                **{name: v[name] for name in TERMS},
                note=v["note"] or "",
                recorded_at=now,
                **(
                    {"status": AgreementStatus.ACTIVE}
                    if in_force[key[0]] == key
                    else {
                        "status": AgreementStatus.CANCELLED,
                        "cancelled_at": now,
                        "cancel_reason": "同じファイルの新しい分納誓約に置き換え",
                    }
                ),
            )
            for key, v in new
        )
        return {"rows": state.get("rows", 0), "created": len(new), "unchanged": len(wanted) - len(new)}
