"""The match export for evaluations: one row per ISA record of a batch, in file order."""

from __future__ import annotations

from typing import TextIO

from enrollment.models import IsaRecord, MatchDecision, Resident
from nhi_portal import csvsafe

HEADER = ["source_file", "row_number", "resident_code", "decision", "score"]


def write_matches(batch, out: TextIO, *, header: bool = True) -> int:
    """`resident_code` is the person the engine linked (auto_match) or proposes (review); empty for
    no_match. `decision` is the engine's (auto_match / review / no_match). Without `header`, only
    the rows (to follow another batch's rows in one file)."""
    rows = MatchDecision.objects.filter(batch_id=batch.pk).values_list(
        "isa_record_id", "outcome", "resident_id", "score"
    )
    by_record = {r[0]: r[1:] for r in rows.iterator(chunk_size=10_000)}
    resident_ids = {r[1] for r in by_record.values() if r[1]}
    codes: dict[int, str] = {}
    ids = list(resident_ids)
    for start in range(0, len(ids), 5000):
        codes.update(
            Resident.objects.filter(pk__in=ids[start : start + 5000]).values_list("pk", "resident_code")
        )
    writer = csvsafe.writer(out, lineterminator="\n")
    if header:
        writer.writerow(HEADER)
    count = 0
    for record_id, row_number in (
        IsaRecord.objects.filter(batch_id=batch.pk)
        .order_by("row_number")
        .values_list("id", "row_number")
        .iterator(chunk_size=10_000)
    ):
        outcome, resident_id, score = by_record.get(record_id, ("", None, None))
        code = codes.get(resident_id, "") if outcome != "no_match" else ""
        writer.writerow(
            [batch.source_name, row_number, code, outcome, "" if score is None else f"{score:.3f}"]
        )
        count += 1
    return count
