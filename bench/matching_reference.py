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
    from enrollment.matching.columnar import match_chunk
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
    columnar_cpu = scalar_cpu = 0.0
    pairs = fallback = in_process = 0
    started = time.perf_counter()
    for lo, hi in (
        MatchChunk.objects.filter(run_id=run_id, kind=MatchChunk.Kind.MATCH)
        .order_by("lo")
        .values_list("lo", "hi")
    ):
        chunk = chunk_input(run, lo, hi)
        # CPU time of both engines on the same inputs, one after the other in this process (A/B).
        begun = time.process_time()
        columnar = match_chunk(
            chunk.features,
            chunk.found,
            thresholds=thresholds,
            model=model,
            name_counts=chunk.name_counts,
            population=chunk.population,
            letters=chunk.letters,
        )
        columnar_cpu += time.process_time() - begun
        pairs += columnar.pairs
        fallback += columnar.fallback
        begun = time.process_time()
        decisions = [
            match_record(record, found, thresholds=thresholds, model=model, name_count=count,
                         population=chunk.population, letters=letters)
            for record, found, count, letters in zip(
                chunk.features, chunk.found, chunk.name_counts, chunk.letters, strict=True
            )
        ]  # fmt: skip
        scalar_cpu += time.process_time() - begun
        for record, decision, other in zip(chunk.features, decisions, columnar.decisions, strict=True):
            if decision != other:
                in_process += 1
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
        "seconds": round(time.perf_counter() - started, 1), "pairs": pairs, "by_compare_name": fallback,
        "scalar_cpu": round(scalar_cpu, 2), "columnar_cpu": round(columnar_cpu, 2), "differ_in_process": in_process,
    }, default=str))  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]))
