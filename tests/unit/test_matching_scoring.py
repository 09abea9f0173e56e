"""Fellegi–Sunter weights, the name-frequency adjustment and EM estimation of m and u
(enrollment.matching.scoring)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from enrollment.matching.comparisons import COMPARISONS
from enrollment.matching.scoring import (
    DEFAULT_MODEL,
    DEFAULT_PARAMS,
    TF_MAX_BOOST,
    ScoringModel,
    estimate_parameters,
    estimate_u,
)


def test_each_level_weighs_log2_m_over_u_and_missing_weighs_nothing():
    for i, comparison in enumerate(COMPARISONS):
        for j, level in enumerate(comparison.levels):
            if level == "missing":
                assert DEFAULT_MODEL.weights[i][j] == 0
            else:
                m, u = DEFAULT_PARAMS[comparison.field][level]
                assert DEFAULT_MODEL.weights[i][j] == pytest.approx(math.log2(m / u))


def test_default_weights_fall_from_the_best_level_to_the_worst():
    for i, comparison in enumerate(COMPARISONS):
        # "moved_away" is not a weaker agreement of the codes but their agreement with the register
        # status (転出 and an ISA address elsewhere): it stands outside the order.
        weights = [w for w, level in zip(DEFAULT_MODEL.weights[i][:-1], comparison.levels, strict=False)
                   if level != "moved_away"]  # fmt: skip
        assert list(weights) == sorted(weights, reverse=True), comparison.field
    lg = COMPARISONS[3]
    assert DEFAULT_MODEL.weight("lg_code", "moved_away") > 0 > DEFAULT_MODEL.weight("lg_code", "disagree")
    assert lg.field == "lg_code"


def test_a_sex_disagreement_weighs_about_as_much_as_an_exact_name():
    # Failure class 1 of the matching issue: a sex disagreement used to cost 4.6 bits against ~25 for
    # name and birth date. Both files take the sex from the same residence card.
    assert DEFAULT_MODEL.weight("sex", "disagree") < -7.5
    assert DEFAULT_MODEL.weight("lg_code", "disagree") < -5


def test_default_m_and_u_are_distributions():
    for field_name, levels in DEFAULT_PARAMS.items():
        assert sum(m for m, _ in levels.values()) == pytest.approx(1.0), field_name
        assert sum(u for _, u in levels.values()) == pytest.approx(1.0), field_name


def test_common_names_weigh_less_and_rare_names_more_but_capped():
    common = DEFAULT_MODEL.name_adjustment(500, 400_000)
    rare = DEFAULT_MODEL.name_adjustment(1, 400_000)
    assert common < 0 < rare
    assert rare == TF_MAX_BOOST
    assert DEFAULT_MODEL.name_adjustment(None, 400_000) == 0
    assert DEFAULT_MODEL.name_adjustment(3, None) == 0


def test_model_round_trips_through_a_dict_and_rejects_unknown_levels():
    model = ScoringModel({"sex": {"agree": (0.99, 0.5)}}, prior=-3.0)
    again = ScoringModel.from_dict(model.to_dict())
    assert again.weights == model.weights
    assert again.prior == -3.0
    with pytest.raises(ValueError):
        ScoringModel({"sex": {"maybe": (0.5, 0.5)}})
    with pytest.raises(ValueError):
        ScoringModel({"shoe_size": {"agree": (0.5, 0.5)}})


# --- EM ------------------------------------------------------------------------------------------

TRUE_M = {
    "name": [0.845, 0.04, 0.04, 0.04, 0.02, 0.005, 0.005, 0.005],
    "birth_date": [0.95, 0.03, 0.01, 0.01],
    "sex": [0.98, 0.02],
    "lg_code": [0.93, 0.03, 0.02, 0.02],
    "address": [0.6, 0.05, 0.1, 0.1, 0.05, 0.03, 0.07],
    "kana": [0.8, 0.15, 0.05],
}
TRUE_U = {
    "name": [0.01, 0.002, 0.005, 0.01, 0.1, 0.02, 0.05, 0.803],
    "birth_date": [0.01, 0.02, 0.1, 0.87],
    "sex": [0.5, 0.5],
    "lg_code": [0.55, 0.3, 0.05, 0.1],
    "address": [0.01, 0.01, 0.01, 0.07, 0.02, 0.03, 0.85],
    "kana": [0.1, 0.4, 0.5],
}


def synthetic_levels(n_pairs: int, match_rate: float, seed: int = 1, missing: float = 0.02):
    rng = np.random.default_rng(seed)
    is_match = rng.random(n_pairs) < match_rate
    columns = []
    for comparison in COMPARISONS:
        m, u = TRUE_M[comparison.field], TRUE_U[comparison.field]
        column = np.where(
            is_match, rng.choice(len(m), size=n_pairs, p=m), rng.choice(len(u), size=n_pairs, p=u)
        )
        column[rng.random(n_pairs) < missing] = len(comparison.levels) - 1  # the missing level
        columns.append(column)
    return np.stack(columns, axis=1), is_match


def test_em_recovers_m_u_and_the_match_rate_of_synthetic_pairs():
    levels, is_match = synthetic_levels(40_000, match_rate=0.2)
    result = estimate_parameters(levels, match_rate=0.5)
    assert result.converged
    assert result.match_rate == pytest.approx(is_match.mean(), abs=0.01)
    for comparison in COMPARISONS:
        for j, level in enumerate(comparison.levels[:-1]):
            m, u = result.params[comparison.field][level]
            assert m == pytest.approx(TRUE_M[comparison.field][j], abs=0.02), (comparison.field, level)
            assert u == pytest.approx(TRUE_U[comparison.field][j], abs=0.02), (comparison.field, level)


def test_em_with_fixed_u_moves_only_m():
    levels, _ = synthetic_levels(20_000, match_rate=0.3, seed=2)
    start = {f: {lv: (0.5, TRUE_U[f][j]) for j, lv in enumerate(c.levels[:-1])} for f, c in
             ((c.field, c) for c in COMPARISONS)}  # fmt: skip
    result = estimate_parameters(levels, start=start, fix_u=True, match_rate=0.5)
    assert result.params["address"]["exact"][1] == TRUE_U["address"][0]
    assert result.params["name"]["exact"][0] == pytest.approx(TRUE_M["name"][0], abs=0.03)
    assert result.match_rate == pytest.approx(0.3, abs=0.02)


def test_estimated_parameters_give_a_model_that_separates_matches():
    levels, is_match = synthetic_levels(20_000, match_rate=0.1, seed=3)
    model = estimate_parameters(levels).model()
    scores = np.array([model.score_levels(row) for row in levels])
    assert scores[is_match].mean() > 10 > scores[~is_match].mean()


def test_estimate_u_counts_levels_among_random_pairs():
    levels, _ = synthetic_levels(50_000, match_rate=0.0, seed=4, missing=0.0)
    params = estimate_u(levels)
    assert params["sex"]["agree"][1] == pytest.approx(0.5, abs=0.01)
    assert params["address"]["disagree"][1] == pytest.approx(0.85, abs=0.01)
    assert params["name"]["joined"][1] > 0  # a level seen rarely or never still gets a small share


def test_estimate_u_takes_out_the_true_matches_of_a_small_registers_random_pairs():
    # 300 residents: one random (record, resident) pair in 375 is the record's person (matched
    # share 0.8). Counted as they are, those make an exact name look 30% commoner among strangers.
    rng = np.random.default_rng(6)
    n, share = 200_000, 0.8 / 300
    strangers, _ = synthetic_levels(n, match_rate=0.0, seed=6, missing=0.0)
    same = rng.random(n) < share
    for i, comparison in enumerate(COMPARISONS):
        m = np.array([DEFAULT_PARAMS[comparison.field][lv][0] for lv in comparison.levels[:-1]])
        strangers[same, i] = rng.choice(len(m), size=int(same.sum()), p=m / m.sum())
    plain = estimate_u(strangers)["name"]["exact"][1]
    corrected = estimate_u(strangers, match_share=share)["name"]["exact"][1]
    assert plain > 0.012
    assert corrected == pytest.approx(TRUE_U["name"][0], rel=0.1)


def test_em_rejects_a_matrix_of_the_wrong_shape():
    with pytest.raises(ValueError):
        estimate_parameters([[0, 0, 0]])


def test_em_leaves_ignored_fields_at_their_start_values():
    levels, _ = synthetic_levels(10_000, match_rate=0.2, seed=5)
    result = estimate_parameters(levels, ignore_fields=("birth_date",))
    assert result.params["birth_date"] == DEFAULT_PARAMS["birth_date"]
    assert result.params["name"] != DEFAULT_PARAMS["name"]
    with pytest.raises(ValueError):
        estimate_parameters(levels, ignore_fields=("shoe_size",))
