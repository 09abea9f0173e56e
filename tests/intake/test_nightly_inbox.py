"""The nightly batch sweeps the inbox: register first, each file to done/ or rejected/ with the
reason beside it, duplicates recognised, a failed step re-run from where it stopped."""

from pathlib import Path

import pytest
from django.core.management import call_command

from enrollment.models import IsaRecord, Resident
from nhi_portal import nightly
from nhi_portal.models import BatchStatus, ImportBatch, JobStatus, NightlyRun
from tests.intake.builders import isa_bytes, resident_row, residents_bytes

pytestmark = pytest.mark.django_db


def drop(settings, municipality, kind: str, name: str, data: bytes) -> Path:
    folder = Path(settings.INBOX_DIR) / municipality.lg_code / kind
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def test_inbox_files_are_imported_and_moved_with_their_reason(settings, municipality):
    drop(settings, municipality, "isa", "annex1.csv", isa_bytes())
    drop(
        settings,
        municipality,
        "residents",
        "residents_snapshot.csv",
        residents_bytes([resident_row("10000000001")]),
    )
    drop(settings, municipality, "isa", "broken.csv", b"\x00\x01binary")
    run = nightly.nightly_execute(run_id=nightly.nightly_create(municipality=municipality).pk)

    assert run.status == JobStatus.SUCCEEDED
    assert run.step_state("inbox")["message"] == "取込 2件、要確認 0件、取込不可 1件、取込済みの重複 0件"
    root = Path(settings.INBOX_DIR) / municipality.lg_code
    done = next((root / "done").iterdir())
    rejected = next((root / "rejected").iterdir())
    assert sorted(p.name for p in done.iterdir()) == [
        "annex1.csv", "annex1.csv.reason.txt", "residents_snapshot.csv", "residents_snapshot.csv.reason.txt",
    ]  # fmt: skip
    assert "バイナリ" in (rejected / "broken.csv.reason.txt").read_text(encoding="utf-8")
    assert not any((root / "isa").iterdir())
    # the register came first, as a snapshot
    first = ImportBatch.objects.order_by("pk").first()
    assert (first.kind, first.mode) == ("residents", "snapshot")
    assert Resident.objects.count() == 1 and IsaRecord.objects.count() == 3


def test_the_same_file_again_is_recognised(settings, municipality):
    drop(settings, municipality, "isa", "annex1.csv", isa_bytes())
    nightly.nightly_execute(run_id=nightly.nightly_create(municipality=municipality).pk)
    drop(settings, municipality, "isa", "annex1_again.csv", isa_bytes())
    run = nightly.nightly_execute(run_id=nightly.nightly_create(municipality=municipality).pk)
    assert "取込済みの重複 1件" in run.step_state("inbox")["message"]
    assert ImportBatch.objects.filter(status=BatchStatus.IMPORTED).count() == 1


def test_a_failed_run_is_visible_and_reruns_from_the_failed_step(settings, municipality, monkeypatch):
    calls = []

    def flaky(*, run):
        calls.append(run.pk)
        if len(calls) == 1:
            raise ConnectionError("database went away")
        return "ok"

    monkeypatch.setitem(nightly._STEPS, "flaky", nightly.Step("flaky", "テスト工程", 99, flaky))
    run = nightly.nightly_execute(run_id=nightly.nightly_create(municipality=municipality).pk)
    assert run.status == JobStatus.FAILED
    assert "テスト工程で失敗しました" in run.error and "database went away" in run.error
    assert run.step_state("inbox")["status"] == "done"

    drop(settings, municipality, "isa", "late.csv", isa_bytes())
    call_command("run_nightly", "--rerun", str(run.pk))
    run = NightlyRun.objects.get(pk=run.pk)
    assert run.status == JobStatus.SUCCEEDED
    assert run.step_state("flaky")["status"] == "done"
    # the inbox step was done already and was not repeated
    assert (Path(settings.INBOX_DIR) / municipality.lg_code / "isa" / "late.csv").exists()
