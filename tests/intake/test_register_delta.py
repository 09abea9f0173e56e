"""A later register snapshot or delta, applied set-based (COPY into a staging table, SQL diff and
update), stores, reports and records in the history exactly what the row-by-row compare does; a
refused one leaves nothing behind; and the import keeps the matching index up to date for the
residents it touched, and only for them, so the next match run has no index to build."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection

import enrollment.intake.ledger as ledger_module
import enrollment.intake.register as register_module
from enrollment.linking import index
from enrollment.matching import key_hash, resident_features, resident_keys
from enrollment.matching.features import STORED_COLUMNS
from enrollment.models import (
    MatchChunk,
    NhiMembership,
    Resident,
    ResidentEvent,
    ResidentFeatures,
    ResidentMatchKey,
)
from nhi_portal.models import BatchStatus
from tests.intake.builders import LEDGER_HEADER, ledger_bytes, resident_row, residents_bytes
from tests.intake.helpers import run_import
from tests.linking.helpers import decision_of, isa_batch, match

pytestmark = pytest.mark.django_db

FIELDS = [
    "resident_code", "name_alpha", "name_kana", "name_kanji", "sex", "birth_date", "nationality",
    "residence_status", "lg_code", "address", "postal_code", "household_head_code", "moved_in_date",
    "moved_out_date", "status", "first_batch__source_name", "last_batch__source_name",
]  # fmt: skip


def first_snapshot(lg_code: str) -> list[list[str]]:
    return [
        resident_row("10000000001", lg_code=lg_code),
        resident_row(
            "10000000002",
            lg_code=lg_code,
            name_alpha="TRAN THI BINH",
            sex="2",
            birth_date="2000-01-05",
            name_kana="チャン ティ ビン",
        ),
        resident_row(
            "10000000003",
            lg_code=lg_code,
            name_alpha="SITI RAHAYU",
            sex="2",
            birth_date="1999-07-20",
            address="東京都小金井市前原町3丁目1番5号",
        ),
        resident_row(
            "10000000004",
            lg_code=lg_code,
            name_alpha="",
            name_kanji="山田 太郎",
            nationality="JP",
            birth_date="1980-05-05",
        ),
        resident_row("10000000005", lg_code=lg_code, name_alpha="SANTOS MARIA", birth_date="1995-03-09"),
        resident_row("10000000006", lg_code=lg_code, name_alpha="KIM MIN JUN", birth_date="1990-10-10"),
    ]


def second_snapshot(lg_code: str) -> list[list[str]]:
    """Same people: one moved, one renamed, one lost the Latin name, one gained one, one left
    the snapshot, one unchanged; a new person; rows with errors (applied to nobody)."""
    return [
        resident_row(
            "10000000001", lg_code=lg_code, address="東京都小金井市中町4丁目1番1号", postal_code="1840012"
        ),
        resident_row(
            "10000000002",
            lg_code=lg_code,
            name_alpha="TRAN THI BICH",
            sex="2",
            birth_date="2000-01-05",
            name_kana="チャン ティ ビン",
            status="転出",
            moved_out_date="2026-09-30",
        ),
        resident_row(
            "10000000003",
            lg_code=lg_code,
            name_alpha="",
            sex="2",
            birth_date="1999-07-20",
            address="東京都小金井市前原町3丁目1番5号",
        ),
        resident_row(
            "10000000004",
            lg_code=lg_code,
            name_alpha="YAMADA TARO",
            name_kanji="山田 太郎",
            nationality="JP",
            birth_date="1980-05-05",
        ),
        resident_row("10000000005", lg_code=lg_code, name_alpha="SANTOS MARIA", birth_date="1995-03-09"),
        resident_row("10000000007", lg_code=lg_code, name_alpha="PHAM VAN DUC", birth_date="2001-02-03"),
        resident_row("10000000008", lg_code=lg_code, birth_date="2000-02-30"),  # no such date
        resident_row("10000000005", lg_code=lg_code, name_alpha="SOMEONE ELSE"),  # repeated code
        resident_row("10000000009", lg_code=lg_code, status="不明"),
    ]


def stored(municipality) -> list[tuple]:
    return sorted(Resident.objects.filter(municipality=municipality).values_list(*FIELDS))


def events(municipality) -> list[tuple]:
    return sorted(
        ResidentEvent.objects.filter(resident__municipality=municipality).values_list(
            "resident__resident_code", "batch__source_name", "kind", "changes"
        ),
        key=repr,
    )


def problems(batch) -> list[tuple]:
    return sorted(batch.issues.values_list("line", "column", "value", "reason", "severity"))


def import_register(municipality, rows, *, filename, mode="snapshot"):
    return run_import(municipality, residents_bytes(rows), kind="residents", filename=filename, mode=mode)


def second_snapshot_of(municipality) -> tuple:
    """The two snapshots imported into `municipality`: what is stored, recorded and reported (its
    municipality code left out, so two municipalities compare)."""
    lg = municipality.lg_code
    import_register(municipality, first_snapshot(lg), filename="first.csv")
    batch = import_register(municipality, second_snapshot(lg), filename="second.csv")
    assert batch.status == BatchStatus.NEEDS_ATTENTION
    fields = [f for f in FIELDS if f != "lg_code"]
    rows = sorted(Resident.objects.filter(municipality=municipality).values_list(*fields))
    return rows, events(municipality), problems(batch), batch.summary


def test_a_second_snapshot_set_based_equals_the_row_by_row_compare(
    municipality, other_municipality, monkeypatch
):
    ours = second_snapshot_of(municipality)
    monkeypatch.setattr(register_module, "set_based", lambda: False)  # the row-by-row reference
    assert second_snapshot_of(other_municipality) == ours

    summary = ours[3]
    assert summary == {"created": 1, "changed": 4, "unchanged": 1, "skipped": 3, "not_in_snapshot": 1}
    changes = {code: change for code, name, kind, change in ours[1] if name == "second.csv"}
    assert changes["10000000001"] == {
        "address": ["東京都小金井市本町1丁目2番3号", "東京都小金井市中町4丁目1番1号"],
        "postal_code": ["1840004", "1840012"],
    }
    assert changes["10000000002"] == {
        "name_alpha": ["TRAN THI BINH", "TRAN THI BICH"],
        "status": ["resident", "moved_out"],
        "moved_out_date": [None, "2026-09-30"],
    }
    assert set(changes) == {"10000000001", "10000000002", "10000000003", "10000000004"}


def test_a_refused_delta_leaves_the_register_its_history_and_its_index_as_they_were(municipality):
    lg = municipality.lg_code
    import_register(municipality, first_snapshot(lg), filename="first.csv")
    before = (stored(municipality), events(municipality), index_rows(municipality))
    # Every row carries another municipality's code: refused whole, after the rows were staged
    # and applied (the refusal comes at the end of the file), so the transaction undoes them.
    batch = import_register(municipality, second_snapshot("131016"), filename="refused.csv", mode="delta")
    assert batch.status == BatchStatus.REJECTED
    assert (stored(municipality), events(municipality), index_rows(municipality)) == before


def test_a_later_ledger_set_based_equals_the_row_by_row_compare(
    municipality, other_municipality, monkeypatch
):
    first = [
        ["20000001", "10000000001", "10000000001", "2025-04-01", "", ""],
        ["20000002", "10000000002", "10000000001", "2025-04-01", "", ""],
        ["20000003", "10000000003", "10000000003", "2024-04-01", "2025-03-31", "社保加入"],
    ]
    second = [
        ["20000001", "10000000001", "10000000001", "2025-04-01", "", ""],  # unchanged
        ["20000002", "10000000002", "10000000001", "2025-04-01", "2026-09-30", "転出"],  # lost
        ["20000004", "10000000004", "10000000004", "2026-04-01", "", ""],  # new
        ["20000005", "10000000005", "10000000005", "2026-04-01", "2026-03-01", ""],  # lost first
        ["20000001", "10000000001", "10000000001", "2025-04-01", "", ""],  # the same period again
    ]

    def run(where) -> tuple:
        run_import(where, ledger_bytes(first), kind="nhi_ledger", filename="first.csv")
        batch = run_import(where, ledger_bytes(second), kind="nhi_ledger", filename="second.csv")
        rows = sorted(
            NhiMembership.objects.filter(municipality=where).values_list(
                *LEDGER_HEADER, "last_batch__source_name"
            )
        )
        return rows, problems(batch), batch.summary

    ours = run(municipality)
    monkeypatch.setattr(ledger_module, "set_based", lambda: False)
    assert run(other_municipality) == ours
    assert {k: ours[2][k] for k in ("created", "changed", "unchanged", "skipped")} == {
        "created": 1, "changed": 1, "unchanged": 1, "skipped": 2,
    }  # fmt: skip


# --- the matching index, kept up to date by the import ------------------------------------------


def index_rows(municipality) -> dict[str, tuple]:
    """Each indexed resident's stored features (with the time they were computed) and key hashes."""
    features = {
        row[0]: row[1:]
        for row in ResidentFeatures.objects.filter(municipality=municipality).values_list(
            "resident__resident_code", "source_updated_at", *STORED_COLUMNS
        )
    }
    keys: dict[str, set[int]] = {}
    for code, key in ResidentMatchKey.objects.filter(municipality=municipality).values_list(
        "resident__resident_code", "key"
    ):
        keys.setdefault(code, set()).add(key)
    return {code: (values, frozenset(keys.get(code, ()))) for code, values in features.items()}


def row_versions(municipality) -> dict[str, int]:
    """PostgreSQL's row version (xmin) of each resident's features row: a rewritten row has a new one."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.resident_code, f.xmin::text::bigint FROM enrollment_residentfeatures f "
            "JOIN enrollment_resident r ON r.id = f.resident_id WHERE f.municipality_id = %s",
            [municipality.pk],
        )
        return dict(cursor.fetchall())


def expected_index(municipality) -> dict[str, tuple]:
    """What resident_features / resident_keys give for the register as it is now."""
    out = {}
    for person in Resident.objects.filter(municipality=municipality).exclude(name_alpha=""):
        features = resident_features(
            resident_id=person.pk, name_alpha=person.name_alpha, name_kana=person.name_kana,
            name_kanji=person.name_kanji, sex=person.sex, birth_date=person.birth_date,
            lg_code=person.lg_code, address=person.address, status=person.status,
        )  # fmt: skip
        stored_features = features.to_stored()
        out[person.resident_code] = (
            (person.updated_at, *(stored_features[c] for c in STORED_COLUMNS)),
            frozenset(key_hash(k) for k in resident_keys(features)),
        )
    return out


def test_the_import_indexes_the_residents_it_touched_and_only_them(municipality):
    lg = municipality.lg_code
    import_register(municipality, first_snapshot(lg), filename="first.csv")
    first = index_rows(municipality)
    assert first == expected_index(municipality)
    assert set(first) == {"10000000001", "10000000002", "10000000003", "10000000005", "10000000006"}
    assert not index.stale_residents(municipality.pk).exists()  # the cold build has nothing to do
    versions = row_versions(municipality) if connection.vendor == "postgresql" else {}

    import_register(municipality, second_snapshot(lg), filename="second.csv")
    second = index_rows(municipality)
    assert second == expected_index(municipality)
    assert not index.stale_residents(municipality.pk).exists()
    # changed (01, 02), lost the Latin name (03: no longer a candidate), gained one (04), new (07)
    assert set(second) == {"10000000001", "10000000002", "10000000004", "10000000005", "10000000006",
                           "10000000007"}  # fmt: skip
    touched = {"10000000001", "10000000002", "10000000004", "10000000007"}
    for code in second.keys() - touched:  # unchanged (05) and not in the snapshot (06): untouched
        assert second[code] == first[code]
    for code in touched & first.keys():
        assert second[code] != first[code]
    if versions:
        after = row_versions(municipality)
        assert {c for c in after if after[c] != versions.get(c)} == touched


def test_matching_after_a_delta_finds_the_changed_resident_by_the_new_values(municipality):
    lg = municipality.lg_code
    import_register(municipality, first_snapshot(lg), filename="first.csv")
    import_register(
        municipality,
        [
            resident_row(
                "10000000006",
                lg_code=lg,
                name_alpha="KIM SOO YEON",
                sex="2",
                birth_date="1991-11-11",
                address="東京都小金井市緑町5丁目6番7号",
            )
        ],
        filename="delta.csv",
        mode="delta",
    )
    person = Resident.objects.get(municipality=municipality, resident_code="10000000006")
    batch = isa_batch(
        municipality,
        [
            {
                "name": "KIM SOO YEON",
                "sex": "F",
                "birth_date": date(1991, 11, 11),
                "address": "東京都小金井市緑町5丁目6番7号",
            }
        ],
    )
    run = match(batch)
    assert decision_of(batch).resident_id == person.pk
    assert decision_of(batch).outcome == "auto_match"
    # the register import had indexed the change: the run had no index stage of its own
    assert not MatchChunk.objects.filter(run=run, kind=MatchChunk.Kind.INDEX).exists()
