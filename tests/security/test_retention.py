"""Retention: ISA files and pension lists older than the retention period go — with their rows,
issues, matching and stored file — by the scheduled job or the command; cases, letters and the
register stay; only counts remain, and the purge is itself recorded."""

from __future__ import annotations

from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import TestCase

from enrollment.cases import services as case_services
from enrollment.models import (
    CaseEvent,
    CaseIntake,
    IsaRecord,
    Letter,
    MatchDecision,
    MatchRun,
    ReminderCase,
    Resident,
)
from nhi_portal import tasks
from nhi_portal.models import ChangeLog, ImportBatch, ImportIssue, RetentionPurge
from nhi_portal.retention import purge_expired, retention_cutoff
from tests.conftest import signed_in
from tests.factories import ImportBatchFactory
from tests.linking.helpers import isa_batch, match, resident

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 15)


def test_the_cutoff_keeps_whole_months_of_the_retention_period(settings):
    settings.NHI_RETENTION_YEARS = 5
    assert retention_cutoff(TODAY) == date(2021, 11, 1)
    assert retention_cutoff(date(2024, 2, 29)) == date(2019, 2, 1)
    settings.NHI_RETENTION_YEARS = 7
    assert retention_cutoff(TODAY) == date(2019, 11, 1)


def old_world(municipality):
    """A case opened from an ISA record of October 2021, a recent ISA file, a pension list and a
    register import of the same old month, and an old ISA file that was rejected."""
    person = resident(municipality)
    old = isa_batch(municipality, [{}], month=date(2021, 10, 1))
    old.file.save("isa_2021_10.csv", ContentFile(b"x"))
    ImportIssue.objects.create(batch=old, line=2, column="氏名", value="X", reason="test")
    match(old)
    case_services.cases_open(municipality=municipality)
    recent = isa_batch(municipality, [{"name": "TRAN THI BINH"}], month=date(2021, 11, 1))
    pension = isa_batch(municipality, [{"name": "LE VAN CUONG"}], month=date(2021, 9, 1), annex=21)
    ImportBatch.objects.filter(pk=pension.pk).update(kind="pension_cat2_lost")
    register = ImportBatchFactory(
        municipality=municipality, kind="residents", annex=None, data_month=date(2020, 1, 1)
    )
    rejected = ImportBatchFactory(municipality=municipality, status="rejected", data_month=None)
    ImportBatch.objects.filter(pk=rejected.pk).update(created_at="2020-05-01T10:00:00+09:00")
    return person, old, recent, pension, register, rejected


def test_the_purge_deletes_expired_isa_data_and_keeps_only_counts(municipality):
    person, old, recent, pension, register, rejected = old_world(municipality)
    case = ReminderCase.objects.get()
    stored = old.file.path
    assert CaseIntake.objects.filter(isa_record__batch=old).count() == 1

    with TestCase.captureOnCommitCallbacks(execute=True):
        purge = purge_expired(municipality=municipality, today=TODAY, trigger="test")

    # Gone: the old ISA file, the old pension list, the rejected file — and all that hung on them.
    assert set(ImportBatch.objects.values_list("pk", flat=True)) == {recent.pk, register.pk}
    assert not IsaRecord.objects.filter(batch_id__in=[old.pk, pension.pk]).exists()
    assert not MatchDecision.objects.filter(batch_id=old.pk).exists()
    assert not MatchRun.objects.filter(batch_id=old.pk).exists()
    assert not ImportIssue.objects.filter(batch_id=old.pk).exists()
    assert not CaseIntake.objects.exists()
    assert not Path(stored).exists()
    # Kept: the person, their case with its letters and history, the recent file.
    assert Resident.objects.filter(pk=person.pk).exists()
    case.refresh_from_db()
    assert case.source == "isa_1" and Letter.objects.filter(case=case).exists()
    assert CaseEvent.objects.filter(case=case).exists()
    assert IsaRecord.objects.filter(batch=recent).count() == 1

    # What remains: counts, per kind and per table, and one change-log row per purged file.
    assert purge.cutoff == date(2021, 11, 1) and purge.retention_years == 5 and purge.trigger == "test"
    assert purge.counts == {"isa": {"batches": 2, "rows": 1}, "pension_cat2_lost": {"batches": 1, "rows": 1}}
    assert purge.deleted["enrollment.IsaRecord"] == 2
    assert purge.deleted["enrollment.MatchDecision"] == 1
    assert purge.deleted["portal.ImportBatch"] == 3
    assert {b["id"] for b in purge.batches} == {old.pk, pension.pk, rejected.pk}
    assert "NGUYEN" not in str(purge.batches) + str(purge.counts)
    logged = ChangeLog.objects.filter(action="purge", model="portal.importbatch")
    assert set(logged.values_list("object_id", flat=True)) == {str(old.pk), str(pension.pk), str(rejected.pk)}

    # Running again changes nothing.
    assert purge_expired(municipality=municipality, today=TODAY) is None
    assert RetentionPurge.objects.count() == 1


def test_the_scheduled_task_and_the_command_purge_every_municipality(municipality, other_municipality):
    isa_batch(municipality, [{}], month=date(2015, 1, 1))
    isa_batch(other_municipality, [{}], month=date(2015, 1, 1))
    dry = StringIO()
    call_command("purge_expired", "--dry-run", stdout=dry)
    assert "取込 1件" in dry.getvalue() and ImportBatch.objects.count() == 2
    assert tasks.retention_purge_all() == 2
    assert not ImportBatch.objects.exists()
    assert set(RetentionPurge.objects.values_list("trigger", flat=True)) == {"schedule"}
    isa_batch(municipality, [{}], month=date(2015, 2, 1))
    out = StringIO()
    call_command("purge_expired", "--lg-code", municipality.lg_code, stdout=out)
    assert "削除しました" in out.getvalue()
    assert RetentionPurge.objects.filter(trigger="command").count() == 1


def test_the_purge_log_shows_counts_to_auditors(municipality, auditor):
    isa_batch(municipality, [{}], month=date(2015, 1, 1))
    purge_expired(municipality=municipality, today=TODAY)
    page = signed_in(auditor).get("/audit/purges/").content.decode()
    assert "保存5年" in page
    assert "取込 1件、1行" in page
