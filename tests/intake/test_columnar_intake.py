"""The columnar register and ledger intake: a first load (straight into COPY, indexes built
afterwards) stores the same rows and reports the same problems as the row-by-row upsert into a
register that already holds people; the schema is the same after it, whether it succeeds or is
refused; repeated keys are found across slices."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import IntegrityError, connection, transaction

from enrollment.models import NhiMembership, Resident
from nhi_portal.intake.columns import SeenKeys, first_occurrence
from nhi_portal.models import BatchStatus
from tests.intake.builders import LEDGER_HEADER, ledger_bytes, resident_row, residents_bytes
from tests.intake.helpers import run_import

pytestmark = pytest.mark.django_db

FIELDS = [
    "resident_code", "name_alpha", "name_kana", "name_kanji", "sex", "birth_date", "nationality",
    "residence_status", "address", "postal_code", "household_head_code", "moved_in_date", "moved_out_date",
    "status",
]  # fmt: skip


def register_rows(lg_code: str) -> list[list[str]]:
    """Everyday rows and every kind of bad one, for the municipality `lg_code`."""
    return [
        resident_row("10000000001", lg_code=lg_code),
        resident_row(
            "10000000002",
            lg_code=lg_code,
            name_alpha="ｔｒａｎ　ｔｈｉ　ｂｉｎｈ",
            name_kana="チャン　ティ　ビン",
        ),
        resident_row(
            "10000000003", lg_code=lg_code, address="東京都小金井市本町１－２－３\u3000コーポ本町２０１"
        ),
        resident_row("10000000004", lg_code=lg_code, birth_date="2000-02-30"),  # no such date
        resident_row("10000000005", lg_code=lg_code, status="不明"),
        resident_row("10000000001", lg_code=lg_code, name_alpha="SOMEONE ELSE"),  # repeated code
        resident_row("10000000006", lg_code=lg_code, name_kanji="=cmd|' /C calc'!A0"),
        resident_row("10000000007", lg_code="131016"),  # another municipality's code
        resident_row(
            "10000000008", lg_code=lg_code, name_alpha="Nguyễn Văn An", address="  東京都  小金井市  "
        ),
        resident_row("1000000009", lg_code=lg_code),  # ten digits
    ]


def stored(municipality) -> list[tuple]:
    return sorted(Resident.objects.filter(municipality=municipality).values_list(*FIELDS))


def problems(batch) -> list[tuple]:
    return sorted(batch.issues.values_list("line", "column", "value", "reason", "severity"))


def index_definitions(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s ORDER BY indexname", [table])
        indexes = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
            "ORDER BY conname",
            [table],
        )
        return indexes + [f"{name} {definition}" for name, definition in cursor.fetchall()]


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("the indexes are built after the load on PostgreSQL only")


def test_a_first_load_stores_and_reports_what_the_upsert_does(municipality, other_municipality):
    first = run_import(
        municipality, residents_bytes(register_rows("132101")), kind="residents", mode="snapshot"
    )
    # The other municipality already has someone: its import takes the upsert path.
    run_import(
        other_municipality,
        residents_bytes([resident_row("20000000001", lg_code="131016")]),
        kind="residents",
        filename="seed.csv",
    )
    rows = [[*r[:8], "131016" if r[8] == "132101" else "132101", *r[9:]] for r in register_rows("132101")]
    upserted = run_import(other_municipality, residents_bytes(rows), kind="residents", mode="snapshot")
    assert first.status == upserted.status == BatchStatus.NEEDS_ATTENTION
    theirs = [r for r in stored(other_municipality) if r[0] != "20000000001"]
    assert stored(municipality) == theirs
    assert [r[0] for r in theirs] == ["10000000001", "10000000002", "10000000003", "10000000008"]
    ours_problems = [p for p in problems(first) if p[1] != "lg_code"]
    theirs_problems = [p for p in problems(upserted) if p[1] != "lg_code"]
    assert ours_problems == theirs_problems
    assert any("重複" in p[3] and p[0] == 7 for p in ours_problems)
    assert {k: v for k, v in first.summary.items() if k != "not_in_snapshot"} == {
        k: v for k, v in upserted.summary.items() if k != "not_in_snapshot"
    }


def test_a_first_ledger_load_stores_and_reports_what_the_upsert_does(municipality, other_municipality):
    rows = [
        ["20000001", "10000000001", "10000000001", "2025-04-01", "", ""],
        ["20000002", "10000000002", "10000000001", "2025-04-01", "2025-03-01", "転出"],  # lost first
        ["20000001", "10000000001", "10000000001", "2025-04-01", "", ""],  # the same period again
        ["20000003", "1000000000X", "10000000001", "2025-04-01", "", ""],
        ["20000004", "10000000004", "10000000004", "令和7年4月1日", "令和7年9月30日", "社保加入"],
    ]
    first = run_import(municipality, ledger_bytes(rows), kind="nhi_ledger", filename="ledger.csv")
    run_import(
        other_municipality,
        ledger_bytes([["90000001", "20000000001", "20000000001", "2025-04-01", "", ""]]),
        kind="nhi_ledger",
        filename="seed.csv",
    )
    upserted = run_import(other_municipality, ledger_bytes(rows), kind="nhi_ledger", filename="ledger.csv")
    fields = LEDGER_HEADER  # the file's columns are the model's fields
    ours = sorted(NhiMembership.objects.filter(municipality=municipality).values_list(*fields))
    theirs = sorted(
        NhiMembership.objects.filter(municipality=other_municipality).exclude(insured_number="90000001")
        .values_list(*fields)
    )  # fmt: skip
    assert ours == theirs and len(ours) == 2
    assert problems(first) == problems(upserted)
    assert [p[:2] for p in problems(first)] == [(3, "lost_date"), (4, "insured_number"), (5, "resident_code")]
    assert first.summary["skipped"] == upserted.summary["skipped"] == 3


def test_the_indexes_are_the_same_after_a_first_load(municipality, postgres_only):
    before = index_definitions("enrollment_resident")
    batch = run_import(municipality, residents_bytes(register_rows("132101")), kind="residents")
    assert batch.status == BatchStatus.NEEDS_ATTENTION
    assert index_definitions("enrollment_resident") == before
    assert len(before) >= 5
    # the unique resident code is enforced again
    with pytest.raises(IntegrityError), transaction.atomic():
        Resident.objects.create(municipality=municipality, resident_code="10000000001", lg_code="132101")


def test_the_indexes_are_the_same_after_a_refused_first_load(municipality, postgres_only):
    before = index_definitions("enrollment_resident")
    rows = [resident_row("10000000001", lg_code="131016"), resident_row("10000000002", lg_code="131016")]
    batch = run_import(municipality, residents_bytes(rows), kind="residents")
    assert batch.status == BatchStatus.REJECTED
    assert index_definitions("enrollment_resident") == before
    assert not Resident.objects.exists()


def test_repeated_keys_are_found_across_slices_with_their_first_line():
    rng = np.random.default_rng(7)
    keys = rng.integers(0, 3000, size=20_000)
    lines = np.arange(2, 20_002)
    expected, first_line = [], {}
    for key, line in zip(keys.tolist(), lines.tolist(), strict=True):
        expected.append(first_line.get(key, 0))
        first_line.setdefault(key, line)
    seen = SeenKeys()
    found = np.concatenate(
        [first_occurrence(keys[i : i + 997], lines[i : i + 997], seen) for i in range(0, len(keys), 997)]
    )
    assert found.tolist() == expected
