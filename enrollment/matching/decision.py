"""The match decision (自動照合 / 要確認 / 該当なし) from scored candidates, with the explanation a
supervisor reads: per field the two normalised values, the agreement level and its weight. No Django.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import NamedTuple

from .comparisons import (
    A_BLOCK,
    A_EXACT,
    B_EXACT,
    B_TYPO,
    COMPARISONS,
    N_EXACT,
    N_FUZZY,
    N_JOINED,
    N_PARTIAL,
    N_SUBSET,
    S_AGREE,
)
from .features import MATCHING_FIELDS, Features
from .names import anagram_key, one_letter_slip
from .scoring import ScoringModel

AUTO_MATCH = "auto_match"
REVIEW = "review"
NO_MATCH = "no_match"

OUTCOME_LABELS_JA = {AUTO_MATCH: "自動照合", REVIEW: "要確認", NO_MATCH: "該当なし"}

# Reason codes, strongest first: the first that applies is the decision's `reason`.
REASON_LABELS_JA = {
    "no_candidates": "候補者なし",
    "below_threshold": "スコアが確認基準未満",
    "field_problem": "ISAデータの照合項目に不備あり",
    "same_name_dob_sex": "氏名・生年月日・性別が同じ住民が複数",
    "close_candidates": "スコアの近い候補者あり",
    "weak_identity": "氏名または生年月日の一致が不十分",
    "score_between": "スコアが自動照合基準未満",
    "auto": "自動照合基準を満たす",
}
FIELD_PROBLEM_LABELS_JA = {
    "name": "氏名",
    "sex": "性別",
    "birth_date": "生年月日",
    "address": "住所",
    "lg_code": "地方公共団体コード",
}
STATUS_LABELS_JA = {"resident": "在住", "moved_out": "転出", "died": "死亡", "left_japan": "国外転出"}

# An automatic match needs the person's identity itself to agree, not only where they live: family
# members share a family name and address, twins also a birth date (see docs in `decide`).
_STRONG_NAME = frozenset({N_EXACT, N_JOINED, N_SUBSET, N_FUZZY})
_STRONG_BIRTH = frozenset({B_EXACT, B_TYPO})
_SAME_PLACE = frozenset({A_EXACT, A_BLOCK})


def _identity_agrees(levels: Sequence[int]) -> bool:
    """Name and birth date agree well enough on their own for an automatic match.

    Where the block address agrees too, a name variant (missing middle name, typo) or a one-digit
    birth date error is fine. Where it does not (the person moved, or is someone else; the same
    town and chome holds hundreds of foreign residents), only the name exactly (spacing aside) and
    the birth date exactly will do: a namesake with a similar name and the same birth date, or the
    same name and a near birth date, is then about as likely as a mover.
    """
    name, birth, address = levels[0], levels[1], levels[4]
    if name not in _STRONG_NAME or birth not in _STRONG_BIRTH:
        return False
    return address in _SAME_PLACE or (name in (N_EXACT, N_JOINED) and birth == B_EXACT)


def _same_flat_slip(record: Features, resident: Features, levels: Sequence[int]) -> bool:
    """A one-letter slip in a short name token (`one_letter_slip`) is as good as a typo when
    everything else agrees exactly: the birth date, the sex and the address down to the building
    and room. A different person with a name one letter away, born the same day, of the same sex and
    living in the same flat is far rarer than a clerk's slip of the pen (and a twin or namesake in
    the register still sends the record to review through the other rules)."""
    return (
        levels[0] == N_PARTIAL
        and levels[1] == B_EXACT
        and levels[2] == S_AGREE
        and levels[4] == A_EXACT
        and one_letter_slip(record.tokens, resident.tokens)
    )


@dataclass(frozen=True)
class Thresholds:
    """Log2 score thresholds. The defaults (20/10) are a strict choice for callers without
    settings (the pure engine's tests and benchmark). The portal does not use them: each match
    run takes settings NHI_MATCH_AUTO_THRESHOLD (12) and NHI_MATCH_REVIEW_THRESHOLD (4), the
    values docs/matching.md measures, and stores them on the run. A true match that agrees on
    name, birth date and address scores 35-45, one that moved 22-30."""

    auto: float = 20.0
    review: float = 10.0
    close_margin: float = 6.0

    def __post_init__(self) -> None:
        if self.review > self.auto:
            raise ValueError("review threshold must not exceed the auto threshold")
        if self.close_margin < 0:
            raise ValueError("close margin must not be negative")

    def to_dict(self) -> dict:
        return {"auto": self.auto, "review": self.review, "close_margin": self.close_margin}


@dataclass(slots=True)
class FieldComparison:
    field: str
    record_value: str
    resident_value: str
    level: str
    weight: float
    frequency_adjustment: float = 0.0  # part of `weight` from how common the name is (names only)

    @property
    def field_label(self) -> str:
        return _COMPARISON[self.field].label_ja

    @property
    def level_label(self) -> str:
        return _COMPARISON[self.field].level_labels_ja[self.level]

    def to_dict(self) -> dict:
        return {
            "field": self.field,
            "field_label": self.field_label,
            "record_value": self.record_value,
            "resident_value": self.resident_value,
            "level": self.level,
            "level_label": self.level_label,
            "weight": round(self.weight, 3),
            "frequency_adjustment": round(self.frequency_adjustment, 3),
        }


_COMPARISON = {c.field: c for c in COMPARISONS}


@dataclass(slots=True)
class CandidateScore:
    resident_id: str
    status: str
    score: float
    comparisons: tuple[FieldComparison, ...]

    @property
    def former_resident(self) -> bool:
        """Moved out, died or left Japan: matched, but no letter goes to them."""
        return self.status != "resident"

    def to_dict(self) -> dict:
        return {
            "resident_id": self.resident_id,
            "status": self.status,
            "status_label": STATUS_LABELS_JA.get(self.status, self.status),
            "former_resident": self.former_resident,
            "score": round(self.score, 3),
            "comparisons": [c.to_dict() for c in self.comparisons],
        }


@dataclass(frozen=True)
class Decision:
    """The outcome for one ISA record. `resident_id` is the matched resident (auto_match) or the best
    candidate to confirm (review); None for no_match. `candidates` are the best few, best first, and
    with reason `same_name_dob_sex` also every other candidate with the best one's name, birth date
    and sex, however low it ranks (see `same_identity`)."""

    record_id: str
    outcome: str
    reason: str
    reasons: tuple[str, ...]
    resident_id: str | None
    score: float | None
    candidates: tuple[CandidateScore, ...]
    thresholds: Thresholds
    record_problems: tuple[str, ...] = ()
    candidate_count: int = 0

    @property
    def best(self) -> CandidateScore | None:
        return self.candidates[0] if self.candidates else None

    @property
    def former_resident(self) -> bool:
        return self.best is not None and self.outcome != NO_MATCH and self.best.former_resident

    @property
    def same_identity(self) -> tuple[str, ...]:
        """Resident ids of the candidates sharing the best candidate's name (order and spacing aside),
        birth date and sex, best first: the people reason `same_name_dob_sex` is about (a re-registered
        person's old and new record, twins with one name). () when that reason does not apply."""
        if "same_name_dob_sex" not in self.reasons:
            return ()
        first = _shown_identity(self.candidates[0])
        return tuple(c.resident_id for c in self.candidates if _shown_identity(c) == first)

    def to_dict(self) -> dict:
        return {
            "record_id": self.record_id,
            "outcome": self.outcome,
            "outcome_label": OUTCOME_LABELS_JA[self.outcome],
            "reason": self.reason,
            "reason_label": REASON_LABELS_JA[self.reason],
            "reasons": [{"code": r, "label": REASON_LABELS_JA[r]} for r in self.reasons],
            "resident_id": self.resident_id,
            "former_resident": self.former_resident,
            "score": None if self.score is None else round(self.score, 3),
            "record_problems": [
                {"field": p, "label": FIELD_PROBLEM_LABELS_JA.get(p, p)} for p in self.record_problems
            ],
            "candidate_count": self.candidate_count,
            "candidates": [c.to_dict() for c in self.candidates],
            "thresholds": self.thresholds.to_dict(),
        }


def _shown_identity(candidate: CandidateScore) -> tuple[str, str, str]:
    """`Features.identity_key` of a candidate, from its explanation (the normalised name, the birth
    date as ISO text, the sex or "")."""
    values = {c.field: c.resident_value for c in candidate.comparisons}
    return anagram_key(tuple(values["name"].split())), values["birth_date"], values["sex"]


class ScoredPair(NamedTuple):
    """A candidate with its score and comparison levels, before explanations are built."""

    resident: Features
    score: float
    levels: tuple[int, ...]
    name_adjustment: float = 0.0  # term-frequency adjustment included in `score`


_EXPLAINED = tuple((c.field, c.levels, c.resident_value) for c in COMPARISONS)
_NAME_EXPLAINED, _OTHERS_EXPLAINED = _EXPLAINED[0], _EXPLAINED[1:]  # the name comes first


def record_values(record: Features) -> tuple[str, ...]:
    """The record's side of every comparison, in `COMPARISONS` order (the same for all candidates)."""
    return tuple([c.record_value(record) for c in COMPARISONS])


def explain(
    model: ScoringModel, record: Features, scored: ScoredPair, values: Sequence[str] | None = None
) -> CandidateScore:
    """Per field: both values, level and weight. `values`: `record_values(record)`, if already known.

    The name's weight includes the term-frequency adjustment; the others add 0.0, as they always have.
    """
    if values is None:
        values = record_values(record)
    resident, score, levels, adjustment = scored
    weights = model.weights
    if not len(levels) == len(values) == len(weights) == len(_EXPLAINED):
        raise ValueError("one level, value and weight table per comparison expected")
    field, level_names, resident_value = _NAME_EXPLAINED
    level = levels[0]
    comparisons = [FieldComparison(
        field, values[0], resident_value(resident), level_names[level], weights[0][level] + adjustment, adjustment
    )]  # fmt: skip
    for i, (field, level_names, resident_value) in enumerate(_OTHERS_EXPLAINED, 1):
        level = levels[i]
        comparisons.append(FieldComparison(
            field, values[i], resident_value(resident), level_names[level], weights[i][level] + 0.0, 0.0
        ))  # fmt: skip
    return CandidateScore(resident.key, resident.status, score, tuple(comparisons))


_BY_SCORE = itemgetter(1)  # ScoredPair.score


def decide(
    record: Features,
    scored: Sequence[ScoredPair],
    *,
    thresholds: Thresholds,
    model: ScoringModel,
    explain_top: int = 3,
) -> Decision:
    """Apply the thresholds and the always-review rules.

    auto_match needs all of: best ≥ auto; second-best ≤ best − close_margin; no other candidate
    with the same normalised name, birth date and sex as the best; no import problem in a matching
    field of the ISA record; and name and birth date agreeing on their own (`_identity_agrees`):
    relatives share family name and address and twins a birth date too, so address and birth date
    must never pick the person alone. Otherwise best ≥ review gives review (the reasons say why
    not auto), else no_match. Former residents are decided like anyone else.

    Explained candidates: the best `explain_top`, and with `same_name_dob_sex` every lower-ranked
    candidate sharing the best one's name, birth date and sex (`Decision.same_identity`).
    """
    ranked = sorted(scored, key=_BY_SCORE, reverse=True)
    problems = tuple(sorted(record.problems & MATCHING_FIELDS)) if record.problems else ()
    if not ranked:
        return Decision(record.key, NO_MATCH, "no_candidates", ("no_candidates",), None, None, (),
                        thresholds, problems, 0)  # fmt: skip
    best = ranked[0]
    values = record_values(record)
    if best.score < thresholds.review:
        candidates = tuple([explain(model, record, s, values) for s in ranked[:explain_top]])
        return Decision(record.key, NO_MATCH, "below_threshold", ("below_threshold",), None, best.score,
                        candidates, thresholds, problems, len(ranked))  # fmt: skip
    shown = ranked[:explain_top]
    reasons = []
    if problems:
        reasons.append("field_problem")
    lead = best.resident  # identity_key (name letters, birth date, sex) compared field by field:
    anagram, birth_date, sex = lead.anagram, lead.birth_date, lead.sex
    same = [
        i
        for i, s in enumerate(ranked)
        if (r := s.resident).anagram == anagram and r.birth_date == birth_date and r.sex == sex
    ]
    if len(same) > 1:
        reasons.append("same_name_dob_sex")
        top = len(shown)
        shown += [ranked[i] for i in same if i >= top]  # the supervisor must see all of them
    candidates = tuple([explain(model, record, s, values) for s in shown])
    if len(ranked) > 1 and ranked[1].score > best.score - thresholds.close_margin:
        reasons.append("close_candidates")
    if not _identity_agrees(best.levels) and not _same_flat_slip(record, best.resident, best.levels):
        reasons.append("weak_identity")
    if best.score < thresholds.auto:
        reasons.append("score_between")
    if reasons:
        return Decision(record.key, REVIEW, reasons[0], tuple(reasons), best.resident.key, best.score,
                        candidates, thresholds, problems, len(ranked))  # fmt: skip
    return Decision(record.key, AUTO_MATCH, "auto", ("auto",), best.resident.key, best.score, candidates,
                    thresholds, problems, len(ranked))  # fmt: skip
