"""Learning the matching model from a municipality's own month (学習): m and u per comparison level,
the share of records whose person is in the register, and the supervisors' decisions. No Django.

    model = fit_model(
        candidate_levels=level_matrix(candidate_pairs),   # the month's (record, candidate) pairs
        random_levels=level_matrix(random_pairs),         # (record, random resident) pairs
        records=len(records),
        labelled=level_matrix(decided_pairs), labels=[True, False, ...],  # supervisors' decisions
    )

As Splink does it: u from random pairs (almost all of them different people), m by EM over the
candidate pairs with u fixed, starting from `DEFAULT_PARAMS` (the seed, whose weight in pairs is
`seed_pairs`: a small month cannot pull a level far from what registers generally show). Pairs a
supervisor confirmed or rejected take part with their label. The share of records that have their
person here comes from the EM's match rate; with the register's size it makes the prior
(`ScoringModel.prior_at`). Names get a term-frequency adjustment at scoring time instead of a
learned u for an exact agreement (`ScoringModel.name_adjustment`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .comparisons import COMPARISONS
from .scoring import DEFAULT_PARAMS, ScoringModel, estimate_parameters, estimate_u

MIN_PAIRS = 200  # fewer pairs than this in a session: keep the seed (too little to learn from)
SEED_PAIRS = 50.0
SEED_MATCHED_SHARE = 0.8  # share of records whose person is in the register, before the fit  # the seed's weight in pairs, per field
# Below these, keep the seed: a few records or residents say nothing about the month. (Random pairs
# from a small register hold more true matches, one in population / matched share: `estimate_u`
# takes them out, so a register of a few hundred is fitted too.)
MIN_RECORDS = 200
MIN_POPULATION = 200
# The two training sessions (Splink's way to keep EM from calling every candidate pair a match):
# pairs that share the name letters teach what the name cannot (their non-matches are namesakes,
# otherwise like random pairs); pairs that share the birth date and the block address teach the
# name and its reading. Each ignores the fields its pairs were chosen by.
NAME_SESSION_LEARNS = ("birth_date", "sex", "lg_code", "address")
PLACE_SESSION_LEARNS = ("name", "kana")


def fit_model(
    *,
    by_name: np.ndarray,
    by_place: np.ndarray,
    random_levels: np.ndarray,
    candidates: np.ndarray,
    candidate_records: np.ndarray,
    records: int,
    population: int,
    adjustments: np.ndarray | None = None,
    labelled: np.ndarray | None = None,
    labels: Sequence[bool] | None = None,
    start: dict | None = None,
    seed_pairs: float = SEED_PAIRS,
    target_precision: float = 0.9995,
) -> ScoringModel:
    """The fitted model, or the seed (`info["source"] == "default"`) where there is too little data.

    `by_name` / `by_place`: level rows of the pairs of the two sessions; `random_levels`: of random
    (record, resident) pairs; `target_precision`: every automatic match must itself be at least this
    probable (`info["auto_probability"]`), which keeps the precision of all of them at or above it
    whatever the month's mix; `info["auto_probability_by_mean"]` is the laxer threshold at which
    only their mean would meet it (`auto_probability`), kept for comparison: on data nobody here
    made (the 横浜市 sample) the model's probabilities for look-alike namesakes are too confident
    for it (precision 99.92% instead of 99.99%). `candidates` with `candidate_records` (which record, 0..records-1)
    and `adjustments` (the name's term-frequency bits): every candidate pair of the records, for
    the share of records whose person is here. `population`: residents with a Latin name.
    """
    n_labelled = 0 if labelled is None else len(labelled)
    matches = int(np.sum(labels)) if n_labelled else 0
    info = {
        "records": int(records),
        "pairs": len(candidates),
        "name_session_pairs": len(by_name),
        "place_session_pairs": len(by_place),
        "random_pairs": len(random_levels),
        "labelled_matches": matches,
        "labelled_non_matches": n_labelled - matches,
    }
    if len(random_levels) < MIN_PAIRS or records < MIN_RECORDS or population < MIN_POPULATION:
        return ScoringModel(start, matched_share=0.8, info={**info, "source": "default"})
    seed = ScoringModel(start).params
    u_params = estimate_u(random_levels, match_share=SEED_MATCHED_SHARE / population)
    initial = {
        field: {level: (seed[field][level][0], u) for level, (_, u) in levels.items()}
        for field, levels in u_params.items()
    }
    params = {field: dict(levels) for field, levels in initial.items()}
    sessions = []
    for levels, learns in ((by_name, NAME_SESSION_LEARNS), (by_place, PLACE_SESSION_LEARNS)):
        if len(levels) < MIN_PAIRS:
            continue
        result = estimate_parameters(
            levels,
            start=initial,
            fix_u=True,
            match_rate=0.5,
            pseudo_count=seed_pairs,
            ignore_fields=[c.field for c in COMPARISONS if c.field not in learns],
            labelled=labelled,
            labels=labels,
        )
        for field in learns:
            params[field] = result.params[field]
        sessions.append({"pairs": len(levels), "iterations": result.iterations, "converged": result.converged,
                         "match_rate": round(result.match_rate, 6), "learns": list(learns)})  # fmt: skip
    model = ScoringModel(params)
    share = matched_share(model, candidates, candidate_records, records, population, adjustments)
    model.matched_share = share
    best = best_probabilities(model, candidates, candidate_records, records, population, adjustments)
    return ScoringModel(
        params,
        matched_share=share,
        info={**info, "source": "em" if sessions else "default", "sessions": sessions,
              "matched_share": round(share, 6), "best_probabilities": _histogram(best),
              "target_precision": target_precision, "auto_probability": target_precision,
              "expected_precision": expected_precision(best, target_precision),
              "auto_probability_by_mean": auto_probability(best, target_precision=target_precision)},
    )  # fmt: skip


def _pair_scores(
    model: ScoringModel, candidates: np.ndarray, adjustments: np.ndarray | None, population: int
) -> np.ndarray:
    scores = np.full(len(candidates), model.prior_at(population))
    for i in range(len(COMPARISONS)):
        scores += np.asarray(model.weights[i])[candidates[:, i]]
    if adjustments is not None:
        scores += adjustments
    return scores


def best_probabilities(
    model: ScoringModel,
    candidates: np.ndarray,
    candidate_records: np.ndarray,
    records: int,
    population: int,
    adjustments: np.ndarray | None = None,
) -> np.ndarray:
    """Per record, the best candidate's probability of being the person (0 without candidates),
    as `decision.reading_probabilities` gives it, for all records at once."""
    if not len(candidates):
        return np.zeros(records)
    odds = np.exp2(np.clip(_pair_scores(model, candidates, adjustments, population), -60, 60))
    total = np.bincount(candidate_records, weights=odds, minlength=records)
    top = np.zeros(records)
    np.maximum.at(top, candidate_records, odds)
    return top / (1.0 + total)


def auto_probability(best: np.ndarray, *, target_precision: float, floor: float = 0.95) -> float:
    """The lowest probability an automatic match may have so that the expected precision of all
    automatic matches (the mean of their probabilities) still meets the target: records are taken
    from the most probable down while the expected share of wrong ones stays within 1 − target.
    Never below `floor` nor above the target itself (a match at least as probable as the target
    never lowers the precision below it)."""
    ranked = np.sort(best[best >= floor])[::-1]
    if not len(ranked):
        return target_precision
    expected_wrong = np.cumsum(1.0 - ranked) / np.arange(1, len(ranked) + 1)
    within = np.nonzero(expected_wrong <= 1.0 - target_precision)[0]
    if not len(within):
        return target_precision
    return float(min(target_precision, ranked[within[-1]]))


def expected_precision(best: np.ndarray, threshold: float) -> float | None:
    """The model's own estimate of the precision of the automatic matches at `threshold`: the mean
    probability of the records at or above it (None when there are none)."""
    chosen = best[best >= threshold]
    return round(float(chosen.mean()), 6) if len(chosen) else None


def _histogram(best: np.ndarray) -> dict[str, int]:
    """How many records' best candidate falls in each probability band (for the run's page)."""
    edges = (0.0, 0.02, 0.5, 0.9, 0.99, 0.999, 0.9999, 1.01)
    counts, _ = np.histogram(best, bins=edges)
    return {
        f"{lo:g}-{min(hi, 1.0):g}": int(n) for lo, hi, n in zip(edges[:-1], edges[1:], counts, strict=True)
    }


def matched_share(
    model: ScoringModel,
    candidates: np.ndarray,
    candidate_records: np.ndarray,
    records: int,
    population: int,
    adjustments: np.ndarray | None = None,
    *,
    iterations: int = 50,
) -> float:
    """The share of records whose person is among their candidates, by EM on that share alone (the
    weights fixed): each record's probability that somebody here is its person, averaged, until
    the share it implies is the share it assumed."""
    if not len(candidates) or records <= 0:
        return 0.8
    model.matched_share = None
    model.prior = 0.0
    scores = _pair_scores(model, candidates, adjustments, population)
    share = 0.8
    for _ in range(iterations):
        model.matched_share = share
        odds = np.exp2(np.clip(scores + model.prior_at(population), -60, 60))
        total = np.bincount(candidate_records, weights=odds, minlength=records)
        somebody = total / (1.0 + total)
        new = float(np.clip(somebody.mean(), 0.05, 0.99))
        if abs(new - share) < 1e-5:
            share = new
            break
        share = new
    return share


def changed_levels(model: ScoringModel, *, threshold: float = 1.0) -> list[dict]:
    """Levels whose weight moved by at least `threshold` bits from the seed: what this month's data
    taught, for the run's page."""
    seed = ScoringModel()
    rows = []
    for i, c in enumerate(COMPARISONS):
        for j, level in enumerate(c.levels[:-1]):
            before, after = seed.weights[i][j], model.weights[i][j]
            if abs(after - before) >= threshold:
                rows.append({
                    "field": c.field, "label": c.label_ja, "level": level, "level_label": c.level_labels_ja[level],
                    "before": round(before, 2), "after": round(after, 2),
                })  # fmt: skip
    return rows


__all__ = [
    "DEFAULT_PARAMS", "MIN_PAIRS", "SEED_PAIRS", "auto_probability", "best_probabilities", "changed_levels",
    "fit_model", "matched_share",
]  # fmt: skip
