"""Reads with rules for the enrollment pages and API, always scoped to the user's municipality."""

from __future__ import annotations

import unicodedata

from django.db.models import QuerySet

from enrollment.models import IsaRecord, Resident
from nhi_portal.models import ImportBatch, ImportIssue


def batch_list(*, user) -> QuerySet[ImportBatch]:
    return (
        ImportBatch.objects.for_user(user).select_related("uploaded_by", "job").order_by("-created_at", "-id")
    )


def batch_get(*, user, pk: int) -> ImportBatch:
    return batch_list(user=user).get(pk=pk)


def batch_issues(*, batch: ImportBatch) -> QuerySet[ImportIssue]:
    return batch.issues.order_by("line", "id")


def isa_records(*, user) -> QuerySet[IsaRecord]:
    return IsaRecord.objects.for_user(user).select_related("batch")


def residents(*, user) -> QuerySet[Resident]:
    return Resident.objects.for_user(user)


# Matching and review ------------------------------------------------------------------


def review_queue(*, user, month: str = "", annex: str = "", reason: str = ""):
    """Records waiting for a supervisor, scoped to the user's municipality: what is at stake first
    (`MatchDecision.stake`, the probability that acting on the most likely reading sends a letter
    wrongly or misses one), then oldest first. The partial index decision_stake_queue_idx serves
    this order, so a page of the queue reads 25 rows however many wait."""
    from enrollment.models import LinkStatus, MatchDecision

    queue = (
        MatchDecision.objects.for_user(user)
        .filter(status=LinkStatus.PENDING_REVIEW)
        .select_related("isa_record", "batch")
        .order_by("-stake", "decided_at", "id")
    )
    if month:
        try:
            year, number = (int(x) for x in month.replace("/", "-").split("-", 1))
        except ValueError:
            return queue.none()
        queue = queue.filter(batch__data_month__year=year, batch__data_month__month=number)
    if annex in {"1", "2", "3"}:
        queue = queue.filter(isa_record__annex=int(annex))
    if reason:
        queue = queue.filter(reason=reason)
    return queue


def decision_get(*, user, pk: int):
    from enrollment.models import MatchDecision

    return (
        MatchDecision.objects.for_user(user).select_related("isa_record", "batch", "resolved_by").get(pk=pk)
    )


def decision_for_record(*, user, record_id: int):
    from enrollment.models import MatchDecision

    return (
        MatchDecision.objects.for_user(user)
        .select_related("isa_record", "batch", "resolved_by")
        .filter(isa_record_id=record_id)
        .first()
    )


def next_in_queue(*, user, after, **filters):
    """The item after `after` in the queue (or the first), so the next opens by itself."""
    from django.db.models import Q

    queue = review_queue(user=user, **filters)
    later = queue.filter(
        Q(stake__lt=after.stake)
        | Q(stake=after.stake, decided_at__gt=after.decided_at)
        | Q(stake=after.stake, decided_at=after.decided_at, id__gt=after.pk)
    ).first()
    return later or queue.exclude(pk=after.pk).first()


def match_run_for_batch(*, batch):
    from enrollment.models import MatchRun

    return MatchRun.objects.select_related("job").filter(batch=batch).first()


def match_events(*, decision):
    return decision.events.select_related("actor").order_by("at", "id")


def residents_by_ids(*, user, ids):
    found = {r.pk: r for r in Resident.objects.for_user(user).filter(pk__in=list(ids))}
    return [found[i] for i in ids if i in found]


def resident_search(*, user, q: str = "", birth_date=None, limit: int = 50) -> list[Resident]:
    """Find residents by resident code, Latin name (any order), kana or kanji name, birth date.

    Each word of `q` must occur in the name: a Latin word in the Latin name, any other in the kana
    or kanji name (full-width letters count as Latin). At most `limit` residents, sorted by name.
    With more matches than that (NGUYEN in a city: a quarter of a million), which `limit` are
    shown is not defined — the page asks for a narrower search — so PostgreSQL stops at the
    first `limit` it finds instead of sorting every match (the Latin names have a trigram index)."""
    from django.db.models import Q

    residents = Resident.objects.for_user(user)
    text = unicodedata.normalize("NFKC", q).strip()
    if not text and birth_date is None:
        return []
    if text.isdigit() and len(text) == 11:
        return list(residents.filter(resident_code=text)[:limit])
    tokens = text.upper().replace(",", " ").split()
    if tokens:
        condition = Q()
        for token in tokens:
            if token.isascii():
                condition &= Q(name_alpha__icontains=token)
            else:
                condition &= Q(name_kana__icontains=token) | Q(name_kanji__icontains=token)
        residents = residents.filter(condition)
        if any(token.isascii() for token in tokens):
            residents = residents.exclude(name_alpha="")  # lets PostgreSQL use the partial index
    if birth_date is not None:
        residents = residents.filter(birth_date=birth_date)
    found = list(residents.order_by()[:limit])
    found.sort(key=lambda r: (r.name_alpha, r.name_kana, r.resident_code))
    return found
