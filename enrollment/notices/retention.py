"""Retention of notices (保存期間): a notice that was sent, rejected or withdrawn is deleted —
with its facts, documents (their stored files too), history and stored PDF — once the
municipality's retention period (NoticeSettings.retention_years, default 5) has passed since it
was closed (sent: the sending day; rejected or withdrawn: that day). Drafts and notices waiting
for approval or sending are never purged. As with the ISA files (nhi_portal.retention), only counts
remain: one append-only RetentionPurge row per run, with kind "immigration_notice", and one
ChangeLog row ("purge") per notice with its number and state — no personal values.

Registered with nhi_portal.retention, so the daily beat job and `manage.py purge_expired` run it."""

from __future__ import annotations

import logging
from datetime import date, datetime, time

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from enrollment.models import ImmigrationNotice, NoticeDocument, NoticeSettings, NoticeState
from nhi_portal.changelog import log_change
from nhi_portal.models import ChangeAction, Municipality, RetentionPurge
from nhi_portal.retention import OtherPlan, delete_stored_files, retention_cutoff

logger = logging.getLogger(__name__)

KIND = "immigration_notice"
DEFAULT_YEARS = 5


def retention_years_for(municipality: Municipality) -> int:
    found = NoticeSettings.objects.for_municipality(municipality.pk).first()
    return found.retention_years if found else DEFAULT_YEARS


def expired_notices(*, municipality: Municipality, cutoff: date):
    closed_before = timezone.make_aware(datetime.combine(cutoff, time.min))
    return ImmigrationNotice.objects.for_municipality(municipality.pk).filter(
        Q(state=NoticeState.SENT, sent_on__lt=cutoff)
        | Q(state__in=[NoticeState.REJECTED, NoticeState.WITHDRAWN], closed_at__lt=closed_before)
    )


def plan_expired_notices(*, municipality: Municipality, today: date | None = None) -> OtherPlan:
    """What `purge_expired_notices` would delete now (for `purge_expired --dry-run`)."""
    years = retention_years_for(municipality)
    cutoff = retention_cutoff(today, years)
    notices = expired_notices(municipality=municipality, cutoff=cutoff)
    documents = NoticeDocument.objects.filter(notice__in=notices)
    return OtherPlan(
        label="入管への通知",
        cutoff=cutoff,
        years=years,
        counts={"通知": notices.count(), "添付書類": documents.count()},
    )


def purge_expired_notices(
    *, municipality: Municipality, today: date | None = None, trigger: str = "schedule", user=None
) -> RetentionPurge | None:
    """Delete the municipality's expired notices; keep the counts. None when nothing expired."""
    years = retention_years_for(municipality)
    cutoff = retention_cutoff(today, years)
    with transaction.atomic():
        notices = list(
            expired_notices(municipality=municipality, cutoff=cutoff)
            .select_for_update(skip_locked=True)
            .order_by("fiscal_year", "serial")
        )
        if not notices:
            return None
        documents = list(NoticeDocument.objects.filter(notice__in=notices))
        files = [d.file.name for d in documents] + [n.pdf.name for n in notices if n.pdf]
        storage = ImmigrationNotice._meta.get_field("pdf").storage
        described = []
        for notice in notices:
            log_change(
                user=user,
                action=ChangeAction.PURGE,
                model=ImmigrationNotice,
                object_id=notice.pk,
                municipality=municipality.pk,
                changes={"number": (notice.number, ""), "state": (notice.state, "")},
            )
            described.append(
                {
                    "id": notice.pk,
                    "kind": KIND,
                    "number": notice.number,
                    "state": notice.state,
                    "closed": (notice.sent_on or timezone.localdate(notice.closed_at)).isoformat(),
                    "documents": sum(1 for d in documents if d.notice_id == notice.pk),
                }
            )
        _, deleted = ImmigrationNotice.objects.filter(pk__in=[n.pk for n in notices]).delete()
        purge = RetentionPurge.objects.create(
            municipality=municipality,
            retention_years=years,
            cutoff=cutoff,
            trigger=trigger,
            user=user if getattr(user, "pk", None) else None,
            counts={KIND: {"notices": len(notices), "documents": len(documents)}},
            deleted=dict(sorted(deleted.items())),
            batches=described,
        )
        transaction.on_commit(lambda: delete_stored_files(storage, files))
    logger.info(
        "retention purge for %s: %s immigration notices closed before %s",
        municipality.lg_code,
        len(notices),
        cutoff,
    )
    return purge
