"""Scoring a matcher's decisions against the generator's ground truth (truth.csv). Pure functions.

Predictions: one row per ISA record, mappings with `source_file`, `row_number` (1-based data row),
`resident_code` ("" when none), `decision` (auto_match / review / no_match) and `score` (the
system's own scale, for information). Truth rows are those of truth.csv: `source_file`,
`row_number`, `resident_code`, `differences` (labels joined by ';'), `expected` (match /
not_in_register / ambiguous). A truth record without a prediction counts as no_match.

Figures (the acceptance bar of the matching issue):

- precision = correct auto-matches / auto-matches. Correct means expected=match and the true
  resident. Every other auto-match is an error: a wrong resident, a person not in the register,
  or an `ambiguous` record (a careful system sends those to review, even when it happened to
  pick the true resident; they are also counted on their own as "ambiguous auto-matched").
- recall = correct auto-matches / records whose expected is match.
- review rate = records sent to review / all records.
- wrong letters (`letters`: which residents an enrollment letter would go to once linked: 在住 and
  not insured, `letter_recipients`) = automatic matches that would send an enrollment letter to
  someone other than the true resident, or for a record whose truth says no letter
  (`expected_action` other than enroll_reminder, where the truth has that column — the 横浜市
  sample's gold file — else expected other than match).

Error breakdown per difference label (a record with two labels counts under both; a record
without labels under "(none)"): false auto-matches (by kind) and missed true matches (sent to
review, no match, or auto-matched to someone else), next to the number of records carrying the
label, so a rate can be read.
"""

from __future__ import annotations

import csv
import gzip
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

AUTO_MATCH, REVIEW, NO_MATCH = "auto_match", "review", "no_match"
DECISIONS = (AUTO_MATCH, REVIEW, NO_MATCH)
MATCH, NOT_IN_REGISTER, AMBIGUOUS = "match", "not_in_register", "ambiguous"
NO_LABEL = "(none)"
PREDICTION_HEADER = ("source_file", "row_number", "resident_code", "decision", "score")

# Kinds of false auto-match.
WRONG_RESIDENT, FALSE_POSITIVE, AMBIGUOUS_AUTO = "wrong_resident", "not_in_register", "ambiguous"
# Kinds of missed true match.
MISSED_REVIEW, MISSED_NO_MATCH, MISSED_WRONG = "review", "no_match", "wrong_resident"

Key = tuple[str, int]


@dataclass
class LabelErrors:
    """Errors among the records carrying one difference label."""

    records: int = 0  # records with this label (all expectations)
    false_auto: Counter = field(default_factory=Counter)  # kind → count
    missed: Counter = field(default_factory=Counter)  # kind → count (expected=match only)

    @property
    def false_auto_total(self) -> int:
        return sum(self.false_auto.values())

    @property
    def missed_total(self) -> int:
        return sum(self.missed.values())


@dataclass
class Evaluation:
    records: int = 0
    decisions: Counter = field(default_factory=Counter)  # decision → count
    expected: Counter = field(default_factory=Counter)  # expected → count
    correct_auto: int = 0
    false_auto: Counter = field(default_factory=Counter)  # kind → count
    missed: Counter = field(default_factory=Counter)  # kind → count
    ambiguous: Counter = field(default_factory=Counter)  # decision → count, expected=ambiguous
    ambiguous_auto_true_resident: int = 0  # of the ambiguous auto-matches, those naming the true one
    not_in_register: Counter = field(default_factory=Counter)  # decision → count
    wrong_letters: int = 0
    wrong_letters_by_label: Counter = field(default_factory=Counter)
    missing_predictions: int = 0
    unknown_predictions: int = 0  # predictions for records not in the truth (ignored)
    by_label: dict[str, LabelErrors] = field(default_factory=dict)

    @property
    def auto(self) -> int:
        return self.decisions[AUTO_MATCH]

    @property
    def review(self) -> int:
        return self.decisions[REVIEW]

    @property
    def true_matches(self) -> int:
        return self.expected[MATCH]

    @property
    def precision(self) -> float:
        """Correct auto-matches / auto-matches; 1.0 when nothing was auto-matched."""
        return self.correct_auto / self.auto if self.auto else 1.0

    @property
    def recall(self) -> float:
        """True matches auto-matched to the true resident / records expected to match."""
        return self.correct_auto / self.true_matches if self.true_matches else 1.0

    @property
    def review_rate(self) -> float:
        return self.review / self.records if self.records else 0.0

    def summary(self) -> dict:
        """Flat figures, JSON-friendly."""
        return {
            "records": self.records,
            "auto_match": self.auto,
            "review": self.review,
            "no_match": self.decisions[NO_MATCH],
            "expected_match": self.true_matches,
            "expected_not_in_register": self.expected[NOT_IN_REGISTER],
            "expected_ambiguous": self.expected[AMBIGUOUS],
            "correct_auto": self.correct_auto,
            "false_auto": dict(self.false_auto),
            "missed": dict(self.missed),
            "ambiguous": dict(self.ambiguous),
            "ambiguous_auto_true_resident": self.ambiguous_auto_true_resident,
            "not_in_register": dict(self.not_in_register),
            "precision": self.precision,
            "recall": self.recall,
            "review_rate": self.review_rate,
            "wrong_letters": self.wrong_letters,
            "missing_predictions": self.missing_predictions,
        }


def _key(row: Mapping) -> Key:
    return (str(row["source_file"]), int(row["row_number"]))


def _labels(text: str | None) -> list[str]:
    labels = [label for label in (text or "").split(";") if label]
    return labels or [NO_LABEL]


def evaluate(
    predictions: Iterable[Mapping], truth: Iterable[Mapping], *, letters: Collection[str] | None = None
) -> Evaluation:
    """Compare decisions with the truth; see the module docstring for the definitions. `letters`:
    resident codes an enrollment letter goes to when linked (None: wrong letters not counted)."""
    predicted: dict[Key, Mapping] = {}
    for row in predictions:
        key = _key(row)
        if key in predicted:
            raise ValueError(f"two predictions for {key}")
        decision = row["decision"]
        if decision not in DECISIONS:
            raise ValueError(f"unknown decision {decision!r} for {key}")
        predicted[key] = row
    result = Evaluation()
    seen: set[Key] = set()
    for t in truth:
        key = _key(t)
        seen.add(key)
        expected = t["expected"]
        true_code = str(t.get("resident_code") or "")
        labels = _labels(t.get("differences"))
        pred = predicted.get(key)
        if pred is None:
            result.missing_predictions += 1
            decision, code = NO_MATCH, ""
        else:
            decision, code = pred["decision"], str(pred.get("resident_code") or "")
        result.records += 1
        result.decisions[decision] += 1
        result.expected[expected] += 1
        for label in labels:
            result.by_label.setdefault(label, LabelErrors()).records += 1

        false_kind = missed_kind = None
        if expected == MATCH:
            if decision == AUTO_MATCH and code == true_code:
                result.correct_auto += 1
            elif decision == AUTO_MATCH:
                false_kind, missed_kind = WRONG_RESIDENT, MISSED_WRONG
            else:
                missed_kind = MISSED_REVIEW if decision == REVIEW else MISSED_NO_MATCH
        elif expected == AMBIGUOUS:
            result.ambiguous[decision] += 1
            if decision == AUTO_MATCH:
                false_kind = AMBIGUOUS_AUTO
                result.ambiguous_auto_true_resident += code == true_code
        elif expected == NOT_IN_REGISTER:
            result.not_in_register[decision] += 1
            if decision == AUTO_MATCH:
                false_kind = FALSE_POSITIVE
        else:
            raise ValueError(f"unknown expected value {expected!r} for {key}")
        if letters is not None and decision == AUTO_MATCH and code in letters:
            action = t.get("expected_action")
            right = code == true_code and (action == "enroll_reminder" if action else expected == MATCH)
            if not right:
                result.wrong_letters += 1
                for label in labels:
                    result.wrong_letters_by_label[label] += 1
        if false_kind:
            result.false_auto[false_kind] += 1
        if missed_kind:
            result.missed[missed_kind] += 1
        for label in labels:
            errors = result.by_label[label]
            if false_kind:
                errors.false_auto[false_kind] += 1
            if missed_kind:
                errors.missed[missed_kind] += 1
    result.unknown_predictions = len(predicted.keys() - seen)
    return result


# --- files ------------------------------------------------------------------------------------


def read_truth(path: Path | str) -> list[dict]:
    with Path(path).open(encoding="utf-8", newline="") as fh:
        return [{**row, "row_number": int(row["row_number"])} for row in csv.DictReader(fh)]


def _open_text(path: Path):
    return (
        gzip.open(path, "rt", encoding="utf-8", newline="")
        if path.suffix == ".gz"
        else path.open(encoding="utf-8", newline="")
    )


def letter_recipients(
    residents: Path | str, ledger: Path | str | None, *, on: date | None = None
) -> set[str]:
    """Resident codes an enrollment letter would go to once a record is linked to them: 在住 and
    not an active NHI insured on `on` (today), as `enrollment.cases.services.cases_open` decides."""
    on_text = (on or date.today()).isoformat()
    insured: set[str] = set()
    if ledger is not None and Path(ledger).exists():
        with _open_text(Path(ledger)) as fh:
            for row in csv.DictReader(fh):
                if row["acquired_date"] <= on_text and (not row["lost_date"] or row["lost_date"] > on_text):
                    insured.add(row["resident_code"])
    with _open_text(Path(residents)) as fh:
        return {
            row["resident_code"]
            for row in csv.DictReader(fh)
            if row.get("status", "在住") == "在住" and row["resident_code"] not in insured
        }


def truth_from_gold(gold: Path | str) -> list[dict]:
    """The 横浜市 sample's gold.csv.gz as truth rows: expected `ambiguous` for the truly ambiguous
    (expected_action review), `match` when the true resident is in the register, else
    `not_in_register`; labels from perturbations and hard_negatives; expected_action kept."""
    rows = []
    with _open_text(Path(gold)) as fh:
        for row in csv.DictReader(fh):
            code = row["true_resident_code"]
            action = row["expected_action"]
            labels = [
                x for part in (row["perturbations"], row["hard_negatives"]) for x in part.split(";") if x
            ]
            rows.append({
                "source_file": row["file"], "row_number": int(row["row_number"]), "resident_code": code,
                "differences": ";".join(labels),
                "expected": AMBIGUOUS if action == "review" else (MATCH if code else NOT_IN_REGISTER),
                "expected_action": action,
            })  # fmt: skip
    return rows


def read_predictions(path: Path | str) -> list[dict]:
    with Path(path).open(encoding="utf-8", newline="") as fh:
        return [
            {**row, "row_number": int(row["row_number"]), "score": float(row["score"] or "nan")}
            for row in csv.DictReader(fh)
        ]


def write_predictions(path: Path | str, rows: Iterable[Mapping]) -> None:
    with Path(path).open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(PREDICTION_HEADER)
        for row in rows:
            writer.writerow([row[c] if row[c] is not None else "" for c in PREDICTION_HEADER])


# --- tables -----------------------------------------------------------------------------------


def _pct(value: float) -> str:
    return f"{100 * value:.2f}%"


def format_comparison(
    evaluations: Sequence[Evaluation],
    names: Sequence[str],
    *,
    seconds: Sequence[float | None] | None = None,
    breakdown: bool = True,
) -> str:
    """Side-by-side table of two (or more) systems on the same truth: headline figures, counts,
    then the error breakdown by difference label (only labels where some system erred)."""
    if len(evaluations) != len(names):
        raise ValueError("one name per evaluation")
    seconds = list(seconds) if seconds is not None else [None] * len(evaluations)
    width = max(12, *(len(n) for n in names)) + 2
    lines: list[str] = []

    def row(label: str, values: Iterable[str]) -> None:
        lines.append(f"{label:<36}" + "".join(f"{v:>{width}}" for v in values))

    row("", names)
    row("precision (auto-matches)", (_pct(e.precision) for e in evaluations))
    row("recall (true matches auto-matched)", (_pct(e.recall) for e in evaluations))
    row("review rate", (_pct(e.review_rate) for e in evaluations))
    row("seconds", ("-" if s is None else f"{s:.1f}" for s in seconds))
    row("records", (str(e.records) for e in evaluations))
    row("auto / review / no match", (f"{e.auto}/{e.review}/{e.decisions[NO_MATCH]}" for e in evaluations))
    row("correct auto-matches", (str(e.correct_auto) for e in evaluations))
    row("wrong letters", (str(e.wrong_letters) for e in evaluations))
    for kind, text in (
        (WRONG_RESIDENT, "false auto: wrong resident"),
        (FALSE_POSITIVE, "false auto: not in register"),
        (AMBIGUOUS_AUTO, "false auto: ambiguous"),
    ):
        row(text, (str(e.false_auto[kind]) for e in evaluations))
    for kind, text in (
        (MISSED_REVIEW, "missed match: to review"),
        (MISSED_NO_MATCH, "missed match: no match"),
        (MISSED_WRONG, "missed match: wrong resident"),
    ):
        row(text, (str(e.missed[kind]) for e in evaluations))
    row(
        "ambiguous: review/auto/none",
        (f"{e.ambiguous[REVIEW]}/{e.ambiguous[AUTO_MATCH]}/{e.ambiguous[NO_MATCH]}" for e in evaluations),
    )
    row(
        "not in register: review/auto/none",
        (
            f"{e.not_in_register[REVIEW]}/{e.not_in_register[AUTO_MATCH]}/{e.not_in_register[NO_MATCH]}"
            for e in evaluations
        ),
    )
    if breakdown:
        labels = sorted(
            {
                label
                for e in evaluations
                for label, errs in e.by_label.items()
                if errs.false_auto_total or errs.missed_total
            }
        )
        if labels:
            lines.append("")
            lines.append("errors by difference label: false auto-matches / missed true matches (of records)")
            for label in labels:
                cells = []
                for e in evaluations:
                    errs = e.by_label.get(label, LabelErrors())
                    cells.append(f"{errs.false_auto_total}/{errs.missed_total} ({errs.records})")
                row(f"  {label}", cells)
    return "\n".join(lines)


def print_comparison(
    evaluations: Sequence[Evaluation],
    names: Sequence[str],
    *,
    seconds: Sequence[float | None] | None = None,
    title: str = "",
) -> None:
    if title:
        print(title)
    print(format_comparison(evaluations, names, seconds=seconds))
