"""End to end on a synthetic register, and the stored form of features
(enrollment.matching.engine, features)."""

from __future__ import annotations

from datetime import date

from bench.engine_micro import build_population, evaluate
from enrollment.matching import (
    AUTO_MATCH,
    FIELDS,
    REVIEW,
    Features,
    MatchIndex,
    Thresholds,
    match_record,
    record_features,
    resident_features,
)
from enrollment.matching.comparisons import comparison_vector
from enrollment.matching.engine import estimate_from_index


def test_synthetic_register_precision_first_with_high_recall():
    residents, records, truth = build_population(20_000, 1_000, seed=5)
    result = evaluate(residents, records, truth, Thresholds())
    assert result["precision"] >= 0.999
    assert result["recall"] >= 0.96  # this population is harsher than real data: 8% moved, many twins
    assert result["review_rate"] <= 0.05
    assert result["blocking_recall"] >= 0.995


def test_features_survive_the_stored_columns_unchanged():
    resident = resident_features(
        resident_id="R1", name_alpha="Nguyễn Văn An", name_kana="グエン ヴァン アン", name_kanji="阮文安",
        sex="男", birth_date=date(1995, 4, 12), lg_code="132101",
        address="東京都小金井市本町一丁目2番3号 コーポ本町101号室", status="moved_out",
    )  # fmt: skip
    record = record_features(record_id=7, name="NGUYEN, VAN AN", lg_code="132101", address="本町1-2-3",
                             sex="1", birth_date=None, problems={"birth_date"})  # fmt: skip
    for features in (resident, record):
        stored = features.to_stored()
        assert all(isinstance(v, str) for v in stored.values())
        assert Features.from_stored(stored) == features
    assert comparison_vector(record, Features.from_stored(resident.to_stored())) == comparison_vector(
        record, resident
    )


def test_a_resident_found_by_several_keys_is_scored_once():
    resident = resident_features(resident_id="R1", name_alpha="NGUYEN VAN AN", sex="M", birth_date=date(1995, 4, 12),
                                 lg_code="132101", address="小金井市本町1-2-3")  # fmt: skip
    record = record_features(record_id=1, name="NGUYEN VAN AN", lg_code="132101", address="小金井市本町1-2-3",
                             sex="M", birth_date=date(1995, 4, 12))  # fmt: skip
    decision = match_record(record, [resident, resident, resident])
    assert decision.outcome == AUTO_MATCH
    assert decision.candidate_count == 1


def test_index_matches_many_records():
    residents, records, truth = build_population(3_000, 100, seed=9)
    index = MatchIndex(residents)
    decisions = list(index.match_all(records))
    assert len(decisions) == len(records)
    for decision in decisions:
        if decision.outcome == AUTO_MATCH:
            assert decision.resident_id == truth[decision.record_id]
        if decision.outcome == REVIEW:
            assert decision.resident_id is not None


def test_parameters_estimated_from_the_register_itself_keep_precision():
    residents, records, truth = build_population(20_000, 1_000, seed=6)
    index = MatchIndex(residents)
    estimated = estimate_from_index(index, records, random_pairs=50_000)
    assert estimated.converged
    model = estimated.model()
    weights = dict(zip(FIELDS, model.weights, strict=True))
    assert weights["birth_date"][0] > 8 > 0 > weights["birth_date"][3]  # exact for, disagree against
    assert weights["name"][0] > 8 > 0 > weights["name"][5]
    auto = correct = 0
    for record in records:
        decision = match_record(record, index.candidates(record), model=model, name_count=index.name_count(record),
                                population=index.size)  # fmt: skip
        if decision.outcome == AUTO_MATCH:
            auto += 1
            correct += decision.resident_id == truth[record.key]
    assert correct / auto >= 0.998
    assert correct / sum(1 for v in truth.values() if v) >= 0.95
