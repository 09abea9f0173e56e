"""The register's matching index: normalised features and blocking keys of every resident with a
Latin name, kept up to date with the register (a resident changed since → recomputed)."""

from __future__ import annotations

from django.db.models import Exists, F, OuterRef, Q

from enrollment.matching import key_hash, resident_features, resident_keys
from enrollment.models import Resident, ResidentFeatures, ResidentMatchKey
from nhi_portal.intake.bulk import analyze_after_commit, insert_rows

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


def index_residents(municipality_id: int, lo: int, hi: int) -> int:
    """(Re)compute features and keys of the stale residents with ids in [lo, hi]. Idempotent."""
    rows = list(
        stale_residents(municipality_id)
        .filter(id__range=(lo, hi))
        .values_list(
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
