"""Candidate generation: one wrong field never loses the true person, and blocks stay small
(enrollment.matching.blocking, MatchIndex)."""

from __future__ import annotations

from datetime import date

import pytest

from bench.engine_micro import build_population
from enrollment.matching import MatchIndex, record_features, record_keys, resident_features, resident_keys

ADDRESS = "東京都小金井市本町1丁目2番3号 コーポ本町101"
MOVED = "東京都小金井市緑町5丁目1番1号"
BIRTH = date(1995, 4, 12)


def isa(name="NGUYEN VAN AN", *, birth=BIRTH, address=ADDRESS):
    return record_features(
        record_id="isa-1", name=name, lg_code="132101", address=address, sex="M", birth_date=birth
    )


def register(name="NGUYEN VAN AN", *, birth=BIRTH, address=ADDRESS):
    return resident_features(
        resident_id="r-1", name_alpha=name, name_kana="グエン ヴァン アン", sex="M", birth_date=birth,
        lg_code="132101", address=address,
    )  # fmt: skip


def shares_a_key(record, resident):
    return bool(set(record_keys(record)) & set(resident_keys(resident)))


@pytest.mark.parametrize(
    "record",
    [
        isa(),
        isa("NGUYEM VAN AN"),  # name typo
        isa("NGUYEM VAN AN", address=MOVED),  # name typo, moved
        isa("NGUYENVAN AN", address=MOVED),  # merged spacing, moved
        isa("AN NGUYEN VAN", address=MOVED),  # order swapped, moved
        isa("NGUYEN AN", address=MOVED),  # middle name missing, moved
        isa("NGUY?N V?N ?N", address=MOVED),  # every word lost a letter in CP932
        isa(birth=date(1995, 4, 13), address=MOVED),  # birth date digit, moved
        isa(birth=date(1985, 4, 12), address=MOVED),  # birth year digit, moved
        isa(birth=date(1995, 12, 4), address=MOVED),  # day and month swapped, moved
        isa("NGUYENVAN AN", birth=date(1995, 4, 13), address=MOVED),  # spacing and birth date, moved
        isa("NGUYEM VAN AM", birth=date(1995, 4, 13)),  # name typo and birth date, not moved
        isa("XXXXX", birth=BIRTH),  # name unreadable, not moved
        isa(birth=None, address=MOVED),  # no birth date, moved
    ],
)
def test_one_wrong_field_does_not_lose_the_true_person(record):
    assert shares_a_key(record, register())


def test_residents_without_a_latin_name_are_never_candidates():
    assert resident_keys(register(name="")) == []
    assert resident_keys(register(name="山田太郎")) == []


def test_common_name_words_appear_only_together_with_a_birth_date_or_block_address():
    for key in resident_keys(register()):
        kind, _, rest = key.partition(":")
        assert kind in {"d", "y", "m", "a", "b", "n"}
        if kind in {"d", "a"}:
            assert any(ch.isdigit() for ch in rest.split(":")[0]), key


def test_the_name_only_key_is_looked_up_for_records_without_a_birth_date_only():
    assert not any(k.startswith("n:") for k in record_keys(isa()))
    assert any(k.startswith("n:") for k in record_keys(isa(birth=None)))


def test_oversized_blocks_are_skipped():
    namesakes = [
        resident_features(resident_id=i, name_alpha="NGUYEN THI HUONG", sex="F", birth_date=date(1990, 1, 1 + i % 28),
                          lg_code="132101", address=f"小金井市本町1-{i % 30 + 1}-{i % 7 + 1}")
        for i in range(30)
    ]  # fmt: skip
    index = MatchIndex(namesakes, max_block_size=20)
    no_date = record_features(record_id="x", name="NGUYEN THI HUONG", lg_code="132101", address=MOVED, sex="F",
                              birth_date=None)  # fmt: skip
    assert index.candidates(no_date) == []  # the n: block holds 30 > 20
    assert index.name_count(no_date) == 30
    dated = record_features(record_id="y", name="NGUYEN THI HUONG", lg_code="132101", address=MOVED, sex="F",
                            birth_date=date(1990, 1, 5))  # fmt: skip
    assert {c.key for c in index.candidates(dated)} == {"4"}


def test_blocks_stay_small_on_a_synthetic_register():
    residents, records, truth = build_population(20_000, 500, seed=3)
    index = MatchIndex(residents)
    largest = index.block_sizes()
    assert max(largest[k] for k in "dymb") <= 20
    found = sum(1 for r in records if truth[r.key] and truth[r.key] in {c.key for c in index.candidates(r)})
    assert found / sum(1 for v in truth.values() if v) >= 0.995
