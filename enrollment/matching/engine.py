"""Matching entry points: one ISA record against its candidates → Decision, and an in-memory blocking
index for tests and benchmarks (the Django layer does the same look-up with SQL). No Django.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence

from .blocking import MAX_BLOCK_SIZE, name_frequency_key, record_keys, resident_keys
from .comparisons import (
    N_JOINED,
    compare_address,
    compare_birth_date,
    compare_kana,
    compare_lg_code,
    compare_name,
    compare_sex,
)
from .decision import DEFAULT_LETTERS, Decision, LetterContext, ScoredPair, Thresholds, decide
from .features import Features
from .scoring import (
    DEFAULT_MODEL,
    EstimationResult,
    Params,
    ScoringModel,
    estimate_parameters,
    estimate_u,
    level_matrix,
)

_new_tuple = tuple.__new__  # ScoredPair(...) without the NamedTuple's Python-level __new__


def score_candidates(
    record: Features,
    candidates: Iterable[Features],
    *,
    model: ScoringModel = DEFAULT_MODEL,
    name_count: int | None = None,
    population: int | None = None,
) -> list[ScoredPair]:
    """Score each distinct candidate (the same resident found by several keys counts once).

    `name_count` / `population`: how many of the Latin-name residents share the record's name letters
    (the size of its `n:` block) and how many there are; they adjust exact name agreements.
    """
    w_name, w_birth, w_sex, w_lg, w_address, w_kana = model.weights
    prior = model.prior_at(population)
    adjustment = model.name_adjustment(name_count, population)
    seen: set[str] = set()
    scored = []
    for resident in candidates:
        key = resident.key
        if key in seen:
            continue
        seen.add(key)
        # comparison_vector(record, resident), inlined
        name = compare_name(record, resident)
        birth = compare_birth_date(record, resident)
        sex = compare_sex(record, resident)
        lg = compare_lg_code(record, resident)
        address = compare_address(record, resident)
        kana = compare_kana(record, resident)
        tf = adjustment if name <= N_JOINED else 0.0
        score = (
            prior
            + tf
            + w_name[name]
            + w_birth[birth]
            + w_sex[sex]
            + w_lg[lg]
            + w_address[address]
            + w_kana[kana]
        )
        scored.append(_new_tuple(ScoredPair, (resident, score, (name, birth, sex, lg, address, kana), tf)))
    return scored


def match_record(
    record: Features,
    candidates: Iterable[Features],
    *,
    thresholds: Thresholds | None = None,
    model: ScoringModel = DEFAULT_MODEL,
    name_count: int | None = None,
    population: int | None = None,
    letters: LetterContext = DEFAULT_LETTERS,
    explain_top: int = 3,
) -> Decision:
    """Decide one ISA record given its candidate residents (any status: former residents included).
    `letters`: what linking each candidate would lead to (who is insured, which kind of letter)."""
    return decide(
        record,
        score_candidates(record, candidates, model=model, name_count=name_count, population=population),
        thresholds=thresholds or Thresholds(),
        model=model,
        letters=letters,
        explain_top=explain_top,
    )


class MatchIndex:
    """Residents indexed by blocking key, in memory. The Django layer stores the same keys in a table."""

    def __init__(self, residents: Iterable[Features] = (), *, max_block_size: int = MAX_BLOCK_SIZE) -> None:
        self.max_block_size = max_block_size
        self._blocks: defaultdict[str, list[Features]] = defaultdict(list)
        self.size = 0
        for resident in residents:
            self.add(resident)

    def add(self, resident: Features) -> None:
        keys = resident_keys(resident)
        if not keys:
            return
        self.size += 1
        for key in dict.fromkeys(keys):
            self._blocks[key].append(resident)

    def candidates(self, record: Features, *, passes: Collection[str] | None = None) -> list[Features]:
        """Residents sharing a key with the record; `passes` limits the key prefixes (for EM sessions)."""
        keys = record_keys(record)
        if passes is not None:
            keys = [k for k in keys if k.split(":", 1)[0] in passes]
            if "n" in passes and (name_key := name_frequency_key(record)) and name_key not in keys:
                keys.append(name_key)
        found: dict[str, Features] = {}
        for key in keys:
            block = self._blocks.get(key)
            if block and len(block) <= self.max_block_size:
                for resident in block:
                    found.setdefault(resident.key, resident)
        return list(found.values())

    def match(
        self,
        record: Features,
        *,
        thresholds: Thresholds | None = None,
        model: ScoringModel = DEFAULT_MODEL,
        letters: LetterContext = DEFAULT_LETTERS,
    ) -> Decision:
        return match_record(
            record,
            self.candidates(record),
            thresholds=thresholds,
            model=model,
            name_count=self.name_count(record),
            population=self.size,
            letters=letters,
        )

    def name_count(self, record: Features) -> int:
        """Residents whose name has the record's letters (order and spacing ignored)."""
        key = name_frequency_key(record)
        return len(self._blocks.get(key, ())) if key else 0

    def match_all(
        self,
        records: Iterable[Features],
        *,
        thresholds: Thresholds | None = None,
        model: ScoringModel = DEFAULT_MODEL,
    ) -> Iterator[Decision]:
        for record in records:
            yield self.match(record, thresholds=thresholds, model=model)

    def residents(self) -> list[Features]:
        return list({r.key: r for block in self._blocks.values() for r in block}.values())

    def block_sizes(self) -> dict[str, int]:
        """Residents per key prefix's largest block, to check that blocks stay bounded."""
        largest: dict[str, int] = {}
        for key, block in self._blocks.items():
            prefix = key.split(":", 1)[0]
            largest[prefix] = max(largest.get(prefix, 0), len(block))
        return largest


def estimate_from_index(
    index: MatchIndex,
    records: Sequence[Features],
    *,
    random_pairs: int = 200_000,
    seed: int = 0,
    start: Params | None = None,
) -> EstimationResult:
    """Estimate m and u for this municipality from its own ISA records and register.

    u comes from random (record, resident) pairs. m comes from two EM sessions over candidate pairs,
    each ignoring the fields its blocking pass fixes: pairs sharing block address and birth date
    (b:) teach name, kana, sex and municipality code; pairs sharing the name letters (n:) teach
    birth date and address (not kana: it is the name again). Review the result before use: a month of records is a small sample.
    """
    rng = random.Random(seed)
    residents = index.residents()
    if not records or not residents:
        raise ValueError("need ISA records and residents to estimate from")
    sample = [(rng.choice(records), rng.choice(residents)) for _ in range(random_pairs)]
    u_params = estimate_u(level_matrix(sample))
    base = ScoringModel(start).params
    initial = {
        f: {lv: (base[f][lv][0], u) for lv, (_, u) in levels.items()} for f, levels in u_params.items()
    }
    by_address = [(r, c) for r in records for c in index.candidates(r, passes=("b",))]
    by_name = [(r, c) for r in records for c in index.candidates(r, passes=("n",))]
    first = estimate_parameters(
        level_matrix(by_address), start=initial, fix_u=True, ignore_fields=("address", "birth_date")
    )
    # The kana reading is the name again: pairs blocked on the name agree on it, matches or not.
    second = estimate_parameters(
        level_matrix(by_name), start=initial, fix_u=True, ignore_fields=("name", "kana")
    )
    params = dict(first.params)
    params["birth_date"] = second.params["birth_date"]
    params["address"] = second.params["address"]
    return EstimationResult(
        params=params,
        match_rate=first.match_rate,
        iterations=first.iterations + second.iterations,
        converged=first.converged and second.converged,
    )


def fit_from_index(
    index: MatchIndex,
    records: Sequence[Features],
    *,
    random_pairs: int = 200_000,
    seed: int = 0,
    labelled_pairs: Sequence[tuple[Features, Features, bool]] = (),
) -> ScoringModel:
    """`training.fit_model` on the records' pairs from an in-memory index (tests, benchmarks); the
    Django layer does the same from its key table (`linking.matcher.run_model`)."""
    import numpy as np

    from .training import fit_model

    rng = random.Random(seed)
    residents = index.residents()
    sample = (
        [(rng.choice(records), rng.choice(residents)) for _ in range(random_pairs)]
        if records and residents
        else []
    )
    pairs, owners, adjustments = [], [], []
    for number, record in enumerate(records):
        adjustment = DEFAULT_MODEL.name_adjustment(index.name_count(record), index.size)
        for candidate in index.candidates(record):
            pairs.append((record, candidate))
            owners.append(number)
            adjustments.append(adjustment if compare_name(record, candidate) <= N_JOINED else 0.0)
    return fit_model(
        by_name=level_matrix([(r, c) for r in records for c in index.candidates(r, passes=("n",))]),
        by_place=level_matrix([(r, c) for r in records for c in index.candidates(r, passes=("b",))]),
        random_levels=level_matrix(sample),
        candidates=level_matrix(pairs),
        candidate_records=np.asarray(owners, dtype=np.int64),
        adjustments=np.asarray(adjustments),
        records=len(records),
        population=index.size,
        labelled=level_matrix([(r, c) for r, c, _ in labelled_pairs]) if labelled_pairs else None,
        labels=[label for _, _, label in labelled_pairs] if labelled_pairs else None,
    )
