"""The columnar engine gives the levels, scores and decisions of the scalar reference, record for
record (enrollment.matching.columnar against comparisons.comparison_vector, engine.score_candidates
and engine.match_record)."""

from __future__ import annotations

import random
from datetime import date

import numpy as np
import pytest

from bench.engine_micro import build_population
from enrollment.matching import MatchIndex, Thresholds, match_record, record_features, resident_features
from enrollment.matching.columnar import chunk_levels, match_chunk, pair_levels
from enrollment.matching.comparisons import comparison_vector
from enrollment.matching.decision import ENROLLMENT_LETTER, WITHDRAWAL_LETTER, LetterContext
from enrollment.matching.engine import score_candidates
from enrollment.matching.scoring import DEFAULT_MODEL, ScoringModel
from tests.unit import test_matching_comparisons as fixtures

NAMES = [
    "NGUYEN VAN AN", "NGUYEN VAN ANH", "NGUYEN THI THANH", "NGUYEN THU THANH", "TRAN VAN BINH", "TRANBINH",
    "TRAN BINH", "LE THI HUONG", "PHAM THI LIEN", "PHAM THI LEN", "SUPRIYADI", "SUPRI YADI", "WATI",
    "WATI RAHAYU", "MARIA DELA CRUZ", "MARIA DELACRUZ", "SALAZAR MARIBEL DELA CRUZ", "HTAR CHO", "HTAR CHU",
    "ZAW ZAW", "AUNG KYAW MIN", "AUNG KYAW", "KYAW AUNG MIN", "LI IL", "LI WEI", "IL WEI", "JOHN SMITH",
    "JOHX SMITH", "JOHN SMIHT", "HOLLIE BISHOP", "CAITLIN BISHOP", "NGUY?N V?N AN", "NGUY?N VAN ANH",
    "NGUYENVAN ANN", "NGUYENVAN AN", "AN NGUYEN VAN", "NGUYEN NGUYEN AN", "SITI NUR", "NUR SITI RAHMAN",
    "MUHAMMAD RIZKI FAJAR PRATAMA", "MUHAMMAD RIZKY FAJAR PRATAMA", "DEWI", "DEWY", "GURUNG RAM",
    "GURUNG RAM BAHADUR", "THAPA SITA", "", "A", "AB CD", "ABCD", "DELOS SANTOS JOSE", "DELOSSANTOS JOSE",
]  # fmt: skip
KANA = ["", "グエン ヴァン アン", "ヤマダ タロウ", "チャン ヴァン ビン", "アウン チョー", "ワティ", "ぐえん"]
ALIASES = ["", "グエン・ヴァン・アン", "山田太郎", "NGUYEN AN", "ジョン"]
ADDRESSES = [
    "", "東京都小金井市本町1丁目2番3号 コーポ本町101", "小金井市本町1-2-3 コーポ本町101号室", "本町1-2-3-101",
    "東京都小金井市本町1-2-3", "東京都小金井市本町1-2-3 コーポ本町102", "東京都小金井市本町1-5-8",
    "東京都小金井市本町3-2-3 コーポ本町101", "東京都小金井市緑町1-2-3 コーポ本町101", "中本町1-2-3",
    "横浜市中区山下町2-3", "山下町2-3", "横浜市港北区日吉1-1-1 ハイツ日吉201", "日吉1-1-1 201", "緑町",
    # Similarity exactly 0.85 (block_close's cutoff): rapidfuzz's score_cutoff decides where it falls.
    "小金井市旭町2-21-10 412", "小金井市旭町2-21-10 メゾン本 7412",
]  # fmt: skip
LG_CODES = ["132101", "131016", "141046", "141097", "141003", "271004", "", "141500"]
STATUSES = ["resident", "resident", "moved_out", "left_japan", "died"]
BIRTHS = [date(1995, 4, 12), date(1995, 4, 13), date(1959, 4, 12), date(1995, 12, 4), date(1995, 9, 30),
          date(1988, 1, 30), date(1995, 4, 21), None]  # fmt: skip


def _varied(seed: int, count: int):
    """Records and residents drawn from the lists above: typos, missing parts, '?' letters, kana,
    other sex, other municipality and ward, statuses, missing values."""
    rng = random.Random(seed)
    records, residents = [], []
    for i in range(count):
        records.append(record_features(
            record_id=i, name=rng.choice(NAMES), lg_code=rng.choice(LG_CODES), address=rng.choice(ADDRESSES),
            sex=rng.choice(["M", "F", "1", "2", "", "?"]), birth_date=rng.choice(BIRTHS),
            problems=rng.choice([(), (), ("sex",), ("birth_date",)]),
        ))  # fmt: skip
        residents.append(resident_features(
            resident_id=10_000 + i, name_alpha=rng.choice(NAMES), name_kana=rng.choice(KANA),
            name_kanji=rng.choice(ALIASES), sex=rng.choice(["M", "F", ""]), birth_date=rng.choice(BIRTHS),
            lg_code=rng.choice(LG_CODES), address=rng.choice(ADDRESSES), status=rng.choice(STATUSES),
        ))  # fmt: skip
    return records, residents


def _fixture_pairs():
    """The scalar tests' own cases (tests/unit/test_matching_comparisons.py), as feature pairs."""
    pairs = []
    for isa_name, register_name, _ in fixtures.test_name_levels.pytestmark[0].args[1]:
        pairs.append((fixtures.isa(isa_name), fixtures.register(register_name)))
    for isa_birth, _ in fixtures.test_birth_date_levels.pytestmark[0].args[1]:
        pairs.append((fixtures.isa(birth=isa_birth), fixtures.register()))
    for isa_address, register_address, _ in fixtures.test_address_levels.pytestmark[0].args[1]:
        pairs.append((fixtures.isa(address=isa_address), fixtures.register(address=register_address)))
    return pairs


def _all_pairs(records, residents):
    ri, si = np.divmod(np.arange(len(records) * len(residents)), len(residents))
    return ri, si


def test_levels_equal_the_scalar_ones_on_every_pair_of_a_varied_corpus():
    records, residents = _varied(seed=3, count=260)
    ri, si = _all_pairs(records, residents)
    columnar = chunk_levels(records, residents, ri, si)
    scalar = np.array([comparison_vector(records[a], residents[b]) for a, b in zip(ri, si, strict=True)])
    assert columnar.levels.shape == scalar.shape == (len(ri), 6)
    differ = np.flatnonzero((columnar.levels != scalar).any(1))
    assert [(records[ri[p]].name, residents[si[p]].name) for p in differ[:5]] == []
    # Most name pairs are settled by the token matrices; the rest by compare_name itself.
    assert columnar.fallback < 0.2 * len(ri)


def test_levels_equal_the_scalar_ones_on_the_comparison_tests_cases():
    pairs = _fixture_pairs()
    assert pair_levels(pairs).tolist() == [list(comparison_vector(a, b)) for a, b in pairs]


def test_levels_equal_the_scalar_ones_on_a_synthetic_registers_candidates():
    residents, records, _ = build_population(6_000, 600, seed=11)
    index = MatchIndex(residents)
    pairs = [(record, candidate) for record in records for candidate in index.candidates(record)]
    rng = random.Random(2)
    pairs += [(rng.choice(records), rng.choice(residents)) for _ in range(5_000)]
    assert pair_levels(pairs).tolist() == [list(comparison_vector(a, b)) for a, b in pairs]


def test_an_empty_chunk_has_no_levels():
    assert pair_levels([]).shape == (0, 6)


def _fitted_model() -> ScoringModel:
    """A model whose weights differ from the seed's (as a run's fit would), with a real prior."""
    params = {"name": {"token": (0.05, 0.04)}, "address": {"town_chome": (0.03, 0.002)}}
    return ScoringModel(params, prior=-12.0, matched_share=0.85, info={"source": "test"})


@pytest.mark.parametrize("model", [DEFAULT_MODEL, _fitted_model()], ids=["seed", "fitted"])
def test_scores_and_decisions_equal_the_scalar_engines_record_for_record(model):
    residents, records, _ = build_population(6_000, 600, seed=11)
    extra_records, extra_residents = _varied(seed=9, count=200)
    residents = [*residents, *extra_residents]
    index = MatchIndex(residents)
    records = [*records, *extra_records]
    rng = random.Random(4)
    candidates = []
    for record in records:
        found = index.candidates(record)
        found += rng.sample(extra_residents, 3)  # unblocked look-alikes too
        found += found[:1]  # a resident found by two keys counts once
        candidates.append(found)
    insured = frozenset(r.key for r in rng.sample(residents, 800))
    letters = [LetterContext(kind=rng.choice([ENROLLMENT_LETTER, WITHDRAWAL_LETTER]), insured=insured)
               for _ in records]  # fmt: skip
    counts = [index.name_count(r) for r in records]
    thresholds = Thresholds(auto=0.99)
    chunk = match_chunk(
        records, candidates, thresholds=thresholds, model=model, name_counts=counts, population=index.size,
        letters=letters,
    )  # fmt: skip
    assert len(chunk.decisions) == len(records)
    for record, found, count, letter, decision in zip(records, candidates, counts, letters, chunk.decisions,
                                                      strict=True):  # fmt: skip
        expected = match_record(record, found, thresholds=thresholds, model=model, name_count=count,
                                population=index.size, letters=letter)  # fmt: skip
        # Equal decisions: outcome, reasons, probabilities, stake, and the shown candidates' exact
        # scores and explanations.
        assert decision == expected, record.name
        assert decision.to_dict() == expected.to_dict()
    outcomes = {d.outcome for d in chunk.decisions}
    assert outcomes == {"auto_match", "review", "no_match"}


def test_scores_equal_the_scalar_ones_to_the_last_bit():
    residents, records, _ = build_population(3_000, 300, seed=5)
    index = MatchIndex(residents)
    model = _fitted_model()
    compared = 0
    for record in records[:100]:
        found = index.candidates(record)
        if not found:
            continue
        chunk = match_chunk([record], [found], thresholds=Thresholds(), model=model,
                            name_counts=[index.name_count(record)], population=index.size,
                            letters=[LetterContext()], explain_top=len(found))  # fmt: skip
        scored = score_candidates(record, found, model=model, name_count=index.name_count(record),
                                  population=index.size)  # fmt: skip
        assert sorted((s.resident.key, s.score) for s in scored) == sorted(
            (c.resident_id, c.score) for c in chunk.decisions[0].candidates
        )
        compared += len(found)
    assert compared > 200
