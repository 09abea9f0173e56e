"""Retention (保存期間): ISA files and pension lists, with everything matched from them, are purged
NHI_RETENTION_YEARS (default 5) after their data month (DOMAIN §2: a retention limit after which
ISA records are purged). Only counts remain, in an append-only RetentionPurge row, and each
purged batch leaves one ChangeLog row (action "purge") with its kind, month and row count.

What goes: the ImportBatch, its stored file, its rows (IsaRecord), their import issues, the match
run and its chunks, the MatchDecisions and their MatchEvents, and the CaseIntake of each record.
What stays: cases (ReminderCase, CaseEvent, Letter), which belong to residents, not to records —
a case keeps its `source` ("isa_1" …) but no longer lists the records that opened it; remembered
supervisor links (RememberedLink), whose decision becomes empty; access-log and change-log
entries, which hold ids only. The register, the ledger and receipts are not touched here.

The deletion goes through the ORM (which cascades over the bulk tables' foreign keys, see
docs/architecture.md), one transaction per municipality; batches locked by a running import
are skipped and taken the next night."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from nhi_portal.changelog import log_change
from nhi_portal.models import ChangeAction, ImportBatch, ImportKind, Municipality, RetentionPurge

logger = logging.getLogger(__name__)

PURGED_KINDS = (ImportKind.ISA, ImportKind.PENSION_CAT2_LOST, ImportKind.PENSION_CAT13_LOST)


# Purges of the apps above (the shared base does not import them), each like `purge_expired`:
# (municipality=, today=, trigger=, user=) → RetentionPurge | None. Registered in AppConfig.ready.
_OTHER_PURGES: dict[str, Callable[..., RetentionPurge | None]] = {}
# …and what each would delete now, for --dry-run: (municipality=, today=) → OtherPlan.
_OTHER_PLANS: dict[str, Callable[..., OtherPlan]] = {}


@dataclass(frozen=True)
class OtherPlan:
    label: str  # what is purged, in Japanese (「入管への通知」)
    cutoff: date
    years: int
    counts: dict[str, int]  # Japanese noun → how many (「通知」: 3, 「添付書類」: 5)


def register_purge(
    name: str, fn: Callable[..., RetentionPurge | None], plan: Callable[..., OtherPlan] | None = None
) -> None:
    _OTHER_PURGES[name] = fn
    if plan is not None:
        _OTHER_PLANS[name] = plan


def registered_plans(*, municipality: Municipality, today: date | None = None) -> list[OtherPlan]:
    """What every registered purge would delete now (nothing is deleted)."""
    return [plan(municipality=municipality, today=today) for plan in _OTHER_PLANS.values()]


def purge_registered(
    *, municipality: Municipality, today: date | None = None, trigger: str = "schedule", user=None
) -> list[RetentionPurge]:
    """Run every registered purge for one municipality (each in its own transaction)."""
    done = []
    for fn in _OTHER_PURGES.values():
        purge = fn(municipality=municipality, today=today, trigger=trigger, user=user)
        if purge is not None:
            done.append(purge)
    return done


def retention_cutoff(today: date | None = None, years: int | None = None) -> date:
    """The first month that is kept: data months before it are purged. On 2026-11-15 with five
    years: 2021-11-01 (October 2021 and earlier go)."""
    today = today or timezone.localdate()
    years = years or settings.NHI_RETENTION_YEARS
    return date(today.year - years, today.month, 1)


def expired_batches(*, municipality: Municipality, cutoff: date) -> QuerySet[ImportBatch]:
    """Batches of the purged kinds whose data month — or, without one, reception date — is before
    the cutoff. Every status: a rejected file's stored copy goes too."""
    received_before = timezone.make_aware(datetime.combine(cutoff, time.min))
    return ImportBatch.objects.filter(municipality=municipality, kind__in=PURGED_KINDS).filter(
        Q(data_month__lt=cutoff) | Q(data_month__isnull=True, created_at__lt=received_before)
    )


@dataclass(frozen=True)
class PurgePlan:
    municipality: Municipality
    cutoff: date
    batches: list[dict]

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for b in self.batches:
            kind = counts.setdefault(b["kind"], {"batches": 0, "rows": 0})
            kind["batches"] += 1
            kind["rows"] += b["rows"]
        return counts


def _describe(batch: ImportBatch) -> dict:
    return {
        "id": batch.pk,
        "kind": batch.kind,
        "annex": batch.annex,
        "data_month": batch.data_month.isoformat() if batch.data_month else None,
        "received": timezone.localdate(batch.created_at).isoformat(),
        "status": batch.status,
        "rows": batch.rows_total,
    }


def purge_plan(*, municipality: Municipality, today: date | None = None) -> PurgePlan:
    """What a purge would delete now (for --dry-run)."""
    cutoff = retention_cutoff(today)
    batches = expired_batches(municipality=municipality, cutoff=cutoff).order_by("data_month", "id")
    return PurgePlan(municipality, cutoff, [_describe(b) for b in batches])


def purge_expired(
    *, municipality: Municipality, today: date | None = None, trigger: str = "schedule", user=None
) -> RetentionPurge | None:
    """Delete the municipality's expired batches and what hangs on them; keep the counts. Returns
    the RetentionPurge row, or None when nothing had expired. Safe to run twice."""
    cutoff = retention_cutoff(today)
    with transaction.atomic():
        batches = list(
            expired_batches(municipality=municipality, cutoff=cutoff)
            .select_for_update(skip_locked=True)
            .order_by("data_month", "id")
        )
        if not batches:
            return None
        plan = PurgePlan(municipality, cutoff, [_describe(b) for b in batches])
        files = [b.file.name for b in batches if b.file]
        storage = ImportBatch._meta.get_field("file").storage
        for batch, described in zip(batches, plan.batches, strict=True):
            log_change(
                user=user,
                action=ChangeAction.PURGE,
                model=ImportBatch,
                object_id=batch.pk,
                municipality=municipality.pk,
                changes={
                    "kind": (batch.kind, ""),
                    "data_month": (described["data_month"] or "", ""),
                    "rows_total": (batch.rows_total, ""),
                },
            )
        _, deleted = ImportBatch.objects.filter(pk__in=[b.pk for b in batches]).delete()
        purge = RetentionPurge.objects.create(
            municipality=municipality,
            retention_years=settings.NHI_RETENTION_YEARS,
            cutoff=cutoff,
            trigger=trigger,
            user=user if getattr(user, "pk", None) else None,
            counts=plan.counts,
            deleted=dict(sorted(deleted.items())),
            batches=plan.batches,
        )
        transaction.on_commit(lambda: delete_stored_files(storage, files))
    logger.info(
        "retention purge for %s: %s batches before %s, %s rows deleted",
        municipality.lg_code,
        len(batches),
        cutoff,
        sum(deleted.values()),
    )
    return purge


def delete_stored_files(storage, names: list[str]) -> None:
    """Delete stored files after the rows naming them are gone (call it on commit); a file that
    cannot be deleted is logged, never raised: the rows are already gone."""
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("stored file %s could not be deleted", name)


def purge_expired_all(
    *, today: date | None = None, trigger: str = "schedule", user=None
) -> list[RetentionPurge]:
    """Every municipality (tenant), each in its own transaction."""
    done = []
    for municipality in Municipality.objects.tenants().order_by("lg_code"):
        purge = purge_expired(municipality=municipality, today=today, trigger=trigger, user=user)
        if purge is not None:
            done.append(purge)
        done += purge_registered(municipality=municipality, today=today, trigger=trigger, user=user)
    return done
