"""Match one chunk of ISA rows: features, candidate lookup through the key table, scoring and
the decision (engine), remembered supervisor links, and the decisions written in one go. Before the
first chunk, the run's model is fitted on the month's own pairs and the supervisors' past decisions
(`run_model`) and stored with the run."""

from __future__ import annotations

import logging
import random
import time
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Mod
from django.utils import timezone

from enrollment.matching import (
    AUTO_MATCH,
    MAX_BLOCK_SIZE,
    NO_MATCH,
    REVIEW,
    Decision,
    Features,
    ScoringModel,
    Thresholds,
    key_hash,
    record_features,
    record_keys,
)
from enrollment.matching.blocking import name_frequency_key
from enrollment.matching.columnar import chunk_levels, compare_chunk, match_chunk, pair_levels
from enrollment.matching.comparisons import N_JOINED
from enrollment.matching.decision import ENROLLMENT_LETTER, WITHDRAWAL_LETTER, LetterContext
from enrollment.matching.training import fit_model
from enrollment.models import (
    Annex,
    IsaRecord,
    LinkStatus,
    MatchDecision,
    MatchEvent,
    MatchRun,
    NhiMembership,
    RememberedLink,
    Resident,
    ResidentFeatures,
    ResidentMatchKey,
    Resolution,
)
from nhi_portal.domain.codes import lg_code_problem
from nhi_portal.intake.bulk import insert_rows

logger = logging.getLogger(__name__)

FIT_RECORDS = 20_000  # records of the batch the model is fitted on (evenly spread over the batch)
FIT_RANDOM_RESIDENTS = 2_000  # residents drawn at random for u
FIT_RANDOM_PAIRS = 200_000
FIT_LABELLED = 5_000  # most recent supervisor decisions taken into the fit

DECISION_FIELDS = [
    "isa_record_id", "municipality_id", "batch_id", "run_id", "outcome", "reason", "score", "resident_id",
    "former_resident", "remembered", "explanation", "status", "linked_resident_id", "resolution", "note",
    "decided_at", "stake",
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


_RECORD_COLUMNS = (
    "id",
    "name",
    "lg_code",
    "address",
    "sex",
    "birth_date",
    "problem_fields",
    "raw_lg_code",
    "annex",
)


def _elsewhere_code(lg_code: str, raw: str | None, problems: list[str]) -> tuple[str, list[str]]:
    """A valid municipality code of another municipality is refused by the import (the record is
    kept, its code cleared), but for matching it is evidence, not an unreadable value: the person
    lives elsewhere (moved out, or somebody else than a namesake living here). Use it, and do not
    count it as a problem that forbids an automatic match."""
    if lg_code or "lg_code" not in problems or not raw:
        return lg_code, problems
    code = unicodedata.normalize("NFKC", raw).strip()
    if lg_code_problem(code) is not None:
        return lg_code, problems
    return code, [p for p in problems if p != "lg_code"]


def _record_features(rows) -> list[Features]:
    features = []
    for rid, name, lg_code, address, sex, birth, problem_text, raw_lg_code, *_ in rows:
        lg_code, problems = _elsewhere_code(lg_code, raw_lg_code, [p for p in problem_text.split(",") if p])
        features.append(record_features(
            record_id=rid, name=name, lg_code=lg_code, address=address, sex=sex, birth_date=birth, problems=problems,
        ))  # fmt: skip
    return features


def letter_kind(annex: int) -> str:
    """The letter a record's list asks for: a withdrawal reminder for the pension list of persons
    who joined employee insurance (第1号・第3号喪失), an enrollment reminder for every other list."""
    return WITHDRAWAL_LETTER if annex == Annex.PENSION_CAT13_LOST else ENROLLMENT_LETTER


def insured_resident_ids(municipality_id: int, resident_ids, on=None) -> frozenset[str]:
    """Which of these residents are NHI insured on `on` (today), as the engine's resident keys."""
    on = on or timezone.localdate()
    codes = dict(Resident.objects.filter(pk__in=list(resident_ids)).values_list("resident_code", "id"))
    if not codes:
        return frozenset()
    active = (
        NhiMembership.objects.for_municipality(municipality_id)
        .filter(resident_code__in=list(codes), acquired_date__lte=on)
        .filter(Q(lost_date__isnull=True) | Q(lost_date__gt=on))
        .values_list("resident_code", flat=True)
    )
    return frozenset(str(codes[code]) for code in active)


# --- the run's model ---------------------------------------------------------------------------


def run_model(run: MatchRun) -> ScoringModel:
    """The run's fitted model: fitted once, by the first chunk to get here (the run row is locked
    meanwhile, so a second worker waits and then reads it), and stored with the run together with
    the automatic-match probability the fit sets from the target precision."""
    if run.model:
        return ScoringModel.from_dict(run.model)
    with transaction.atomic():
        locked = MatchRun.objects.select_for_update().get(pk=run.pk)
        if not locked.model:
            model = fit_run_model(locked)
            thresholds = Thresholds.from_dict(locked.thresholds or {})
            auto = model.info.get("auto_probability")
            if auto is not None and thresholds.review < auto < 1.0:
                thresholds = Thresholds(target_precision=thresholds.target_precision, review=thresholds.review,
                                        auto=auto)  # fmt: skip
            locked.model, locked.thresholds = model.to_dict(), thresholds.to_dict()
            MatchRun.objects.filter(pk=run.pk).update(model=locked.model, thresholds=locked.thresholds)
            logger.info("match run %s: model fitted (%s)", run.pk, {k: v for k, v in model.info.items()
                                                                   if k in ("source", "pairs", "matched_share")})  # fmt: skip
    run.model, run.thresholds = locked.model, locked.thresholds
    return ScoringModel.from_dict(run.model)


def fit_run_model(run: MatchRun) -> ScoringModel:
    """Fit m/u on up to `FIT_RECORDS` of the batch's records: their candidate pairs (the two EM
    sessions by name letters and by birth date + block address), random (record, resident) pairs for
    u, and the municipality's supervisor decisions as labelled pairs (`labelled_pairs`)."""
    thresholds = Thresholds.from_dict(run.thresholds or {})
    total = run.batch.rows_total or run.batch.isa_records.count()
    step = max(1, total // FIT_RECORDS)
    rows = list(
        IsaRecord.objects.filter(batch_id=run.batch_id)
        .alias(sample=Mod("row_number", step))
        .filter(sample=0)
        .order_by("row_number")
        .values_list(*_RECORD_COLUMNS)[:FIT_RECORDS]
    )
    records = _record_features(rows)
    keys_of = [record_keys(f) for f in records]
    all_keys = {k for keys in keys_of for k in keys}
    all_keys.update(k for f in records if (k := name_frequency_key(f)))
    sizes, members = _candidates(run.municipality_id, all_keys)
    wanted = {rid for k in all_keys for rid in members.get(k, ())}
    residents = _features(wanted)
    population = run.population or len(residents)
    # The pairs as (record, resident column) indices: the records and the residents are compared
    # once as columns, for the four sets of pairs at once (`columnar.chunk_levels`).
    ids = list(residents)
    column = {rid: j for j, rid in enumerate(ids)}
    columns = [residents[rid] for rid in ids]
    sets: dict[str, tuple[list[int], list[int]]] = {
        name: ([], []) for name in ("pairs", "name", "place", "random")
    }
    pair_r, pair_s = sets["pairs"]
    name_r, name_s = sets["name"]
    place_r, place_s = sets["place"]
    owners, adjustments = pair_r, []
    model = ScoringModel()
    for number, (record, keys) in enumerate(zip(records, keys_of, strict=True)):
        name_key = name_frequency_key(record)
        adjustment = model.name_adjustment(sizes.get(name_key, 0), population)
        for rid in dict.fromkeys(rid for k in keys for rid in members.get(k, ())):
            if (j := column.get(rid)) is not None:
                pair_r.append(number)
                pair_s.append(j)
                adjustments.append(adjustment)
        for rid in members.get(name_key, ()):
            if (j := column.get(rid)) is not None:
                name_r.append(number)
                name_s.append(j)
        for key in keys:
            if key.startswith("b:"):
                for rid in members.get(key, ()):
                    if (j := column.get(rid)) is not None:
                        place_r.append(number)
                        place_s.append(j)
    sample = _random_residents(run.municipality_id, population)
    rng = random.Random(len(records))  # not the run's id: the same files give the same model
    if records and sample:
        # rng.choice(records), rng.choice(sample) as indices: the same draws as pairs of objects.
        draw_records, draw_sample, offset = range(len(records)), range(len(sample)), len(columns)
        random_r, random_s = sets["random"]
        for _ in range(FIT_RANDOM_PAIRS):
            random_r.append(rng.choice(draw_records))
            random_s.append(offset + rng.choice(draw_sample))
    columns.extend(sample)
    sizes_of = [len(sets[name][0]) for name in sets]
    computed = chunk_levels(
        records,
        columns,
        np.fromiter((k for name in sets for k in sets[name][0]), dtype=np.int64, count=sum(sizes_of)),
        np.fromiter((j for name in sets for j in sets[name][1]), dtype=np.int64, count=sum(sizes_of)),
    ).levels
    candidates, by_name, by_place, random_levels = np.split(computed, np.cumsum(sizes_of)[:-1])
    # The frequency adjustment counts only where the name agrees exactly or but for spacing.
    adjusted = np.where(candidates[:, 0] <= N_JOINED, np.asarray(adjustments, dtype=np.float64), 0.0)
    labelled, labels = labelled_pairs(run.municipality_id)
    return fit_model(
        by_name=by_name,
        by_place=by_place,
        random_levels=random_levels,
        candidates=candidates,
        candidate_records=np.asarray(owners, dtype=np.int64),
        adjustments=adjusted,
        records=len(records),
        population=population,
        labelled=pair_levels(labelled) if labelled else None,
        labels=labels or None,
        target_precision=thresholds.target_precision,
    )


def _random_residents(municipality_id: int, population: int) -> list[Features]:
    """About `FIT_RANDOM_RESIDENTS` residents spread evenly over the register (every k-th by id):
    deterministic, so that the same files give the same model and the same decisions (the
    variants of a file in another encoding or notation included)."""
    step = max(1, population // FIT_RANDOM_RESIDENTS)
    ids = list(
        ResidentFeatures.objects.for_municipality(municipality_id)
        .alias(sample=Mod("resident_id", step))
        .filter(sample=0)
        .order_by("resident_id")
        .values_list("resident_id", flat=True)[:FIT_RANDOM_RESIDENTS]
    )
    found = _features(set(ids))
    return [found[i] for i in ids if i in found]


def labelled_pairs(municipality_id: int) -> tuple[list[tuple[Features, Features]], list[bool]]:
    """(record, resident) pairs supervisors decided, with their label: the person they linked the
    record to (confirmed, chosen, or the new person of an overturn) is the same person; every other
    candidate of that record, and the automatic pick they overturned, is somebody else; "not
    resident here" makes every candidate somebody else. The most recent `FIT_LABELLED` decisions."""
    decided = list(
        MatchDecision.objects.for_municipality(municipality_id)
        .exclude(resolution=Resolution.NONE)
        .exclude(resolved_by=None)
        .order_by("-resolved_at")
        .values_list("isa_record_id", "linked_resident_id", "explanation", "resident_id")[:FIT_LABELLED]
    )
    if not decided:
        return [], []
    records = {
        f.key: f
        for f in _record_features(
            IsaRecord.objects.filter(pk__in=[d[0] for d in decided]).values_list(*_RECORD_COLUMNS)
        )
    }
    wanted: set[int] = set()
    for _, linked, explanation, picked in decided:
        wanted.update(int(c["resident_id"]) for c in (explanation or {}).get("candidates", []))
        wanted.update(i for i in (linked, picked) if i)
    residents = _features(wanted)
    pairs, labels = [], []
    for record_id, linked, explanation, picked in decided:
        record = records.get(str(record_id))
        if record is None:
            continue
        others = {int(c["resident_id"]) for c in (explanation or {}).get("candidates", [])}
        if picked:
            others.add(picked)
        if linked:
            others.add(linked)
        for rid in others:
            if (resident := residents.get(rid)) is not None:
                pairs.append((record, resident))
                labels.append(rid == linked)
    return pairs, labels


@dataclass
class ChunkInput:
    """What deciding a chunk needs: its records' features (in row order), each record's candidate
    residents in the order the keys found them, the block size of each record's name letters, and
    the letter each reading would lead to."""

    features: list[Features]
    found: list[list[Features]]
    name_counts: list[int]
    letters: list[LetterContext]
    population: int | None


def chunk_input(run: MatchRun, lo: int, hi: int) -> ChunkInput:
    """Read the ISA rows lo..hi of the run's batch and their candidates (one grouped key look-up,
    the candidates' stored features in one query per 20,000)."""
    records = list(
        IsaRecord.objects.filter(batch_id=run.batch_id, row_number__range=(lo, hi))
        .order_by("row_number")
        .values_list(*_RECORD_COLUMNS)
    )
    features = _record_features(records)
    kinds = [letter_kind(row[-1]) for row in records]
    keys_of = [record_keys(f) for f in features]
    all_keys = {k for keys in keys_of for k in keys}
    all_keys.update(k for f in features if (k := name_frequency_key(f)))
    sizes, members = _candidates(run.municipality_id, all_keys)
    wanted = {rid for keys in keys_of for k in keys for rid in members.get(k, ())}
    residents = _features(wanted)
    insured = insured_resident_ids(run.municipality_id, residents)
    letters = {kind: LetterContext(kind=kind, insured=insured) for kind in set(kinds)}
    found = [
        [
            residents[rid]
            for rid in dict.fromkeys(rid for k in keys for rid in members.get(k, ()))
            if rid in residents
        ]
        for keys in keys_of
    ]
    return ChunkInput(
        features=features,
        found=found,
        name_counts=[sizes.get(name_frequency_key(f), 0) for f in features],
        letters=[letters[kind] for kind in kinds],
        population=run.population or None,
    )


def match_rows(run: MatchRun, lo: int, hi: int) -> dict:
    """Decide the ISA rows lo..hi of the run's batch. Called inside the chunk's transaction."""
    started = time.perf_counter()
    # The records and their candidates first: a worker waiting for another to fit the run's model
    # reads its chunk meanwhile.
    chunk_in = chunk_input(run, lo, hi)
    features = chunk_in.features
    remembered = dict(
        RememberedLink.objects.filter(
            municipality_id=run.municipality_id, identity_key__in={identity_key(f) for f in features}
        ).values_list("identity_key", "resident_id")
    )
    compared = compare_chunk(features, chunk_in.found)  # the levels need no model
    read = time.perf_counter()
    model = run_model(run)
    thresholds = Thresholds.from_dict(run.thresholds)
    fitted = time.perf_counter()
    now = timezone.now()
    rows, events = [], []
    counts = {AUTO_MATCH: 0, REVIEW: 0, NO_MATCH: 0, "remembered": 0}
    chunk = match_chunk(
        features,
        chunk_in.found,
        thresholds=thresholds,
        model=model,
        name_counts=chunk_in.name_counts,
        population=chunk_in.population,
        letters=chunk_in.letters,
        compared=compared,
    )
    decided = time.perf_counter()
    for record, decision in zip(features, chunk.decisions, strict=True):
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
    logger.info(
        "match run %s rows %s-%s: read and compare %.2f s, model %.2f s, decide %.2f s "
        "(%s pairs, %s by compare_name), write %.2f s",
        run.pk, lo, hi, read - started, fitted - read, decided - fitted, chunk.pairs, chunk.fallback,
        time.perf_counter() - decided,
    )  # fmt: skip
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
        round(decision.stake, 6),
    ), event  # fmt: skip
