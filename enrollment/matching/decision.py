"""The match decision (自動照合 / 要確認 / 該当なし) from scored candidates, with the explanation a
supervisor reads: per field the two normalised values, the agreement level and its weight. No Django.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple

from .comparisons import (
    A_EXACT,
    B_EXACT,
    COMPARISONS,
    G_DISAGREE,
    G_EXACT,
    MISSING,
    N_EXACT,
    N_JOINED,
    S_DISAGREE,
)
from .features import MATCHING_FIELDS, Features
from .names import anagram_key
from .scoring import ScoringModel

AUTO_MATCH = "auto_match"
REVIEW = "review"
NO_MATCH = "no_match"

OUTCOME_LABELS_JA = {AUTO_MATCH: "自動照合", REVIEW: "要確認", NO_MATCH: "該当なし"}

# Reason codes, strongest first: the first that applies is the decision's `reason`.
REASON_LABELS_JA = {
    "no_candidates": "候補者なし",
    "below_threshold": "どの候補者も本人である確率が低い",
    "no_letter_either_way": "どの読み方でも通知は同じ（通知なし）",
    "doppelganger": "氏名・生年月日・性別・住所が同じ住民が複数",
    "field_problem": "ISAデータの照合項目に不備あり",
    "same_name_dob_sex": "氏名・生年月日・性別が同じ住民が複数",
    "sex_differs": "性別が異なる",
    "address_elsewhere": "ISAの住所が他市区町村（在住の住民とは自動で結び付けない）",
    "close_candidates": "他の候補者である可能性も残る",
    "weak_identity": "氏名または生年月日の一致が不十分",
    "score_between": "本人である確率が自動照合の基準未満",
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

# What a reading (this record is that resident, or nobody here) leads to (勧奨の有無).
ENROLLMENT_LETTER = "enrollment_letter"
WITHDRAWAL_LETTER = "withdrawal_letter"
NO_LETTER = "none"
ACTION_LABELS_JA = {
    ENROLLMENT_LETTER: "加入勧奨の通知を送る",
    WITHDRAWAL_LETTER: "資格喪失届の勧奨を送る",
    NO_LETTER: "通知なし",
}
NO_LETTER_WHY_JA = {
    "moved_out": "転出済み",
    "died": "死亡",
    "left_japan": "国外転出済み",
    "insured": "すでに国保に加入",
    "not_insured": "国保に加入していない",
    "not_here": "この市区町村の住民でない",
    "lives_elsewhere": "ISAの住所は他市区町村（住民票は在住のまま）",
}


def _sex_tolerable(levels: Sequence[int]) -> bool:
    """A sex disagreement is a clerk's slip only when everything else agrees exactly, address down
    to the building and room; otherwise it is another person (a namesake of the other sex)."""
    return levels[2] != S_DISAGREE or (
        levels[0] in (N_EXACT, N_JOINED)
        and levels[1] == B_EXACT
        and levels[4] == A_EXACT
        and levels[3] == G_EXACT
    )


@dataclass(frozen=True)
class Thresholds:
    """Match probabilities, not score points.

    `target_precision`: an automatic match needs the best candidate's probability of being the
    person (against every other candidate and against "nobody here") to be at least this, so the
    expected precision of the automatic matches is at least the target. `review`: a reading
    (a candidate, or nobody here) with at least this probability is plausible; a supervisor is asked
    only when plausible readings lead to different letters.
    """

    target_precision: float = 0.9995
    review: float = 0.02
    auto: float | None = None  # the probability an automatic match needs, set from the target by the fit

    def __post_init__(self) -> None:
        if not 0.5 <= self.target_precision < 1.0:
            raise ValueError("target precision must be in [0.5, 1)")
        if not 0.0 < self.review < 0.5:
            raise ValueError("review probability must be in (0, 0.5)")
        if self.auto is not None and not self.review < self.auto < 1.0:
            raise ValueError("the automatic-match probability must be between the review probability and 1")

    @property
    def auto_probability(self) -> float:
        """Without a fitted value: the target itself (each automatic match at least that probable)."""
        return self.target_precision if self.auto is None else self.auto

    @classmethod
    def from_dict(cls, data: dict) -> Thresholds:
        """From a stored run; runs made before probabilities (score points) get the defaults."""
        if "target_precision" not in data:
            return cls()
        auto = data.get("auto")
        return cls(
            target_precision=float(data["target_precision"]),
            review=float(data["review"]),
            auto=None if auto is None else float(auto),
        )

    def to_dict(self) -> dict:
        return {
            "target_precision": self.target_precision,
            "review": self.review,
            "auto": self.auto_probability,
        }


@dataclass(frozen=True)
class LetterContext:
    """What a link would lead to: the kind of letter the record's list asks for and who of the
    candidates is insured now. `kind` is ENROLLMENT_LETTER (ISA annexes, pension category-2 lost)
    or WITHDRAWAL_LETTER (pension category-1/3 lost)."""

    kind: str = ENROLLMENT_LETTER
    insured: frozenset[str] = frozenset()

    def action(self, resident: Features, *, elsewhere: bool = False) -> tuple[str, str]:
        """(action, why there is none) of linking the record to this resident. `elsewhere`: the
        record's address is in another municipality while the register says 在住 (lg_code level
        "disagree"): if it is this resident, the ISA says they have moved (the 転出 not yet on the
        register), and an enrollment or withdrawal letter belongs to the new municipality — no
        letter from here whichever way the record is read."""
        if resident.status != "resident":
            return NO_LETTER, resident.status
        if elsewhere:
            return NO_LETTER, "lives_elsewhere"
        insured = resident.key in self.insured
        if self.kind == WITHDRAWAL_LETTER:
            return (WITHDRAWAL_LETTER, "") if insured else (NO_LETTER, "not_insured")
        return (NO_LETTER, "insured") if insured else (ENROLLMENT_LETTER, "")


DEFAULT_LETTERS = LetterContext()


@dataclass(slots=True)
class FieldComparison:
    field: str
    record_value: str
    resident_value: str
    level: str
    weight: float
    frequency_adjustment: float = 0.0  # part of `weight` from how common the name is (names only)
    m: float | None = None  # the model's m and u behind the weight (None: "missing", weight 0)
    u: float | None = None

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
            **_level_part(self.field, self.level, self.weight, self.frequency_adjustment, self.m, self.u),
        }


@lru_cache(maxsize=1 << 14)
def _level_part(
    field: str, level: str, weight: float, adjustment: float, m: float | None, u: float | None
) -> dict:
    """The part of a field's explanation that depends on its level and the model only (the same for
    thousands of pairs: formatted once). Read-only: `FieldComparison.to_dict` copies it."""
    data = {
        "level": level,
        "level_label": _COMPARISON[field].level_labels_ja[level],
        "weight": round(weight, 3),
        "frequency_adjustment": round(adjustment, 3),
    }
    if m is not None and u is not None:
        data["m"], data["u"] = float(f"{m:.4g}"), float(f"{u:.4g}")
    return data


_COMPARISON = {c.field: c for c in COMPARISONS}


@dataclass(slots=True)
class CandidateScore:
    resident_id: str
    status: str
    score: float
    comparisons: tuple[FieldComparison, ...]
    probability: float | None = None  # that this resident is the record's person
    action: str = ""  # what linking to this resident leads to (ACTION_LABELS_JA)
    no_letter_why: str = ""

    @property
    def former_resident(self) -> bool:
        """Moved out, died or left Japan: matched, but no letter goes to them."""
        return self.status != "resident"

    def to_dict(self) -> dict:
        data = {
            "resident_id": self.resident_id,
            "status": self.status,
            "status_label": STATUS_LABELS_JA.get(self.status, self.status),
            "former_resident": self.former_resident,
            "score": round(self.score, 3),
            "comparisons": [c.to_dict() for c in self.comparisons],
        }
        if self.probability is not None:
            data["probability"] = round(self.probability, 6)
        if self.action:
            data["action"] = self.action
            data["action_label"] = _action_label(self.action, self.no_letter_why)
        return data


def _action_label(action: str, why: str) -> str:
    if action == NO_LETTER and why:
        return f"{ACTION_LABELS_JA[NO_LETTER]}（{NO_LETTER_WHY_JA.get(why, STATUS_LABELS_JA.get(why, why))}）"
    return ACTION_LABELS_JA[action]


@dataclass(frozen=True)
class Reading:
    """One way to read the record: it is this resident (`resident_id`), or nobody here (None)."""

    resident_id: str | None
    probability: float
    action: str
    no_letter_why: str = ""

    def to_dict(self) -> dict:
        return {
            "resident_id": self.resident_id,
            "probability": round(self.probability, 6),
            "action": self.action,
            "action_label": _action_label(self.action, self.no_letter_why),
        }


@dataclass(frozen=True)
class Decision:
    """The outcome for one ISA record. `resident_id` is the matched resident (auto_match) or the best
    candidate to confirm (review); None for no_match. `candidates` are the best few, best first, and
    with reason `same_name_dob_sex` also every other candidate with the best one's name, birth date
    and sex, however low it ranks (see `same_identity`).

    `readings`: the plausible ways to read the record with their probabilities and what each leads
    to; `stake`: the probability that acting on the most likely reading sends a letter wrongly or
    misses one (0 when every plausible reading leads to the same letter) — what orders the queue."""

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
    readings: tuple[Reading, ...] = ()
    stake: float = 0.0
    probability: float | None = None  # of the best candidate

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
            "probability": None if self.probability is None else round(self.probability, 6),
            "record_problems": [
                {"field": p, "label": FIELD_PROBLEM_LABELS_JA.get(p, p)} for p in self.record_problems
            ],
            "candidate_count": self.candidate_count,
            "candidates": [c.to_dict() for c in self.candidates],
            "readings": [r.to_dict() for r in self.readings],
            "stake": round(self.stake, 6),
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


def record_values(record: Features) -> tuple[str, ...]:
    """The record's side of every comparison, in `COMPARISONS` order (the same for all candidates)."""
    return tuple([c.record_value(record) for c in COMPARISONS])


def explain(
    model: ScoringModel,
    record: Features,
    scored: ScoredPair,
    values: Sequence[str] | None = None,
    *,
    probability: float | None = None,
    letters: LetterContext | None = None,
) -> CandidateScore:
    """Per field: both values, level, weight and the model's m and u behind it. `values`:
    `record_values(record)`, if already known. The name's weight includes the term-frequency
    adjustment; the others have none."""
    if values is None:
        values = record_values(record)
    resident, score, levels, adjustment = scored
    weights = model.weights
    if not len(levels) == len(values) == len(weights) == len(_EXPLAINED):
        raise ValueError("one level, value and weight table per comparison expected")
    comparisons = []
    for i, (field, level_names, resident_value) in enumerate(_EXPLAINED):
        level = levels[i]
        name = level_names[level]
        extra = adjustment if i == 0 else 0.0
        m, u = model.params[field][name] if name != MISSING else (None, None)
        comparisons.append(FieldComparison(
            field, values[i], resident_value(resident), name, weights[i][level] + extra, extra, m, u
        ))  # fmt: skip
    action, why = (
        letters.action(resident, elsewhere=levels[3] == G_DISAGREE) if letters is not None else ("", "")
    )
    return CandidateScore(resident.key, resident.status, score, tuple(comparisons), probability, action, why)


_BY_SCORE = itemgetter(1)  # ScoredPair.score


def reading_probabilities(scores: Sequence[float]) -> tuple[list[float], float]:
    """Each candidate's probability of being the person, and nobody here's: the scores are log2
    odds against "nobody here", and at most one candidate can be the person."""
    if not scores:
        return [], 1.0
    top = max(scores)
    shift = max(top, 0.0)  # scale by the largest odds so that 2**score cannot overflow
    odds = [2.0 ** (s - shift) for s in scores]
    nobody = 2.0 ** (-shift)
    total = nobody + sum(odds)
    return [o / total for o in odds], nobody / total


def decide(
    record: Features,
    scored: Sequence[ScoredPair],
    *,
    thresholds: Thresholds,
    model: ScoringModel,
    letters: LetterContext = DEFAULT_LETTERS,
    explain_top: int = 3,
) -> Decision:
    """Decide one record from its scored candidates: automatically where the answer is clear or
    does not change a letter, by a supervisor where it would.

    Probabilities: the readings "it is candidate i" and "it is nobody here" share probability 1
    (`reading_probabilities`). auto_match needs the best candidate's probability ≥ the automatic
    threshold (set from the target precision), and none of: another candidate with the same name,
    birth date, sex and address (a doppelgänger: always to a person, `doppelganger`); a sex
    disagreement that is not a slip (`_sex_tolerable`); an ISA address in another municipality
    against a resident who is 在住 here (`address_elsewhere`: no letter from here either way).
    Everything else is the learned weights' to say: a garbled name or birth date, a relative who
    shares the family name, birth date and address (twins), an import problem (the field is empty
    and carries no evidence). There is no hand rule on which fields must agree.

    Otherwise the plausible readings (probability ≥ `thresholds.review`) are compared by what they
    lead to (`LetterContext.action`): when all of them lead to no letter, or only "nobody here" is
    plausible, the record is no_match without asking, and the explanation says why
    (`no_letter_either_way` / `below_threshold`); when they lead to different letters or to
    different people, it goes to review. Doppelgängers go to review whatever the letters.
    """
    ranked = sorted(scored, key=_BY_SCORE, reverse=True)
    problems = tuple(sorted(record.problems & MATCHING_FIELDS)) if record.problems else ()
    if not ranked:
        return Decision(record.key, NO_MATCH, "no_candidates", ("no_candidates",), None, None, (),
                        thresholds, problems, 0, (Reading(None, 1.0, NO_LETTER, "not_here"),))  # fmt: skip
    auto = thresholds.auto_probability
    best = ranked[0]
    values = record_values(record)
    probabilities, nobody = reading_probabilities([s.score for s in ranked])
    p_best = probabilities[0]
    actions = [letters.action(s.resident, elsewhere=s.levels[3] == G_DISAGREE) for s in ranked]

    shown = list(range(min(explain_top, len(ranked))))
    reasons: list[str] = []
    lead = best.resident  # identity_key (name letters, birth date, sex) compared field by field:
    anagram, birth_date, sex = lead.anagram, lead.birth_date, lead.sex
    same = [
        i
        for i, s in enumerate(ranked)
        if (r := s.resident).anagram == anagram and r.birth_date == birth_date and r.sex == sex
    ]
    if len(same) > 1:
        place = lead.address.block_key()
        if place and any(ranked[i].resident.address.block_key() == place for i in same[1:]):
            reasons.append("doppelganger")
        reasons.append("same_name_dob_sex")
        shown += [i for i in same if i not in shown]  # the supervisor must see all of them
    # An import problem in a matching field (an impossible birth date, an unreadable sex) leaves
    # that field "missing": no evidence either way, and the others must carry the probability on
    # their own. It is still shown among the reasons of a record that goes to a person.
    if problems:
        reasons.append("field_problem")
    if not _sex_tolerable(best.levels):
        reasons.append("sex_differs")
    if best.levels[3] == G_DISAGREE:
        # The ISA address is in another municipality and this resident is 在住 here: a namesake of
        # somebody who lives elsewhere, or this resident after a move the register does not show
        # yet. Neither reading sends a letter from here (`LetterContext.action`), so no automatic link.
        reasons.append("address_elsewhere")
    if len(ranked) > 1 and probabilities[1] >= thresholds.review:
        reasons.append("close_candidates")
    if p_best < auto:
        reasons.append("score_between")

    # A candidate of the other sex is somebody else unless everything else agrees (`_sex_tolerable`):
    # shown, but not a reading anyone acts on.
    other_sex = {
        i for i, s in enumerate(ranked) if s.levels[2] == S_DISAGREE and not _sex_tolerable(s.levels)
    }
    plausible = [
        Reading(ranked[i].resident.key, p, actions[i][0], actions[i][1])
        for i, p in enumerate(probabilities)
        if (p >= thresholds.review or i == 0) and i not in other_sex
    ]
    if nobody >= thresholds.review or not plausible:
        plausible.append(Reading(None, nobody, NO_LETTER, "not_here"))
    plausible.sort(key=lambda r: r.probability, reverse=True)
    # A letter's recipient per reading (None: no letter); the stake is what the most likely
    # letter outcome leaves to chance.
    mass: dict[str | None, float] = {}
    for reading in (*(Reading(s.resident.key, p, a[0]) for s, p, a in zip(ranked, probabilities, actions, strict=True)),
                    Reading(None, nobody, NO_LETTER)):  # fmt: skip
        recipient = reading.resident_id if reading.action != NO_LETTER else None
        mass[recipient] = mass.get(recipient, 0.0) + reading.probability
    stake = max(0.0, 1.0 - max(mass.values()))  # never below 0 by rounding
    recipients = {r.resident_id if r.action != NO_LETTER else None for r in plausible}

    def explained() -> tuple[CandidateScore, ...]:
        return tuple(
            explain(model, record, ranked[i], values, probability=probabilities[i], letters=letters)
            for i in shown
        )

    common = (thresholds, problems, len(ranked), tuple(plausible), stake, p_best)
    if "doppelganger" in reasons:  # filed under the same-identity reason the queue already knows
        return Decision(record.key, REVIEW, "same_name_dob_sex", tuple(reasons), lead.key, best.score,
                        explained(), *common)  # fmt: skip
    blocking = [r for r in reasons if r not in ("same_name_dob_sex", "field_problem")]
    if not blocking:
        return Decision(record.key, AUTO_MATCH, "auto", ("auto",), lead.key, best.score, explained(), *common)
    if p_best < thresholds.review and nobody >= 1.0 - thresholds.review:
        return Decision(record.key, NO_MATCH, "below_threshold", ("below_threshold", *blocking), None,
                        best.score, explained(), *common)  # fmt: skip
    if recipients == {None}:
        why = "sex_differs" if 0 in other_sex and not {r.resident_id for r in plausible} - {None} else (
            "no_letter_either_way")  # fmt: skip
        return Decision(record.key, NO_MATCH, why, (why, *[r for r in blocking if r != why]), None,
                        best.score, explained(), *common)  # fmt: skip
    reason = next(r for r in ("same_name_dob_sex", "field_problem", *blocking) if r in reasons)
    return Decision(record.key, REVIEW, reason, tuple(reasons), lead.key, best.score, explained(), *common)
