"""Fellegi–Sunter scoring: m/u probabilities per comparison level, log2 Bayes-factor weights, and
EM estimation of m and u from candidate pairs (numpy). No Django.

m = P(level | same person), u = P(level | different people); weight = log2(m / u). A pair's
score is the sum of its field weights plus an optional prior (log2 prior odds). "missing" weighs 0.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .comparisons import COMPARISONS, FIELDS, MISSING, comparison_vector
from .features import Features

Params = Mapping[str, Mapping[str, tuple[float, float]]]

# The starting point (seed) of every fit: set by hand from register statistics (about 15,000 plausible
# birth dates, common Vietnamese names, company dormitories sharing an address). Levels of one field
# sum to 1 for m and for u. Each match run refits them on the month's own pairs
# (`enrollment.matching.training.fit_model`); they are used as they are only where there is too
# little to fit on. Sex and the register status against the ISA municipality come from the same
# residence card data on both sides, so a disagreement there is rare for the same person (m small).
# A one-digit birth date error and a move within the same town and chome are rarer among the same
# person than first set (m 0.04 and 0.08): EM put them at 0.006-0.008 and 0.0015-0.004 on both the
# project's generator and the independent 横浜市 sample; the seed now says 0.01 for each.
DEFAULT_PARAMS: dict[str, dict[str, tuple[float, float]]] = {
    "name": {
        "exact": (0.795, 2e-4),
        "joined": (0.04, 2e-5),
        "subset": (0.05, 1.5e-4),
        "fuzzy": (0.07, 5e-4),
        "partial": (0.03, 0.03),
        "near": (0.005, 0.01),
        # Two residents share one name token far more often than 5% where family names are few
        # (NGUYEN alone is about two in five Vietnamese names): a shared token with the rest
        # different is a relative or a stranger more often than the same person, and nothing but
        # its learned weight keeps twins and siblings at one address apart (no hand rule).
        "token": (0.005, 0.15),
        "disagree": (0.005, 0.80913),
    },
    "birth_date": {
        "exact": (0.985, 8e-5),
        "typo": (0.01, 2.5e-3),
        "year": (0.003, 0.03),
        "disagree": (0.002, 0.96742),
    },
    "sex": {"agree": (0.998, 0.5), "disagree": (0.002, 0.5)},
    "lg_code": {
        "exact": (0.90, 0.55),
        "same_city": (0.067, 0.30),
        "moved_away": (0.03, 0.005),
        "disagree": (0.003, 0.145),
    },
    "address": {
        "exact": (0.60, 1e-4),
        "block_close": (0.04, 5e-5),
        "block": (0.08, 1.5e-4),
        "town_chome": (0.01, 3e-3),
        "similar": (0.01, 0.005),
        "resembling": (0.01, 0.01),
        "disagree": (0.25, 0.9817),
    },
    # Weak on purpose: real readings vary (a Chinese name read in Japanese on'yomi disagrees).
    "kana": {"agree": (0.75, 0.15), "partial": (0.17, 0.40), "disagree": (0.08, 0.45)},
}

_FLOOR = 1e-9
TF_MAX_BOOST = 4.0
# Name frequencies are read against at least this many residents: in a small register (a test, a
# village) one namesake among ten is chance, not a common name.
TF_MIN_POPULATION = 1_000


def level_weight(m: float, u: float) -> float:
    return math.log2(max(m, _FLOOR) / max(u, _FLOOR))


# Prior log2 odds that a given resident is the person of a given ISA record, when nothing has been
# fitted: about 80% of records concern somebody in a register of ~40,000 Latin-name residents.
DEFAULT_PRIOR = math.log2(0.8 / (0.2 * 40_000))


class ScoringModel:
    """Weights per field and level, precomputed into tuples so scoring a pair is table look-ups.

    `prior`: log2 of the prior odds that one given resident is the record's person against "nobody
    in the register" (`prior_for`); a pair's score is the prior plus its field weights, so
    2**score is the odds of that reading and `probability` turns scores into a match probability.
    `info`: how the model was made (fitted or default, pairs, labelled pairs), shown on the
    explanation and stored with the match run.
    """

    def __init__(
        self,
        params: Params | None = None,
        *,
        prior: float = 0.0,
        info: Mapping | None = None,
        matched_share: float | None = None,
    ) -> None:
        merged = {f: dict(levels) for f, levels in DEFAULT_PARAMS.items()}
        for field_name, levels in (params or {}).items():
            if field_name not in merged:
                raise ValueError(f"unknown matching field: {field_name}")
            for level, mu in levels.items():
                if level not in merged[field_name]:
                    raise ValueError(f"unknown level {level!r} for field {field_name}")
                merged[field_name][level] = (float(mu[0]), float(mu[1]))
        self.params = merged
        self.prior = float(prior)
        self.info = dict(info or {})
        # Share of ISA records whose person is in the register: with the register's size it gives
        # the prior (`prior_at`); None: use `prior` as it is.
        self.matched_share = None if matched_share is None else float(matched_share)
        self.weights: tuple[tuple[float, ...], ...] = tuple(
            tuple(0.0 if level == MISSING else level_weight(*merged[c.field][level]) for level in c.levels)
            for c in COMPARISONS
        )

    def name_adjustment(self, name_count: int | None, population: int | None) -> float:
        """Term-frequency adjustment of an exact (or spacing-only) name agreement, in bits.

        `name_count` residents of `population` share the record's name letters (its `n:` blocking key
        count). A common name (NGUYEN THI HUONG, or the mononym WATI) says less than the average
        exact agreement, a rare one more; the boost for rare names is capped so that name rarity
        cannot stand in for the other fields.
        """
        if not name_count or not population:
            return 0.0
        m, u = self.params["name"]["exact"]
        return _name_adjustment(m, u, name_count, max(population, TF_MIN_POPULATION))

    def weight(self, field_name: str, level: str) -> float:
        comparison = COMPARISONS[FIELDS.index(field_name)]
        return self.weights[FIELDS.index(field_name)][comparison.level_index(level)]

    def score_levels(self, levels: Sequence[int]) -> float:
        w = self.weights
        return self.prior + sum(w[i][level] for i, level in enumerate(levels))

    def score(self, record: Features, resident: Features) -> tuple[float, tuple[int, ...]]:
        levels = comparison_vector(record, resident)
        return self.score_levels(levels), levels

    def prior_at(self, population: int | None) -> float:
        """The prior for a register of `population` residents (see `prior_for`)."""
        if self.matched_share is None or not population:
            return self.prior
        return prior_for(matched_share=self.matched_share, population=population)

    def to_dict(self) -> dict:
        return {
            "prior": self.prior,
            "matched_share": self.matched_share,
            "params": {f: {lv: list(mu) for lv, mu in levels.items()} for f, levels in self.params.items()},
            "info": self.info,
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> ScoringModel:
        return cls(
            data.get("params"),
            prior=data.get("prior", 0.0),
            info=data.get("info"),
            matched_share=data.get("matched_share"),
        )

    def describe(self) -> list[dict]:
        """Per field and level: m, u and the weight (log2 m/u), for the explanation page."""
        rows = []
        for i, c in enumerate(COMPARISONS):
            levels = []
            for j, level in enumerate(c.levels):
                if level == MISSING:
                    continue
                m, u = self.params[c.field][level]
                levels.append({
                    "level": level, "label": c.level_labels_ja[level], "m": m, "u": u, "weight": self.weights[i][j],
                })  # fmt: skip
            rows.append({"field": c.field, "label": c.label_ja, "levels": levels})
        return rows


def prior_for(*, matched_share: float, population: int) -> float:
    """log2 prior odds of one resident being the record's person, against nobody here: a share
    `matched_share` of records concern somebody among `population` residents."""
    share = min(max(matched_share, 0.01), 0.999)
    return math.log2(share / ((1.0 - share) * max(population, 1)))


def probability(score: float) -> float:
    """Match probability from log2 odds."""
    if score > 60:
        return 1.0
    if score < -60:
        return 0.0
    return 1.0 / (1.0 + 2.0 ** (-score))


@lru_cache(maxsize=1 << 12)
def _name_adjustment(m: float, u: float, name_count: int, population: int) -> float:
    share = min(1.0, name_count / population)
    return min(TF_MAX_BOOST, level_weight(m, share) - level_weight(m, u))


DEFAULT_MODEL = ScoringModel(prior=DEFAULT_PRIOR, info={"source": "default"}, matched_share=0.8)


# --- EM estimation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EstimationResult:
    params: dict[str, dict[str, tuple[float, float]]]
    match_rate: float  # estimated share of candidate pairs that are the same person
    iterations: int
    converged: bool

    def model(self, *, prior: float = 0.0) -> ScoringModel:
        return ScoringModel(self.params, prior=prior)


def level_matrix(pairs: Iterable[tuple[Features, Features]]) -> np.ndarray:
    """Comparison vectors of (record, resident) pairs as an int array, one row per pair."""
    rows = [comparison_vector(record, resident) for record, resident in pairs]
    return np.asarray(rows, dtype=np.int8).reshape(-1, len(COMPARISONS))


def estimate_parameters(
    levels: np.ndarray | Sequence[Sequence[int]],
    *,
    start: Params | None = None,
    match_rate: float = 0.1,
    fix_u: bool = False,
    ignore_fields: Collection[str] = (),
    max_iterations: int = 200,
    tolerance: float = 1e-6,
    pseudo_count: float = 1.0,
    labelled: np.ndarray | Sequence[Sequence[int]] | None = None,
    labels: Sequence[bool] | np.ndarray | None = None,
    label_weight: float = 10.0,
) -> EstimationResult:
    """Estimate m, u (and the match rate) by EM over candidate pairs, assuming fields independent given
    match status. Start from `start` (defaults): m high on agreement, which fixes which of the two
    latent classes is "same person". With `fix_u`, u stays as given (e.g. from `estimate_u` on random
    pairs, the robust choice when candidate pairs are few), and only m and the match rate move.
    `pseudo_count` pulls rarely seen levels towards the start values instead of to 0.

    `ignore_fields`: fields the pairs were blocked on (pairs found by birth date all agree on it,
    matches or not); they take no part and keep their start values, as in Splink's training
    sessions. `estimate_from_index` runs such sessions for a whole register.

    `labelled` / `labels`: pairs a supervisor decided (confirmed: True, rejected: False). They take
    part with their label as a fixed posterior, each counting `label_weight` times: a confirmed pair
    teaches m what the same person looks like, a rejected one stops a look-alike from being
    counted as the same person (which EM alone would do for a namesake agreeing on name and birth
    date). They do not move the match rate.
    """
    gamma = np.asarray(levels, dtype=np.int64)
    if gamma.size == 0:
        gamma = gamma.reshape(0, len(COMPARISONS))
    if gamma.ndim != 2 or gamma.shape[1] != len(COMPARISONS):
        raise ValueError(f"levels must have shape (pairs, {len(COMPARISONS)})")
    n_unlabelled = len(gamma)
    fixed = np.zeros(0)
    if labelled is not None and len(labelled):
        extra = np.asarray(labelled, dtype=np.int64).reshape(-1, len(COMPARISONS))
        fixed = np.asarray(labels, dtype=np.float64)
        if len(fixed) != len(extra):
            raise ValueError("one label per labelled pair")
        gamma = np.concatenate([gamma, extra])
    weights = np.concatenate([np.ones(n_unlabelled), np.full(len(fixed), float(label_weight))])
    unknown = set(ignore_fields) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown matching fields: {sorted(unknown)}")
    gamma = gamma.copy()
    for i, c in enumerate(COMPARISONS):
        if c.field in ignore_fields:
            gamma[:, i] = len(c.levels) - 1  # as if missing: no evidence, no update
    initial = ScoringModel(start).params
    m = [np.array([initial[c.field][lv][0] for lv in c.levels[:-1]]) for c in COMPARISONS]
    u = [np.array([initial[c.field][lv][1] for lv in c.levels[:-1]]) for c in COMPARISONS]
    prior_m = [x.copy() for x in m]
    prior_u = [x.copy() for x in u]
    # One-hot masks per field; the missing level (last) has no column, so it contributes nothing.
    onehot = [
        (gamma[:, i][:, None] == np.arange(len(c.levels) - 1)[None, :]).astype(np.float64)
        for i, c in enumerate(COMPARISONS)
    ]
    rate = float(match_rate)
    converged = False
    iteration = 0
    while iteration < max_iterations:
        iteration += 1
        log_m = np.full(len(gamma), math.log(rate))
        log_u = np.full(len(gamma), math.log(1.0 - rate))
        for i in range(len(COMPARISONS)):
            log_m += onehot[i] @ np.log(np.maximum(m[i], _FLOOR))
            log_u += onehot[i] @ np.log(np.maximum(u[i], _FLOOR))
        posterior = 1.0 / (1.0 + np.exp(np.clip(log_u - log_m, -700, 700)))
        if len(fixed):
            posterior[n_unlabelled:] = fixed
        if n_unlabelled:
            new_rate = float(np.clip(posterior[:n_unlabelled].mean(), 1e-6, 1 - 1e-6))
        else:
            new_rate = rate
        posterior = posterior * weights
        change = abs(new_rate - rate)
        for i in range(len(COMPARISONS)):
            if COMPARISONS[i].field in ignore_fields:
                continue
            counts_m = posterior @ onehot[i] + pseudo_count * prior_m[i]
            new_m = counts_m / counts_m.sum()
            change = max(change, float(np.abs(new_m - m[i]).max()))
            m[i] = new_m
            if not fix_u:
                counts_u = (weights - posterior) @ onehot[i] + pseudo_count * prior_u[i]
                new_u = counts_u / counts_u.sum()
                change = max(change, float(np.abs(new_u - u[i]).max()))
                u[i] = new_u
        rate = new_rate
        if change < tolerance:
            converged = True
            break
    params = {
        c.field: {lv: (float(m[i][j]), float(u[i][j])) for j, lv in enumerate(c.levels[:-1])}
        for i, c in enumerate(COMPARISONS)
    }
    return EstimationResult(params=params, match_rate=rate, iterations=iteration, converged=converged)


def estimate_u(
    levels: np.ndarray | Sequence[Sequence[int]], *, pseudo_count: float = 1.0, match_share: float = 0.0
) -> Params:
    """u from level frequencies among random (record, resident) pairs, which are almost all non-matches.

    `match_share`: the share of random pairs expected to be the same person (the share of records
    whose person is here over the register's size). Their levels are taken out with the seed's m, so
    that a small register (500 residents: one random pair in 600 is a true match) does not make
    an exact agreement look common among different people. Levels never seen keep a small share
    (pseudo-count over the level count) instead of u = 0.
    """
    gamma = np.asarray(levels, dtype=np.int64)
    share = min(max(float(match_share), 0.0), 0.5)
    result: dict[str, dict[str, tuple[float, float]]] = {}
    for i, c in enumerate(COMPARISONS):
        n_levels = len(c.levels) - 1
        counts = np.bincount(gamma[:, i], minlength=len(c.levels))[:n_levels].astype(np.float64)
        if share:
            seen = counts.sum()
            m = np.array([DEFAULT_PARAMS[c.field][lv][0] for lv in c.levels[:-1]])
            counts = np.maximum(counts - share * seen * m, 0.0)
        counts += pseudo_count / n_levels
        shares = counts / counts.sum()
        result[c.field] = {
            lv: (DEFAULT_PARAMS[c.field][lv][0], float(shares[j])) for j, lv in enumerate(c.levels[:-1])
        }
    return result
