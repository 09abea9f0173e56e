"""The register's matching index: normalised features and blocking keys of every resident with a
Latin name, kept up to date with the register (a resident changed since → recomputed).

The register import keeps it up to date itself (`index_imported`, in the import's transaction: the
residents the batch created or changed, a column at a time); a match run's index stage
(`stale_residents` / `index_residents`) then finds nothing to do, and remains for residents changed
another way (and for databases whose index predates this)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q

from enrollment.matching import key_hash, resident_features, resident_keys
from enrollment.matching.resident_columns import INPUT_COLUMNS, index_columns
from enrollment.models import Resident, ResidentFeatures, ResidentMatchKey
from nhi_portal.intake.bulk import analyze_after_commit, copy_arrow, copy_out_arrow, insert_rows

FEATURE_FIELDS = ["resident_id", "municipality_id", "source_updated_at", *ResidentFeatures.STORED]


def stale_residents(municipality_id: int):
    """Residents with a Latin name whose features are missing or older than the resident."""
    return (
        Resident.objects.for_municipality(municipality_id)
        .exclude(name_alpha="")
        .filter(Q(features__isnull=True) | Q(features__source_updated_at__lt=F("updated_at")))
    )


def refresh_statistics() -> None:
    """After a (re)build, once committed: the planner's statistics (without them it plans the
    candidate lookup `key = ANY(…thousands…)` as a scan of every key — seconds per chunk at
    millions of rows) and the visibility map (without it the index-only lookup reads every key's
    table row)."""
    analyze_after_commit(ResidentMatchKey, ResidentFeatures, vacuum=True)


def drop_unnamed(municipality_id: int) -> int:
    """Residents who no longer have a Latin name are no longer candidates."""
    # NOT EXISTS a named resident: an anti-join on the partial index of named residents, where a
    # join to each resident row read millions of rows.
    named = Resident.objects.filter(pk=OuterRef("resident_id")).exclude(name_alpha="")
    gone = ResidentFeatures.objects.for_municipality(municipality_id).filter(~Exists(named))
    ids = list(gone.values_list("resident_id", flat=True))
    ResidentMatchKey.objects.filter(resident_id__in=ids).delete()
    ResidentFeatures.objects.filter(resident_id__in=ids).delete()
    return len(ids)


def index_residents(municipality_id: int, lo: int, hi: int, *, batch_id: int | None = None) -> int:
    """(Re)compute features and keys of the stale residents with ids in [lo, hi] (of those a batch
    last changed, if given). Idempotent."""
    stale = stale_residents(municipality_id).filter(id__range=(lo, hi))
    if batch_id is not None:
        stale = stale.filter(last_batch_id=batch_id)
    rows = list(
        stale.values_list(
            "id",
            "name_alpha",
            "name_kana",
            "name_kanji",
            "sex",
            "birth_date",
            "lg_code",
            "address",
            "status",
            "updated_at",
        )
    )
    if not rows:
        return 0
    ids = [r[0] for r in rows]
    ResidentMatchKey.objects.filter(resident_id__in=ids).delete()
    ResidentFeatures.objects.filter(resident_id__in=ids).delete()
    features_rows, key_rows = [], []
    for rid, name, kana, kanji, sex, birth, lg_code, address, status, updated_at in rows:
        features = resident_features(
            resident_id=rid, name_alpha=name, name_kana=kana, name_kanji=kanji, sex=sex, birth_date=birth,
            lg_code=lg_code, address=address, status=status,
        )  # fmt: skip
        stored = features.to_stored()
        features_rows.append(
            (rid, municipality_id, updated_at, *(stored[f] for f in ResidentFeatures.STORED))
        )
        key_rows.extend((municipality_id, h, rid) for h in {key_hash(key) for key in resident_keys(features)})
    insert_rows(ResidentFeatures, FEATURE_FIELDS, features_rows)
    insert_rows(ResidentMatchKey, ["municipality_id", "key", "resident_id"], key_rows)
    return len(rows)


def index_population(municipality_id: int) -> int:
    return ResidentFeatures.objects.for_municipality(municipality_id).count()


def index_imported(municipality_id: int, batch_id: int) -> dict[str, int]:
    """Bring the index up to date for the residents a register import created or changed (the
    rows whose `last_batch` is the batch; unchanged and absent residents keep theirs): their old
    features and keys are deleted, and those with a Latin name get new ones, computed by
    `resident_columns.index_columns` and written with COPY. Runs inside the import's transaction,
    so the register and its index commit (or roll back) together."""
    if connection.vendor != "postgresql":
        return _index_imported_by_rows(municipality_id, batch_id)
    qn = connection.ops.quote_name
    resident = qn(Resident._meta.db_table)
    touched = f"SELECT id FROM {resident} WHERE municipality_id = %s AND last_batch_id = %s"  # noqa: S608
    if ResidentFeatures.objects.for_municipality(municipality_id).exists():
        with connection.cursor() as cursor:
            for model in (ResidentMatchKey, ResidentFeatures):
                cursor.execute(
                    f"DELETE FROM {qn(model._meta.db_table)} WHERE resident_id IN ({touched})",  # noqa: S608
                    [municipality_id, batch_id],
                )
    names = ["id", *INPUT_COLUMNS, "updated_at"]
    columns = copy_out_arrow(
        f"SELECT {', '.join(qn(c) for c in names)} FROM {resident} "  # noqa: S608 - names from model meta
        "WHERE municipality_id = %s AND last_batch_id = %s AND name_alpha <> '' ORDER BY id",
        [municipality_id, batch_id],
        names,
    )
    n = len(columns["id"])
    if not n:
        return {"indexed": 0, "keys": 0}
    computed = index_columns(columns)
    ids = columns["id"].cast(pa.int64())
    municipality = pa.array(np.full(n, municipality_id, dtype=np.int64))
    features = pa.table(
        [ids, municipality, columns["updated_at"], *(computed.stored[c] for c in ResidentFeatures.STORED)],
        names=FEATURE_FIELDS,
    )
    copy_arrow(ResidentFeatures, FEATURE_FIELDS, [features])
    # In the primary key's order, so the B-tree inserts walk its pages in order rather than at
    # random (measured at load ~10 it did not change the COPY's ~6 s for 370,000 keys).
    order = np.argsort(computed.key_hashes, kind="stable")
    key_ids = ids.to_numpy()[computed.key_rows][order]
    keys = pa.table(
        [
            pa.array(np.full(len(key_ids), municipality_id, dtype=np.int64)),
            pa.array(computed.key_hashes[order]),
            pa.array(key_ids),
        ],
        names=["municipality_id", "key", "resident_id"],
    )
    copy_arrow(ResidentMatchKey, ["municipality_id", "key", "resident_id"], [keys])
    refresh_statistics()
    return {"indexed": n, "keys": len(key_ids)}


def _index_imported_by_rows(municipality_id: int, batch_id: int) -> dict[str, int]:
    """Other databases (SQLite: the demo, local tests): the same, through `index_residents`."""
    touched = Resident.objects.for_municipality(municipality_id).filter(last_batch_id=batch_id)
    ids = list(touched.values_list("id", flat=True))
    ResidentMatchKey.objects.filter(resident_id__in=ids).delete()
    ResidentFeatures.objects.filter(resident_id__in=ids).delete()
    indexed = 0
    for start in range(0, len(ids), 10_000):
        part = ids[start : start + 10_000]
        indexed += index_residents(municipality_id, part[0], part[-1], batch_id=batch_id)
    return {"indexed": indexed, "keys": ResidentMatchKey.objects.filter(resident_id__in=ids).count()}
