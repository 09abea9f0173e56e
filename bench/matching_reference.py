"""Decisions of the scalar reference engine for a stored match run, compared with the stored ones
(the columnar engine's): `python -m bench.matching_reference <run id>` prints, as JSON on its last
line, how many records were compared and how many differ in outcome, resident or score.

The reference is the engine the columnar one replaced: `engine.match_record` pair by pair
(`comparisons.comparison_vector`, `engine.score_candidates`, `decision.decide`) on the same chunk
inputs (`matcher.chunk_input`: records, candidates, name counts, letters) and the run's stored
model and thresholds. Run by `bench.matching_speed` in a child process of its own.
"""

from __future__ import annotations

import json
import sys
import time


def main(run_id: int) -> None:
    import django

    django.setup()
    from enrollment.models import MatchRun
    from nhi_portal.scoping import municipality_scope, unscoped

    with unscoped("benchmark: the run to compare"):
        municipality_id = MatchRun.objects.filter(pk=run_id).values_list("municipality_id", flat=True).get()
    with municipality_scope(municipality_id):
        compare(run_id)


def compare(run_id: int) -> None:
    from enrollment.linking.matcher import chunk_input
    from enrollment.matching import ScoringModel, Thresholds, match_record
    from enrollment.models import MatchChunk, MatchDecision, MatchRun

    run = MatchRun.objects.get(pk=run_id)
    model = ScoringModel.from_dict(run.model)
    thresholds = Thresholds.from_dict(run.thresholds)
    stored = {
        isa_id: (outcome, resident_id, score)
        for isa_id, outcome, resident_id, score in MatchDecision.objects.filter(run_id=run_id).values_list(
            "isa_record_id", "outcome", "resident_id", "score"
        )
    }
    compared, differ, examples = 0, 0, []
    started = time.perf_counter()
    for lo, hi in (
        MatchChunk.objects.filter(run_id=run_id, kind=MatchChunk.Kind.MATCH)
        .order_by("lo")
        .values_list("lo", "hi")
    ):
        chunk = chunk_input(run, lo, hi)
        for record, found, count, letters in zip(
            chunk.features, chunk.found, chunk.name_counts, chunk.letters, strict=True
        ):
            decision = match_record(record, found, thresholds=thresholds, model=model, name_count=count,
                                    population=chunk.population, letters=letters)  # fmt: skip
            resident = int(decision.resident_id) if decision.resident_id else None
            score = None if decision.score is None else round(decision.score, 3)
            mine = (decision.outcome, resident, score)
            theirs = stored.get(int(record.key))
            compared += 1
            if (
                theirs is None
                or (theirs[0], theirs[1], None if theirs[2] is None else float(theirs[2])) != mine
            ):
                differ += 1
                if len(examples) < 10:
                    examples.append({"record": record.key, "reference": mine, "stored": theirs})
    print(json.dumps({
        "compared": compared, "differ": differ, "examples": examples, "stored": len(stored),
        "seconds": round(time.perf_counter() - started, 1),
    }, default=str))  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]))
