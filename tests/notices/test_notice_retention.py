"""Retention of notices: a notice closed (sent, rejected, withdrawn) longer ago than the
municipality's retention years goes with its facts, documents, history and stored files, by the
daily job or the command; open notices stay; only counts remain, in the same purge record as the
ISA files."""

from __future__ import annotations

from datetime import date, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from enrollment.models import ImmigrationNotice, NoticeDocument, NoticeEvent, NoticeFact, NoticeState
from enrollment.notices import services
from enrollment.notices.documents import document_check
from nhi_portal.models import ChangeLog, RetentionPurge
from nhi_portal.retention import purge_expired_all
from tests.factories import NhiMembershipFactory, ResidentFactory
from tests.notices.conftest import draft_input

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 15)


def a_person(municipality, code):
    person = ResidentFactory(municipality=municipality, resident_code=code)
    NhiMembershipFactory(municipality=municipality, resident_code=code, acquired_date=date(2019, 4, 1))
    return person


def closed_notice(settings_row, person, clerk, supervisor, *, state, on: date):
    doc = document_check("scan.pdf", b"%PDF-1.4 scan")
    notice = services.notice_create(
        resident=person, user=clerk, data=draft_input(settings_row), documents=[("申請書", doc)], today=on
    )
    notice = services.notice_submit(notice=notice, user=clerk)
    if state == NoticeState.REJECTED:
        services.notice_reject(notice=notice, user=supervisor, reason="根拠が足りない")
    else:
        services.notice_approve(notice=notice, user=supervisor, today=on)
        services.notice_record_sent(notice=notice, user=clerk, sent_on=on, method="mail", today=on)
    moment = timezone.make_aware(datetime(on.year, on.month, on.day, 10))
    ImmigrationNotice.objects.filter(pk=notice.pk).update(
        closed_at=moment if state == NoticeState.REJECTED else None
    )
    notice.refresh_from_db()
    return notice


def test_closed_notices_past_the_municipality_retention_go_and_only_counts_remain(
    notice_settings, municipality, clerk, supervisor, django_capture_on_commit_callbacks
):
    notice_settings.retention_years = 3
    notice_settings.save()
    old_sent = closed_notice(notice_settings, a_person(municipality, "55500000101"), clerk, supervisor,
                             state=NoticeState.SENT, on=date(2023, 10, 2))  # fmt: skip
    old_rejected = closed_notice(notice_settings, a_person(municipality, "55500000102"), clerk, supervisor,
                                 state=NoticeState.REJECTED, on=date(2023, 9, 1))  # fmt: skip
    recent = closed_notice(notice_settings, a_person(municipality, "55500000103"), clerk, supervisor,
                           state=NoticeState.SENT, on=date(2023, 11, 1))  # fmt: skip
    old_draft = services.notice_create(
        resident=a_person(municipality, "55500000104"),
        user=clerk,
        data=draft_input(notice_settings),
        today=date(2020, 5, 1),
    )
    root = Path(settings.PRIVATE_STORAGE_DIR)
    old_files = [root / old_sent.pdf.name, *(root / d.file.name for d in old_sent.documents.all())]
    assert all(f.exists() for f in old_files)

    with django_capture_on_commit_callbacks(execute=True):
        purges = purge_expired_all(today=TODAY, trigger="test")

    remaining = set(ImmigrationNotice.objects.values_list("pk", flat=True))
    assert remaining == {recent.pk, old_draft.pk}  # cutoff 2023-11-01 (3 years); drafts never go
    assert not NoticeFact.objects.filter(notice_id__in=[old_sent.pk, old_rejected.pk]).exists()
    assert not NoticeDocument.objects.filter(notice_id__in=[old_sent.pk, old_rejected.pk]).exists()
    assert not NoticeEvent.objects.filter(notice_id__in=[old_sent.pk, old_rejected.pk]).exists()
    assert not any(f.exists() for f in old_files)
    assert (root / recent.pdf.name).exists()

    purge = RetentionPurge.objects.get(pk__in=[p.pk for p in purges])
    assert purge.retention_years == 3 and purge.cutoff == date(2023, 11, 1)
    assert purge.counts == {"immigration_notice": {"notices": 2, "documents": 2}}
    assert {b["number"] for b in purge.batches} == {old_sent.number, old_rejected.number}
    assert "TRAN" not in str(purge.batches) and "NGUYEN" not in str(purge.batches)  # no personal values
    logged = ChangeLog.objects.filter(action="purge", model="enrollment.immigrationnotice")
    assert set(logged.values_list("object_id", flat=True)) == {str(old_sent.pk), str(old_rejected.pk)}

    assert purge_expired_all(today=TODAY, trigger="test") == []  # safe to run twice


def test_the_command_purges_notices_too(notice_settings, municipality, clerk, supervisor):
    closed_notice(notice_settings, a_person(municipality, "55500000201"), clerk, supervisor,
                  state=NoticeState.SENT, on=date(2020, 6, 1))  # fmt: skip
    dry = StringIO()
    call_command("purge_expired", "--dry-run", today=TODAY, stdout=dry)
    assert "入管への通知（保存5年" in dry.getvalue() and "通知 1件、添付書類 1件" in dry.getvalue()
    assert ImmigrationNotice.objects.count() == 1  # a dry run deletes nothing
    out = StringIO()
    call_command("purge_expired", today=TODAY, stdout=out)
    assert "immigration_notice: notices 1件、documents 1件" in out.getvalue()
    assert not ImmigrationNotice.objects.exists()
    assert RetentionPurge.objects.filter(trigger="command", counts__has_key="immigration_notice").exists()


def test_the_purge_log_page_shows_the_notice_counts(
    notice_settings, municipality, clerk, supervisor, auditor
):
    from django.urls import reverse

    from tests.conftest import signed_in

    closed_notice(notice_settings, a_person(municipality, "55500000301"), clerk, supervisor,
                  state=NoticeState.SENT, on=date(2020, 6, 1))  # fmt: skip
    purge_expired_all(today=TODAY, trigger="test")
    html = signed_in(auditor).get(reverse("purge-log")).content.decode()
    assert "入管への通知 1件、添付資料 1件" in html
