"""Record linkage of ISA (出入国在留管理庁) records to the resident register (住民基本台帳): pure Python,
no Django. Build `Features` once per record/resident, find candidates by blocking keys, decide.

    resident = resident_features(resident_id=..., name_alpha=..., name_kana=..., name_kanji=..., sex=...,
                                 birth_date=..., lg_code=..., address=..., status="resident")
    keys = resident_keys(resident)          # store (key, resident id) rows; index the key
    row = resident.to_stored()              # flat str columns; Features.from_stored(row) rebuilds fast

    record = record_features(record_id=..., name=..., lg_code=..., address=..., sex=..., birth_date=...,
                             problems={"birth_date"})  # fields the import could not read
    candidates = [Features.from_stored(r) for r in rows_sharing_any_of(record_keys(record))]
    model = fit_from_index(index, records)  # or linking.matcher.run_model: m/u learned from the month
    decision = match_record(record, candidates, model=model,
                            thresholds=Thresholds(target_precision=0.9995, auto=model.info["auto_probability"]),
                            name_count=count_of(name_frequency_key(record)), population=latin_name_residents,
                            letters=LetterContext(insured=frozenset(insured_resident_keys)))
    decision.outcome, decision.reason, decision.resident_id, decision.to_dict()  # JSON, Japanese labels

Modules: names (Latin names, kana keys), addresses, features, blocking (passes documented there),
comparisons (levels), scoring (m/u, weights, EM), training (the per-run fit: EM sessions, the prior,
supervisors' labelled pairs, the automatic-match probability from the target precision), decision
(probabilities, letters at stake, rules, explanation), engine (entry points, in-memory index).
Its micro-benchmark on a small synthetic register: `python -m bench.engine_micro`.
"""

from .addresses import Address, normalize_address, parse_address
from .blocking import MAX_BLOCK_SIZE, key_hash, name_frequency_key, record_keys, resident_keys
from .comparisons import COMPARISONS, FIELDS, comparison_vector
from .decision import (
    AUTO_MATCH,
    NO_MATCH,
    OUTCOME_LABELS_JA,
    REASON_LABELS_JA,
    REVIEW,
    CandidateScore,
    Decision,
    FieldComparison,
    LetterContext,
    Thresholds,
)
from .engine import MatchIndex, estimate_from_index, fit_from_index, match_record, score_candidates
from .features import MATCHING_FIELDS, Features, record_features, resident_features
from .names import normalize_name
from .scoring import (
    DEFAULT_MODEL,
    DEFAULT_PARAMS,
    EstimationResult,
    ScoringModel,
    estimate_parameters,
    estimate_u,
    level_matrix,
)

__all__ = [
    "AUTO_MATCH",
    "COMPARISONS",
    "DEFAULT_MODEL",
    "DEFAULT_PARAMS",
    "FIELDS",
    "MATCHING_FIELDS",
    "MAX_BLOCK_SIZE",
    "NO_MATCH",
    "OUTCOME_LABELS_JA",
    "REASON_LABELS_JA",
    "REVIEW",
    "Address",
    "CandidateScore",
    "Decision",
    "EstimationResult",
    "Features",
    "FieldComparison",
    "LetterContext",
    "MatchIndex",
    "ScoringModel",
    "Thresholds",
    "comparison_vector",
    "estimate_from_index",
    "estimate_parameters",
    "estimate_u",
    "fit_from_index",
    "key_hash",
    "level_matrix",
    "match_record",
    "name_frequency_key",
    "normalize_address",
    "normalize_name",
    "parse_address",
    "record_features",
    "record_keys",
    "resident_features",
    "resident_keys",
    "score_candidates",
]
