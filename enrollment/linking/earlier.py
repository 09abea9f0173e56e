"""Earlier "not resident here" decisions (過去の「住民でない」の判断), remembered for later months:
when the same person (same normalised Latin name, birth date and sex — the identity a confirmed
link is remembered by) comes back in a later file, the review queue and the review page say who
decided "not resident" before, when, on which record and why. The supervisor still decides:
the person may have moved in since. Read-only; the decisions themselves are the memory."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Upper

from enrollment.linking.review import _record_identity
from enrollment.models import LinkStatus, MatchDecision, Resolution


@dataclass(frozen=True)
class EarlierNotResident:
    decision_id: int
    isa_record_id: int
    data_month: date | None
    decided_by: str
    decided_at: datetime | None
    note: str


def earlier_not_resident(decisions: Iterable[MatchDecision]) -> dict[int, EarlierNotResident]:
    """For each decision (by id), the newest earlier "not resident" decision about the same person.
    One query for any number of decisions: those with the same birth date and sex, compared by
    identity in Python (a birth date is shared by few)."""
    decisions = [d for d in decisions if d.isa_record.birth_date and d.isa_record.sex]
    if not decisions:
        return {}
    pairs = Q()
    for d in decisions:
        pairs |= Q(isa_record__birth_date=d.isa_record.birth_date, isa_record__sex=d.isa_record.sex)
    earlier = list(
        MatchDecision.objects.for_municipality(decisions[0].municipality_id)
        .filter(pairs, status=LinkStatus.NOT_RESIDENT, resolution=Resolution.NOT_RESIDENT)
        .exclude(pk__in=[d.pk for d in decisions])
        .select_related("isa_record", "batch", "resolved_by")
        .order_by("-resolved_at", "-id")
    )
    if not earlier:
        return {}
    by_identity: dict[str, MatchDecision] = {}
    for old in earlier:  # newest first: the first one seen per identity is kept
        by_identity.setdefault(_record_identity(old), old)
    found = {}
    for d in decisions:
        old = by_identity.get(_record_identity(d))
        if old is not None and old.isa_record_id != d.isa_record_id:
            user = old.resolved_by
            found[d.pk] = EarlierNotResident(
                decision_id=old.pk,
                isa_record_id=old.isa_record_id,
                data_month=old.batch.data_month if old.batch_id else None,
                decided_by=user.staff_name if user else "",
                decided_at=old.resolved_at,
                note=old.note,
            )
    return found


def earlier_not_resident_month():
    """For the queue, inside its own query (no query more per page): the data month of the newest
    earlier "not resident" decision with the same birth date, sex and Latin name (letter case
    aside). The review page then compares by the full identity."""
    return Subquery(
        MatchDecision.objects.filter(
            municipality_id=OuterRef("municipality_id"),
            status=LinkStatus.NOT_RESIDENT,
            resolution=Resolution.NOT_RESIDENT,
            isa_record__birth_date=OuterRef("isa_record__birth_date"),
            isa_record__sex=OuterRef("isa_record__sex"),
        )
        .annotate(upper_name=Upper(F("isa_record__name")))
        .filter(upper_name=Upper(OuterRef("isa_record__name")))
        .exclude(pk=OuterRef("pk"))
        .order_by("-resolved_at", "-id")
        .values("batch__data_month")[:1]
    )
