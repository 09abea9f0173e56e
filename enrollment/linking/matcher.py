"""Match one chunk of ISA rows: features, candidate lookup through the key table, scoring and
the decision (engine), remembered supervisor links, and the decisions written in one go."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from django.db import connection
from django.utils import timezone

from enrollment.matching import (
    AUTO_MATCH,
    MAX_BLOCK_SIZE,
    NO_MATCH,
    REVIEW,
    Decision,
    Features,
    Thresholds,
    key_hash,
    match_record,
    record_features,
    record_keys,
)
from enrollment.matching.blocking import name_frequency_key
from enrollment.models import (
    IsaRecord,
    LinkStatus,
    MatchDecision,
    MatchEvent,
    MatchRun,
    RememberedLink,
    ResidentFeatures,
    ResidentMatchKey,
)
from nhi_portal.intake.bulk import insert_rows

DECISION_FIELDS = [
    "isa_record_id", "municipality_id", "batch_id", "run_id", "outcome", "reason", "score", "resident_id",
    "former_resident", "remembered", "explanation", "status", "linked_resident_id", "resolution", "note",
    "decided_at",
]  # fmt: skip
# Reasons the Django layer adds to the engine's (enrollment.matching.decision.REASON_LABELS_JA).
REMEMBERED_REASONS = {
    "remembered": "以前に監督者が照合した人と同じ（氏名・生年月日・性別）",
    "remembered_conflict": "以前に監督者が照合した人と自動照合の結果が異なる",
}


def identity_key(features: Features) -> str:
    """Normalised name (order and spacing ignored), birth date and sex, as one string."""
    anagram, birth, sex = features.identity_key
    return f"{anagram}|{birth.isoformat() if birth else ''}|{sex or ''}"


def _candidates(municipality_id: int, keys: set[str]) -> tuple[dict[str, int], dict[str, list[int]]]:
    """Block sizes of the keys, and the residents of every block small enough to be useful
    (`MAX_BLOCK_SIZE`), in one round trip: the keys go to the database as their hashes."""
    if not keys:
        return {}, {}
    by_hash: dict[int, list[str]] = defaultdict(list)
    for key in keys:
        by_hash[key_hash(key)].append(key)
    table = ResidentMatchKey._meta.db_table
    sizes: dict[str, int] = {}
    members: dict[str, list[int]] = {}
    with connection.cursor() as cursor:
        # 2,000 keys a query: with more, the planner left the index for a scan of every key.
        for where, params in _in_parts("key", list(by_hash), 2_000):
            # Each key's size, and its residents when the block is small enough (NULL otherwise).
            cursor.execute(
                f"SELECT key, count(*), CASE WHEN count(*) <= %s THEN {_array_agg()} END "  # noqa: S608
                f"FROM {table} WHERE municipality_id = %s AND {where} GROUP BY key",
                [MAX_BLOCK_SIZE, municipality_id, *params],
            )
            for hashed, size, residents in cursor.fetchall():
                for key in by_hash[hashed]:
                    sizes[key] = size
                    if residents is not None:
                        members[key] = _id_list(residents)
    return sizes, members


def _in_parts(column: str, values: list, per_query: int) -> Iterator[tuple[str, list]]:
    """`column` among `values` as (SQL condition, parameters), `per_query` values at a time:
    one array parameter on PostgreSQL, 400 placeholders at a time on SQLite (under its variable limit)."""
    postgres = connection.vendor == "postgresql"
    step = per_query if postgres else 400
    for start in range(0, len(values), step):
        part = values[start : start + step]
        if postgres:
            yield f"{column} = ANY(%s)", [part]
        else:
            yield f"{column} IN ({','.join(['%s'] * len(part))})", part


def _array_agg() -> str:
    return "array_agg(resident_id)" if connection.vendor == "postgresql" else "group_concat(resident_id)"


def _id_list(residents) -> list[int]:
    """array_agg gives a list already; SQLite's group_concat a comma-separated text."""
    return residents if isinstance(residents, list) else [int(r) for r in str(residents).split(",")]


_SEP = "\x1f"  # ASCII unit separator


def _features(resident_ids: set[int]) -> dict[int, Features]:
    """The stored features of the residents, read with one query per 20,000 (no ORM objects)."""
    found: dict[int, Features] = {}
    ids = list(resident_ids)
    table = ResidentFeatures._meta.db_table
    # One text per row, the columns joined by a unit separator (which no stored value holds): a
    # third of the time to fetch tens of thousands of rows compared with thirteen columns each.
    columns = " || %s || ".join(ResidentFeatures.STORED)  # all NOT NULL
    separators = [_SEP] * (len(ResidentFeatures.STORED) - 1)
    from_values = Features.from_stored_values
    with connection.cursor() as cursor:
        for where, params in _in_parts("resident_id", ids, 20_000):
            query = f"SELECT resident_id, {columns} FROM {table} WHERE {where}"  # noqa: S608
            cursor.execute(query, [*separators, *params])
            for resident_id, values in cursor.fetchall():
                found[resident_id] = from_values(str(resident_id), values.split(_SEP))
    return found


def match_rows(run: MatchRun, lo: int, hi: int) -> dict:
    """Decide the ISA rows lo..hi of the run's batch. Called inside the chunk's transaction."""
    thresholds = Thresholds(**run.thresholds)
    records = list(
        IsaRecord.objects.filter(batch_id=run.batch_id, row_number__range=(lo, hi))
        .order_by("row_number")
        .values_list("id", "name", "lg_code", "address", "sex", "birth_date", "problem_fields")
    )
    features = [
        record_features(
            record_id=rid,
            name=name,
            lg_code=lg_code,
            address=address,
            sex=sex,
            birth_date=birth,
            problems=[p for p in problems.split(",") if p],
        )
        for rid, name, lg_code, address, sex, birth, problems in records
    ]
    keys_of = [record_keys(f) for f in features]
    all_keys = {k for keys in keys_of for k in keys}
    all_keys.update(k for f in features if (k := name_frequency_key(f)))
    sizes, members = _candidates(run.municipality_id, all_keys)
    wanted = {rid for keys in keys_of for k in keys for rid in members.get(k, ())}
    residents = _features(wanted)
    remembered = dict(
        RememberedLink.objects.filter(
            municipality_id=run.municipality_id, identity_key__in={identity_key(f) for f in features}
        ).values_list("identity_key", "resident_id")
    )
    now = timezone.now()
    rows, events = [], []
    counts = {AUTO_MATCH: 0, REVIEW: 0, NO_MATCH: 0, "remembered": 0}
    for record, keys in zip(features, keys_of, strict=True):
        candidate_ids = dict.fromkeys(rid for k in keys for rid in members.get(k, ()))
        decision = match_record(
            record,
            [residents[rid] for rid in candidate_ids if rid in residents],
            thresholds=thresholds,
            name_count=sizes.get(name_frequency_key(record), 0),
            population=run.population or None,
        )
        row, event = _decision_row(run, record, decision, remembered.get(identity_key(record)), now)
        rows.append(row)
        if event:
            events.append(event)
        counts[row[4]] += 1
        counts["remembered"] += int(row[9])
    insert_rows(MatchDecision, DECISION_FIELDS, rows)
    if events:
        ids = dict(
            MatchDecision.objects.filter(isa_record_id__in=[e[0] for e in events]).values_list(
                "isa_record_id", "id"
            )
        )
        insert_rows(
            MatchEvent,
            ["decision_id", "municipality_id", "action", "resident_after", "note", "at"],
            [(ids[isa_id], run.municipality_id, *rest) for isa_id, *rest in events],
        )
    return counts


def _decision_row(
    run: MatchRun, record: Features, decision: Decision, remembered_id: int | None, now
) -> tuple:
    outcome, reason = decision.outcome, decision.reason
    resident_id = int(decision.resident_id) if decision.resident_id else None
    explanation = decision.to_dict()
    if outcome != REVIEW:
        explanation["candidates"] = explanation["candidates"][:2]  # the pick and the runner-up
    is_remembered, event = False, None
    if remembered_id is not None:
        explanation["remembered_resident_id"] = remembered_id
        twins = "same_name_dob_sex" in decision.reasons
        if outcome == AUTO_MATCH and resident_id != remembered_id:
            outcome, reason = REVIEW, "remembered_conflict"
        elif not twins and not record.has_problem_in_matching_field:
            is_remembered = True
            if outcome != AUTO_MATCH:
                outcome, reason, resident_id = AUTO_MATCH, "remembered", remembered_id
                event = (
                    int(record.key),
                    MatchEvent.Action.REMEMBERED,
                    remembered_id,
                    REMEMBERED_REASONS["remembered"],
                    now,
                )
        explanation["reason"] = reason
        explanation["reason_label"] = REMEMBERED_REASONS.get(reason, explanation["reason_label"])
    status = {
        AUTO_MATCH: LinkStatus.LINKED,
        REVIEW: LinkStatus.PENDING_REVIEW,
        NO_MATCH: LinkStatus.NOT_RESIDENT,
    }[outcome]
    former = bool(resident_id) and any(
        c["resident_id"] == str(resident_id) and c.get("former_resident") for c in explanation["candidates"]
    )
    return (
        int(record.key), run.municipality_id, run.batch_id, run.pk, outcome, reason,
        None if decision.score is None else round(decision.score, 3), resident_id, former, is_remembered,
        explanation, status, resident_id if outcome == AUTO_MATCH else None, "", "", now,
    ), event  # fmt: skip
