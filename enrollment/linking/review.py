"""Supervisors' review of match decisions (突合結果の審査): confirm a candidate, choose another
person, mark "not resident here", or overturn an automatic match — each recorded with who, when
and why, and remembered for later months when it links a person."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from enrollment.linking.matcher import identity_key
from enrollment.matching import record_features
from enrollment.models import (
    LinkStatus,
    MatchDecision,
    MatchEvent,
    RememberedLink,
    Resident,
    Resolution,
)

logger = logging.getLogger(__name__)


class ReviewRefused(ValueError):
    """Why a review action cannot be taken (Japanese, shown to the supervisor)."""


def _record_identity(decision: MatchDecision) -> str:
    record = decision.isa_record
    return identity_key(
        record_features(
            record_id=record.pk,
            name=record.name,
            lg_code=record.lg_code,
            address=record.address,
            sex=record.sex,
            birth_date=record.birth_date,
            problems=record.problems,
        )
    )


def candidate_ids(decision: MatchDecision) -> list[int]:
    return [int(c["resident_id"]) for c in decision.explanation.get("candidates", [])]


def _locked(decision: MatchDecision) -> MatchDecision:
    return MatchDecision.objects.select_for_update().select_related("isa_record").get(pk=decision.pk)


def _link(
    decision: MatchDecision, *, user, resident_id: int | None, resolution: str, action: str, note: str
) -> MatchDecision:
    before = decision.linked_resident_id
    decision.linked_resident_id = resident_id
    decision.status = LinkStatus.LINKED if resident_id else LinkStatus.NOT_RESIDENT
    decision.resolution = resolution
    decision.resolved_by = user
    decision.resolved_at = timezone.now()
    decision.note = note
    decision.save(
        update_fields=["linked_resident", "status", "resolution", "resolved_by", "resolved_at", "note"]
    )
    MatchEvent.objects.create(
        decision=decision, municipality_id=decision.municipality_id, actor=user, action=action,
        resident_before=before, resident_after=resident_id, note=note,
    )  # fmt: skip
    identity = _record_identity(decision)
    if resident_id:
        RememberedLink.objects.update_or_create(
            municipality_id=decision.municipality_id,
            identity_key=identity,
            defaults={"resident_id": resident_id, "decision": decision, "created_by": user},
        )
    else:
        RememberedLink.objects.filter(
            municipality_id=decision.municipality_id, identity_key=identity
        ).delete()
    logger.info("decision %s: %s by user %s", decision.pk, action, user.pk)
    return decision


def _pending(decision: MatchDecision) -> None:
    if decision.status != LinkStatus.PENDING_REVIEW:
        raise ReviewRefused("この記録はすでに審査済みです。一覧を更新してください。")


@transaction.atomic
def review_confirm(*, decision: MatchDecision, user, resident_id: int, note: str = "") -> MatchDecision:
    """Link the record to one of its candidates."""
    decision = _locked(decision)
    _pending(decision)
    if resident_id not in candidate_ids(decision):
        raise ReviewRefused("選んだ住民はこの記録の候補にありません。「別の住民を選ぶ」を使ってください。")
    return _link(
        decision, user=user, resident_id=resident_id, resolution=Resolution.CONFIRMED,
        action=MatchEvent.Action.CONFIRMED, note=note,
    )  # fmt: skip


@transaction.atomic
def review_choose(*, decision: MatchDecision, user, resident: Resident, note: str = "") -> MatchDecision:
    """Link the record to a person the supervisor found in the register."""
    decision = _locked(decision)
    _pending(decision)
    if resident.municipality_id != decision.municipality_id:
        raise ReviewRefused("その住民は見つかりません。")
    return _link(
        decision, user=user, resident_id=resident.pk, resolution=Resolution.CHOSEN,
        action=MatchEvent.Action.CHOSEN, note=note,
    )  # fmt: skip


@transaction.atomic
def review_not_resident(*, decision: MatchDecision, user, note: str = "") -> MatchDecision:
    """The person of the record does not live here (no letter will be sent)."""
    decision = _locked(decision)
    _pending(decision)
    return _link(
        decision, user=user, resident_id=None, resolution=Resolution.NOT_RESIDENT,
        action=MatchEvent.Action.NOT_RESIDENT, note=note,
    )  # fmt: skip


@transaction.atomic
def review_overturn(
    *, decision: MatchDecision, user, reason: str, resident: Resident | None = None
) -> MatchDecision:
    """Undo an automatic (or remembered) link, with a written reason: to another person, or to
    "not resident here"."""
    decision = _locked(decision)
    if decision.status != LinkStatus.LINKED:
        raise ReviewRefused("取り消せるのは照合済みの記録だけです。")
    if not reason.strip():
        raise ReviewRefused("取り消す理由を書いてください。")
    if resident is not None and resident.municipality_id != decision.municipality_id:
        raise ReviewRefused("その住民は見つかりません。")
    if resident is not None and resident.pk == decision.linked_resident_id:
        raise ReviewRefused("今と同じ住民が選ばれています。別の住民を選ぶか「住民でない」にしてください。")
    return _link(
        decision, user=user, resident_id=resident.pk if resident else None, resolution=Resolution.OVERTURNED,
        action=MatchEvent.Action.OVERTURNED, note=reason.strip(),
    )  # fmt: skip
