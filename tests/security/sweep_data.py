"""The receipts and arrears part of the URL sweep's data set: for 小金井市 *and* 千代田区 the same
objects — a household in arrears with its head and spouse (foreign insured persons), its assessments,
a payment, an instalment agreement, a payment status statement, and a linkage export in every
status (previewed, approved, produced, failed, withdrawn). 千代田区 has its own, so its clerk's 404
on ours is a refusal and not "nothing of that kind exists", and our staff's 404 on its objects can
be checked the other way round.

Files (the produced linkage CSV, the statement PDF) are made through the real services into a
temporary folder while the data set is built, and their bytes kept in `world["files"]`: each test
points private storage at its own temporary folder, where the module's `stored_files` writes them.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.test import override_settings

from arrears import services as arrears_services
from arrears.models import ExportStatus, InstalmentAgreement, LinkageExport
from arrears.rules import LinkageParameters
from receipts import services as receipts_services
from receipts.models import Assessment
from tests.arrears.builders import member
from tests.factories import UserFactory
from tests.receipts.helpers import assess, pay

AS_OF = date(2026, 11, 1)  # every instalment of FY2025 is overdue
FY = 2025


@dataclass(frozen=True)
class Household:
    """What tells one municipality's data from the other's in a page or a CSV."""

    code: str
    head: str
    spouse: str
    amount: int  # each of the ten instalments of FY2025


HOME = Household("31000000001", "PHAM MINH KHOA", "DO THI LAN", 10_000)
OTHER = Household("32000000001", "REYES JOSE", "CRUZ ANA", 7_000)

# The object keys this part adds; 千代田区's counterpart of "statement" is "other:statement".
KEYS = (
    "household", "assessment", "payment", "agreement", "statement", "statement_resident",
    "linkage_previewed", "linkage_approved", "linkage_produced", "linkage_failed", "linkage_withdrawn",
)  # fmt: skip


def other(key: str) -> str:
    return f"other:{key}"


def _accounts(municipality, clerk, supervisor, household: Household, storage: Path) -> dict:
    head = member(
        municipality, household.code, household.code, name_alpha=household.head, lg_code=municipality.lg_code
    )
    member(
        municipality, f"{household.code[:-1]}2", household.code, name_alpha=household.spouse, sex="F",
        lg_code=municipality.lg_code,
    )  # fmt: skip
    assess(municipality, household.code, fiscal_year=FY, amounts=(household.amount,) * 10)
    payment = pay(municipality, household.code, fiscal_year=FY, instalment=1, amount=household.amount,
                  on=date(2025, 6, 20))  # fmt: skip
    agreement = InstalmentAgreement.objects.create(
        municipality=municipality, household_head_code=household.code, agreed_on=date(2026, 10, 1),
        first_due_date=date(2026, 10, 31), monthly_amount=5_000, months=12, recorded_by=clerk,
    )  # fmt: skip
    with override_settings(PRIVATE_STORAGE_DIR=storage):
        statement = receipts_services.statement_issue(
            user=clerk, resident=head, as_of=AS_OF, fiscal_years=[FY], purpose="在留期間更新許可申請"
        )

        def preview() -> LinkageExport:
            return arrears_services.linkage_preview(user=clerk, params=LinkageParameters(AS_OF))

        previewed = preview()
        approved = arrears_services.linkage_approve(export=preview(), user=supervisor)
        produced = arrears_services.linkage_approve(export=preview(), user=supervisor)
        produced = arrears_services.linkage_produce(export_id=produced.pk)
        failed = arrears_services.linkage_approve(export=preview(), user=supervisor)
        LinkageExport.objects.filter(pk=failed.pk).update(
            status=ExportStatus.FAILED, error="OSError: disk full"
        )
        withdrawn = arrears_services.linkage_withdraw(export=preview(), user=clerk)
    assert produced.status == ExportStatus.PRODUCED and produced.flagged_count == 2, produced
    assert statement.file and produced.file
    return {
        "household": household.code,
        "assessment": Assessment.objects.filter(municipality=municipality, household_head_code=household.code)
        .order_by("instalment")
        .first()
        .pk,
        "payment": payment.pk,
        "agreement": agreement.pk,
        "statement": statement.pk,
        "statement_resident": head.pk,
        "linkage_previewed": previewed.pk,
        "linkage_approved": approved.pk,
        "linkage_produced": produced.pk,
        "linkage_failed": failed.pk,
        "linkage_withdrawn": withdrawn.pk,
    }


def add_receipts_and_arrears(world: dict) -> None:
    """Add both municipalities' receipts and arrears objects to the sweep's world (in place)."""
    users = world["users"]
    home, elsewhere = users["clerk"].municipality, users["other"].municipality
    # 千代田区's exports need a second person to approve them: a supervisor who is no persona.
    other_supervisor = UserFactory(
        username="sweep_other_supervisor", municipality=elsewhere, role="supervisor"
    )
    with tempfile.TemporaryDirectory() as folder:
        storage = Path(folder)
        ours = _accounts(home, users["clerk"], users["supervisor"], HOME, storage)
        theirs = _accounts(elsewhere, users["other"], other_supervisor, OTHER, storage)
        files = {
            str(path.relative_to(storage)): path.read_bytes() for path in storage.rglob("*") if path.is_file()
        }
    world["objects"].update(ours)
    world["objects"].update({other(key): value for key, value in theirs.items()})
    world["files"] = files


def failed_nightly_run(municipality):
    """A nightly run of 小金井市 that failed in its first step, for the re-run URL."""
    from nhi_portal import nightly
    from nhi_portal.models import JobStatus, NightlyRun

    run = nightly.nightly_create(municipality=municipality)
    run.steps[0].update(status="failed", message="受信フォルダを読めません")
    NightlyRun.objects.filter(pk=run.pk).update(
        status=JobStatus.FAILED, error="受信フォルダの取込で失敗しました: OSError", steps=run.steps
    )
    return run


def add_notices(world: dict) -> None:
    """A notice to the immigration bureau of 小金井市 (approved: written by the clerk, approved by
    the supervisor, its PDF and one document stored), about a resident other than the sweep's
    person; the municipality's notice settings. Its files join world["files"]."""
    from django.utils import timezone

    from enrollment.models import (
        ImmigrationNotice,
        NoticeDocument,
        NoticeEvent,
        NoticeGround,
        NoticeSettings,
        NoticeState,
    )  # fmt: skip
    from tests.factories import NhiMembershipFactory, ResidentFactory

    users = world["users"]
    home = users["clerk"].municipality
    settings_row = NoticeSettings.objects.create(municipality=home, bureau_name="東京出入国在留管理局長")
    ground = NoticeGround.objects.create(
        settings=settings_row, label="高額療養費の支給申請", legal_basis="通知"
    )
    subject = ResidentFactory(municipality=home, resident_code="77700000001", name_alpha="PHAM THI LAN")
    NhiMembershipFactory(municipality=home, resident_code=subject.resident_code)
    notice = ImmigrationNotice.objects.create(
        municipality=home, resident=subject, fiscal_year=2026, serial=1, state=NoticeState.APPROVED,
        created_by=users["clerk"], approved_by=users["supervisor"], approved_at=timezone.now(),
        issue_date=date(2026, 11, 20), pdf="notices/sweep.pdf", pdf_sha256="0" * 64,
    )  # fmt: skip
    notice.grounds.set([ground])
    NoticeEvent.objects.create(notice=notice, municipality=home, actor=users["clerk"], action="created")
    document = NoticeDocument.objects.create(
        notice=notice, title="申請書の写し", file="notice-documents/sweep.pdf", original_name="scan.pdf",
        content_type="application/pdf", size_bytes=16, sha256="0" * 64, uploaded_by=users["clerk"],
    )  # fmt: skip
    world["objects"].update({"notice": notice.pk, "notice_document": document.pk})
    world.setdefault("files", {}).update(
        {"notices/sweep.pdf": b"%PDF-1.4\n%%EOF\n", "notice-documents/sweep.pdf": b"%PDF-1.4 scan\n"}
    )
