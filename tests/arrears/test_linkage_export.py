"""The arrears linkage export: preview (who is flagged, who is excluded and why), approval by a
second person who is a supervisor, production by the Celery job, the same bytes every time, and
the layout versions."""

import hashlib
from datetime import date
from pathlib import Path

import pytest

from arrears import services
from arrears.exports import LAYOUTS, LinkageExportV1
from arrears.models import ExportStatus, LineDecision, LinkageExport
from arrears.rules import LinkageParameters, Reason
from nhi_portal.models import Job, JobStatus
from tests.arrears.builders import ARREARS_HH, AS_OF, town
from tests.conftest import _persona
from tests.receipts.helpers import pay

pytestmark = pytest.mark.django_db


def preview(user, **params) -> LinkageExport:
    return services.linkage_preview(user=user, params=LinkageParameters(AS_OF, **params))


def lines(export):
    return {(line.resident_code, line.decision, line.reason) for line in export.lines.all()}


def produce(export, supervisor, django_capture_on_commit_callbacks) -> LinkageExport:
    with django_capture_on_commit_callbacks(execute=True):
        services.linkage_approve(export=export, user=supervisor)
    export.refresh_from_db()
    return export


def stored(export) -> bytes:
    return Path(export.file.path).read_bytes()


def test_the_preview_lists_who_is_flagged_and_who_is_excluded_and_why(municipality, clerk):
    t = town(municipality)
    export = preview(clerk)
    assert lines(export) == {
        (t.head.resident_code, LineDecision.FLAGGED, Reason.ARREARS),
        (t.spouse.resident_code, LineDecision.FLAGGED, Reason.ARREARS),
        (t.moved_out.resident_code, LineDecision.EXCLUDED, Reason.NOT_RESIDENT),
        (t.agreement_head.resident_code, LineDecision.EXCLUDED, Reason.AGREEMENT_HONOURED),
    }
    assert (export.flagged_count, export.excluded_count, export.status) == (2, 2, ExportStatus.PREVIEWED)
    head = export.lines.get(resident_code=t.head.resident_code)
    assert (head.overdue_instalments, head.overdue_amount, head.months_in_arrears) == (5, 50_000, 5)
    assert (head.oldest_due_date, head.household_head_codes, head.fiscal_years) == (
        date(2025, 6, 30),
        ARREARS_HH,
        "2025",
    )
    assert export.parameters == {
        "as_of": "2025-11-01", "min_months": 1, "min_amount": 1, "flag_adult_members": True, "flag_minors": True,
    }  # fmt: skip
    assert export.prepared_by == clerk and len(export.fingerprint) == 64


def test_a_broken_agreement_is_flagged(municipality, clerk):
    t = town(municipality)
    export = services.linkage_preview(user=clerk, params=LinkageParameters(date(2026, 3, 1)))
    agreement_line = export.lines.get(resident_code=t.agreement_head.resident_code)
    assert (agreement_line.decision, agreement_line.reason) == (LineDecision.FLAGGED, Reason.AGREEMENT_BROKEN)


def test_thresholds_are_parameters_of_the_export(municipality, clerk):
    t = town(municipality)
    export = preview(clerk, min_months=6)
    assert {r for r in lines(export) if r[0] == t.head.resident_code} == {
        (t.head.resident_code, LineDecision.EXCLUDED, Reason.BELOW_THRESHOLD)
    }


def test_the_preparer_and_a_clerk_cannot_approve(municipality, clerk, supervisor):
    town(municipality)
    export = preview(supervisor)
    with pytest.raises(services.ArrearsRefused, match="作成した人は承認できません"):
        services.linkage_approve(export=export, user=supervisor)
    other_clerk_of_the_town = _persona("clerk", municipality, "clerk2")
    with pytest.raises(services.ArrearsRefused, match="承認する権限がありません"):
        services.linkage_approve(export=export, user=other_clerk_of_the_town)
    export.refresh_from_db()
    assert export.status == ExportStatus.PREVIEWED and export.approved_by is None


def test_approval_runs_the_job_and_stores_the_file_with_its_hash(
    municipality, clerk, supervisor, django_capture_on_commit_callbacks
):
    t = town(municipality)
    export = produce(preview(clerk), supervisor, django_capture_on_commit_callbacks)
    assert export.status == ExportStatus.PRODUCED
    assert (export.approved_by, export.prepared_by) == (supervisor, clerk)
    assert Job.objects.get(pk=export.job_id).status == JobStatus.SUCCEEDED
    data = stored(export)
    assert hashlib.sha256(data).hexdigest() == export.sha256 and len(data) == export.size_bytes
    text = data.decode("utf-8")
    rows = text.split("\r\n")
    assert rows[0] == ",".join(LinkageExportV1.HEADER)
    assert [r.split(",")[3] for r in rows[1:-1]] == sorted([t.head.resident_code, t.spouse.resident_code])
    assert rows[1].startswith(f"1,{municipality.lg_code},20251101,{t.head.resident_code},")
    assert ",F1,5,50000,5,20250630,2025" in rows[1]
    assert text.endswith("\r\n") and not data.startswith(b"\xef\xbb\xbf")
    assert export.file_name == f"arrears_linkage_{municipality.lg_code}_20251101_v1_{export.pk}.csv"


def test_running_an_approved_export_again_gives_the_same_bytes(
    municipality, clerk, supervisor, django_capture_on_commit_callbacks
):
    town(municipality)
    export = produce(preview(clerk), supervisor, django_capture_on_commit_callbacks)
    first = stored(export)
    # later payments change nothing in an approved export: its lines were frozen at the preview
    pay(municipality, ARREARS_HH, instalment=1, amount=50_000, on=date(2025, 11, 20))
    again = services.linkage_produce(export_id=export.pk)  # the task, delivered a second time
    assert again.sha256 == export.sha256
    assert services.linkage_render(export) == first
    assert services.linkage_verify(export=export)
    Path(export.file.path).write_bytes(first + b"x")  # a tampered file is noticed
    assert not services.linkage_verify(export=export)


def test_the_approval_is_refused_when_the_data_changed_since_the_preview(municipality, clerk, supervisor):
    town(municipality)
    export = preview(clerk)
    pay(
        municipality, ARREARS_HH, instalment=1, amount=10_000, on=date(2025, 10, 31)
    )  # a late-arriving payment file
    with pytest.raises(services.ArrearsRefused, match="データが変わりました"):
        services.linkage_approve(export=export, user=supervisor)


def test_a_withdrawn_export_cannot_be_approved(municipality, clerk, supervisor):
    town(municipality)
    export = services.linkage_withdraw(export=preview(clerk), user=clerk)
    assert export.status == ExportStatus.WITHDRAWN
    with pytest.raises(services.ArrearsRefused):
        services.linkage_approve(export=export, user=supervisor)


def test_old_exports_keep_their_layout_when_a_new_version_is_added(
    municipality, clerk, supervisor, django_capture_on_commit_callbacks, monkeypatch
):
    town(municipality)
    export = produce(preview(clerk), supervisor, django_capture_on_commit_callbacks)
    first = stored(export)

    class LinkageExportV2(LinkageExportV1):
        version = "v2"
        HEADER = (*LinkageExportV1.HEADER, "new_field")

    monkeypatch.setitem(LAYOUTS, "v2", LinkageExportV2())
    assert services.linkage_render(export) == first
    newer = services.linkage_preview(user=clerk, params=LinkageParameters(AS_OF), layout_version="v2")
    assert newer.layout_version == "v2"
    with pytest.raises(LookupError):
        services.linkage_preview(user=clerk, params=LinkageParameters(AS_OF), layout_version="v9")


def test_each_municipality_sees_only_its_own_people(municipality, other_municipality, clerk, other_clerk):
    town(municipality)
    export = preview(other_clerk)
    assert export.lines.count() == 0 and export.municipality == other_municipality
