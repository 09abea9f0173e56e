"""Resident register and NHI ledger: upsert with history, snapshot and delta, bad rows kept in
the report and not applied."""

from datetime import date

import pytest

from enrollment.models import NhiMembership, Resident, ResidentEvent, ResidentStatus
from nhi_portal.models import BatchStatus
from tests.intake.builders import ledger_bytes, resident_row, residents_bytes
from tests.intake.helpers import issue_texts, run_import

pytestmark = pytest.mark.django_db


def import_residents(municipality, rows, *, mode="snapshot"):
    return run_import(
        municipality, residents_bytes(rows), kind="residents", filename="residents.csv", mode=mode
    )


def test_register_rows_become_residents(municipality):
    batch = import_residents(
        municipality,
        [
            resident_row("10000000001"),
            resident_row(
                "10000000002",
                name_alpha="",
                name_kana="ヤマダ ハナコ",
                name_kanji="山田花子",
                sex="女",
                nationality="日本",
                residence_status="",
            ),
            resident_row(
                "10000000003", status="国外転出", moved_out_date="2026-09-30", birth_date="平成10年4月12日"
            ),
        ],
    )
    assert batch.status == BatchStatus.IMPORTED, batch.rejection_reason
    assert batch.summary["created"] == 3
    an = Resident.objects.get(resident_code="10000000001")
    assert (an.name_alpha, an.sex, an.birth_date, an.nationality, an.postal_code) == (
        "NGUYEN VAN AN",
        "M",
        date(1998, 4, 12),
        "VN",
        "1840004",
    )
    hanako = Resident.objects.get(resident_code="10000000002")
    assert (hanako.nationality, hanako.sex, hanako.is_foreign) == ("JP", "F", False)
    left = Resident.objects.get(resident_code="10000000003")
    assert left.status == ResidentStatus.LEFT_JAPAN
    assert left.moved_out_date == date(2026, 9, 30)
    # when each person first came from the register is kept on the resident (no event per new row)
    assert set(Resident.objects.values_list("first_batch_id", "last_batch_id")) == {(batch.pk, batch.pk)}
    assert not ResidentEvent.objects.exists()


def test_a_delta_updates_by_resident_code_and_keeps_what_changed(municipality):
    import_residents(
        municipality, [resident_row("10000000001"), resident_row("10000000002", name_alpha="TRAN THI BINH")]
    )
    batch = import_residents(
        municipality,
        [resident_row("10000000001", address="東京都小金井市中町4丁目1番1号", postal_code="1840012")],
        mode="delta",
    )
    assert batch.summary == {"created": 0, "changed": 1, "unchanged": 0, "skipped": 0}
    an = Resident.objects.get(resident_code="10000000001")
    assert an.address == "東京都小金井市中町4丁目1番1号"
    event = ResidentEvent.objects.get(resident=an, kind="changed")
    assert event.changes == {
        "address": ["東京都小金井市本町1丁目2番3号", "東京都小金井市中町4丁目1番1号"],
        "postal_code": ["1840004", "1840012"],
    }
    assert event.batch == batch
    assert Resident.objects.get(resident_code="10000000002").name_alpha == "TRAN THI BINH"


def test_an_unchanged_snapshot_records_nothing_new(municipality):
    rows = [resident_row("10000000001"), resident_row("10000000002")]
    import_residents(municipality, rows)
    batch = import_residents(municipality, rows[::-1], mode="delta")
    assert batch.summary == {"created": 0, "changed": 0, "unchanged": 2, "skipped": 0}
    assert ResidentEvent.objects.filter(kind="changed").count() == 0


def test_snapshot_reports_people_missing_from_it(municipality):
    import_residents(municipality, [resident_row("10000000001"), resident_row("10000000002")])
    batch = import_residents(municipality, [resident_row("10000000001")], mode="snapshot")
    assert batch.summary["not_in_snapshot"] == 1
    assert Resident.objects.count() == 2  # nobody is deleted by a snapshot


def test_bad_register_rows_are_reported_and_not_applied(municipality):
    batch = import_residents(
        municipality,
        [
            resident_row("10000000001"),
            resident_row("1000000000X"),
            resident_row("10000000003", birth_date="2000-02-30"),
            resident_row("10000000004", status="不明"),
            resident_row("10000000001", name_alpha="DUPLICATE"),
        ],
    )
    assert batch.status == BatchStatus.NEEDS_ATTENTION
    assert list(Resident.objects.values_list("resident_code", flat=True)) == ["10000000001"]
    assert Resident.objects.get().name_alpha == "NGUYEN VAN AN"
    texts = issue_texts(batch)
    assert any(t.startswith("3:resident_code:") for t in texts)
    assert any(t.startswith("4:birth_date:") and "存在しない" in t for t in texts)
    assert any(t.startswith("5:status:") for t in texts)
    assert any(t.startswith("6:resident_code:") and "重複" in t and "2行目" in t for t in texts)
    assert batch.summary["skipped"] == 4


def test_register_codes_of_another_municipality_are_refused(municipality):
    batch = import_residents(
        municipality, [resident_row("10000000001", lg_code="131016"), resident_row("10000000002")]
    )
    assert "この自治体" in issue_texts(batch)[0]
    assert list(Resident.objects.values_list("resident_code", flat=True)) == ["10000000002"]


def test_a_register_of_another_municipality_is_refused_whole(municipality):
    batch = import_residents(
        municipality,
        [resident_row("10000000001", lg_code="131016"), resident_row("10000000002", lg_code="131016")],
    )
    assert batch.status == BatchStatus.REJECTED
    assert "2行すべての住所のコードが" in batch.rejection_reason
    assert "別の自治体のファイルのようです" in batch.rejection_reason
    assert not Resident.objects.exists()
    assert not batch.issues.exists()


def test_register_in_cp932_with_japanese_headers(municipality):
    header_map = {"resident_code": "住民票コード", "sex": "性別", "birth_date": "生年月日"}
    data = residents_bytes([resident_row("10000000001")], encoding="cp932", newline="\r\n")
    for english, japanese in header_map.items():
        data = data.replace(english.encode(), japanese.encode("cp932"), 1)
    batch = run_import(municipality, data, kind="residents", filename="r.csv")
    assert batch.status == BatchStatus.IMPORTED, batch.rejection_reason
    assert batch.encoding == "cp932"


def import_ledger(municipality, rows, **kwargs):
    return run_import(municipality, ledger_bytes(rows), kind="nhi_ledger", filename="ledger.csv", **kwargs)


def test_ledger_periods_upsert_by_number_and_acquired_date(municipality):
    first = import_ledger(
        municipality,
        [
            ["20000001", "10000000001", "10000000001", "2025-04-01", "", ""],
            ["20000002", "10000000002", "10000000002", "R7.5.1", "2026-06-30", "社保加入"],
        ],
    )
    assert first.summary["created"] == 2
    second = import_ledger(
        municipality,
        [["20000001", "10000000001", "10000000001", "2025-04-01", "2026-10-15", "社保加入"]],
        mode="delta",
    )
    assert second.summary == {
        "created": 0, "changed": 1, "unchanged": 0, "skipped": 0, "cases_closed_enrolled": 0, "cases_closed_withdrew": 0,
    }  # fmt: skip
    period = NhiMembership.objects.get(insured_number="20000001")
    assert period.lost_date == date(2026, 10, 15)
    assert not period.is_active_on(date(2026, 10, 15))
    assert period.is_active_on(date(2026, 10, 14))


def test_bad_ledger_rows(municipality):
    batch = import_ledger(
        municipality,
        [
            ["20000001", "10000000001", "10000000001", "2025-04-01", "2024-01-01", ""],
            ["", "123", "10000000001", "not a date", "", "=HYPERLINK()"],
        ],
    )
    texts = issue_texts(batch)
    assert any(t.startswith("2:lost_date:") and "前" in t for t in texts)
    assert any(t.startswith("3:insured_number:") for t in texts)
    assert any(t.startswith("3:resident_code:") for t in texts)
    assert any(t.startswith("3:acquired_date:") for t in texts)
    assert any(t.startswith("3:lost_reason:") and "数式" in t for t in texts)
    assert not NhiMembership.objects.exists()


def test_ledger_with_wrong_header_is_rejected(municipality):
    batch = run_import(municipality, b"insured_number,resident_code\n1,2\n", kind="nhi_ledger")
    assert batch.status == BatchStatus.REJECTED
    assert "必要な列がありません" in batch.rejection_reason
