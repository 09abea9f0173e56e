"""Writes of the arrears app: instalment agreements, the linkage export (preview → approval by a
second person → production by a Celery job → verification), and the arrears report CSV.
Keyword-only, one transaction each; the job is enqueued when the transaction commits."""

from __future__ import annotations

import hashlib
import io
import json
import logging
from datetime import date

from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from arrears import selectors
from arrears.exports import CURRENT_LAYOUT, LinkageRow, layout_for
from arrears.models import (
    AgreementStatus,
    ExportStatus,
    InstalmentAgreement,
    LineDecision,
    LinkageExport,
    LinkageExportLine,
)
from arrears.rules import LinkageParameters
from nhi_portal import csvsafe, jobs
from nhi_portal.access import has_portal_permission
from nhi_portal.changelog import diff, log_change, snapshot
from nhi_portal.models import JobKind

logger = logging.getLogger(__name__)


class ArrearsRefused(Exception):
    """A Japanese sentence for the clerk: why the action was not carried out."""


# --- instalment agreements ------------------------------------------------------------------------


@transaction.atomic
def agreement_record(
    *,
    user,
    household_head_code: str,
    agreed_on: date,
    first_due_date: date,
    monthly_amount: int,
    months: int,
    note: str = "",
) -> InstalmentAgreement:
    """Record an instalment agreement (分納誓約). An earlier active agreement of the household is
    replaced (cancelled with a note), so one agreement is in force at a time."""
    if first_due_date < agreed_on:
        raise ArrearsRefused("初回の納付期限は誓約日以降にしてください。")
    if monthly_amount <= 0 or months <= 0:
        raise ArrearsRefused("毎月の納付額と回数は1以上にしてください。")
    if agreed_on > timezone.localdate():
        raise ArrearsRefused("誓約日に未来の日付は指定できません。")
    now = timezone.now()
    _replace_active(
        municipality_id=user.municipality_id,
        household_head_code=household_head_code,
        agreed_on=agreed_on,
        user=user,
    )
    agreement = InstalmentAgreement.objects.create(
        municipality_id=user.municipality_id,
        household_head_code=household_head_code,
        agreed_on=agreed_on,
        first_due_date=first_due_date,
        monthly_amount=monthly_amount,
        months=months,
        note=note,
        recorded_by=user,
        recorded_at=now,
    )
    logger.info("agreement %s recorded by user %s", agreement.pk, user.pk)
    return agreement


def _replace_active(*, municipality_id: int, household_head_code: str, agreed_on: date, user) -> int:
    """One agreement in force at a time: a new one cancels the household's active one."""
    return InstalmentAgreement.objects.filter(
        municipality_id=municipality_id,
        household_head_code=household_head_code,
        status=AgreementStatus.ACTIVE,
    ).update(
        status=AgreementStatus.CANCELLED,
        cancelled_by=user,
        cancelled_at=timezone.now(),
        cancel_reason=f"{agreed_on:%Y-%m-%d} の新しい分納誓約に置き換え",
    )


@transaction.atomic
def agreement_cancel(*, agreement: InstalmentAgreement, user, reason: str) -> InstalmentAgreement:
    if not reason.strip():
        raise ArrearsRefused("取り消す理由を書いてください。")
    updated = InstalmentAgreement.objects.filter(pk=agreement.pk, status=AgreementStatus.ACTIVE).update(
        status=AgreementStatus.CANCELLED,
        cancelled_by=user,
        cancelled_at=timezone.now(),
        cancel_reason=reason.strip(),
    )
    if not updated:
        raise ArrearsRefused("この分納誓約はすでに取り消されています。")
    agreement.refresh_from_db()
    return agreement


# --- the linkage export --------------------------------------------------------------------------


def _line_values(person: selectors.PersonDecision) -> dict:
    resident, decision = person.resident, person.decision
    return {
        "decision": LineDecision.FLAGGED if decision.flagged else LineDecision.EXCLUDED,
        "reason": decision.reason,
        "resident_id": resident.pk,
        "resident_code": resident.resident_code,
        "insured_number": person.insured_number,
        "name_alpha": resident.name_alpha,
        "name_kana": resident.name_kana,
        "birth_date": resident.birth_date,
        "sex": resident.sex,
        "nationality": resident.nationality,
        "household_head_codes": ";".join(decision.household_codes)[:120],
        "fiscal_years": ";".join(str(y) for y in decision.fiscal_years),
        "overdue_instalments": len(decision.overdue),
        "overdue_amount": decision.overdue_amount,
        "months_in_arrears": decision.months,
        "oldest_due_date": decision.oldest_due_date,
    }


def _fingerprint(layout_version: str, params: LinkageParameters, lines: list[dict]) -> str:
    """What the supervisor approves: the layout, the parameters and every line, in a canonical form."""
    canonical = json.dumps(
        {
            "layout": layout_version,
            "parameters": params.as_json(),
            "lines": sorted(lines, key=lambda v: (v["decision"], v["resident_code"])),
        },
        sort_keys=True,
        default=str,
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _decide(municipality_id: int, params: LinkageParameters) -> list[dict]:
    return [
        _line_values(p) for p in selectors.linkage_decisions(municipality_id=municipality_id, params=params)
    ]


@transaction.atomic
def linkage_preview(
    *, user, params: LinkageParameters, layout_version: str = CURRENT_LAYOUT
) -> LinkageExport:
    """Work out who would be flagged and who excluded, and why, and keep it as the export to approve."""
    layout_for(layout_version)
    if params.as_of > timezone.localdate():
        raise ArrearsRefused("基準日に未来の日付は指定できません。")
    lines = _decide(user.municipality_id, params)
    export = LinkageExport.objects.create(
        municipality_id=user.municipality_id,
        layout_version=layout_version,
        as_of=params.as_of,
        parameters=params.as_json(),
        fingerprint=_fingerprint(layout_version, params, lines),
        flagged_count=sum(1 for v in lines if v["decision"] == LineDecision.FLAGGED),
        excluded_count=sum(1 for v in lines if v["decision"] == LineDecision.EXCLUDED),
        prepared_by=user,
    )
    LinkageExportLine.objects.bulk_create(
        [LinkageExportLine(export=export, **v) for v in lines], batch_size=2000
    )
    logger.info(
        "linkage export %s previewed by user %s: %s flagged", export.pk, user.pk, export.flagged_count
    )
    return export


def parameters_of(export: LinkageExport) -> LinkageParameters:
    data = export.parameters
    return LinkageParameters(
        date.fromisoformat(data["as_of"]),
        int(data["min_months"]),
        int(data["min_amount"]),
        # Exports made before the policy setting flagged everyone: they are reproduced as made.
        bool(data.get("flag_adult_members", True)),
        bool(data.get("flag_minors", True)),
    )


def approval_refusal(export: LinkageExport, user) -> str | None:
    if export.status != ExportStatus.PREVIEWED:
        return "確認待ちの出力だけを承認できます。"
    if not has_portal_permission(user, "approve_exports"):
        return "外部連携の出力を承認する権限がありません。"
    if export.prepared_by_id == user.pk:
        return "出力の内容を作成した人は承認できません。別の監督者が承認してください。"
    return None


@transaction.atomic
def linkage_approve(*, export: LinkageExport, user) -> LinkageExport:
    """A supervisor other than the preparer approves. The preview is worked out again first: if the
    data changed since (a payment arrived, a person moved), the approval is refused and the export
    has to be previewed again, so what is sent is exactly what was approved."""
    export = LinkageExport.objects.select_for_update().get(pk=export.pk)
    if refusal := approval_refusal(export, user):
        raise ArrearsRefused(refusal)
    params = parameters_of(export)
    if (
        _fingerprint(export.layout_version, params, _decide(export.municipality_id, params))
        != export.fingerprint
    ):
        raise ArrearsRefused(
            "確認の後にデータが変わりました（収納の取込、住民の異動など）。この出力は取り下げ、もう一度作成して確認してください。"
        )
    job = jobs.job_create(
        kind=JobKind.EXPORT,
        municipality_id=export.municipality_id,
        title=f"滞納情報の連携出力 #{export.pk}",
        user=user,
        params={"export_id": export.pk},
    )
    export.status, export.approved_by, export.approved_at, export.job = (
        ExportStatus.APPROVED, user, timezone.now(), job,
    )  # fmt: skip
    export.save(update_fields=["status", "approved_by", "approved_at", "job"])
    from arrears.tasks import linkage_produce_task

    transaction.on_commit(lambda: linkage_produce_task.delay(export.pk))
    logger.info("linkage export %s approved by user %s", export.pk, user.pk)
    return export


@transaction.atomic
def linkage_withdraw(*, export: LinkageExport, user) -> LinkageExport:
    updated = LinkageExport.objects.filter(pk=export.pk, status=ExportStatus.PREVIEWED).update(
        status=ExportStatus.WITHDRAWN, withdrawn_by=user, withdrawn_at=timezone.now()
    )
    if not updated:
        raise ArrearsRefused("確認待ちの出力だけを取り下げられます。")
    export.refresh_from_db()
    return export


def linkage_render(export: LinkageExport) -> bytes:
    """The file's bytes from the approved lines and the export's layout version (deterministic)."""
    layout = layout_for(export.layout_version)
    rows = [
        LinkageRow(
            line.resident_code,
            line.insured_number,
            line.name_alpha,
            line.name_kana,
            line.birth_date,
            line.sex,
            line.nationality,
            line.household_head_codes,
            line.reason,
            line.overdue_instalments,
            line.overdue_amount,
            line.months_in_arrears,
            line.oldest_due_date,
            line.fiscal_years,
        )
        for line in export.lines.filter(decision=LineDecision.FLAGGED).order_by("resident_code")
    ]
    return layout.render(lg_code=export.municipality.lg_code, as_of=export.as_of, rows=rows)


def linkage_produce(*, export_id: int) -> LinkageExport:
    """Write the file of an approved export and keep its SHA-256. Safe to run twice: for an export
    already produced the file is made again and compared with the stored hash (reproducibility)."""
    export = LinkageExport.objects.select_related("municipality").get(pk=export_id)
    if export.status == ExportStatus.PRODUCED:
        data = linkage_render(export)
        if hashlib.sha256(data).hexdigest() != export.sha256:
            logger.error("linkage export %s: re-run gave different bytes", export.pk)
            raise ArrearsRefused(f"出力 #{export.pk} を作り直すと内容が変わりました（ハッシュ不一致）。")
        return export
    if export.status not in (ExportStatus.APPROVED, ExportStatus.FAILED) or export.approved_by_id is None:
        return export
    jobs.job_start(export.job_id, total=export.flagged_count, message="連携ファイルを作成しています")
    try:
        with transaction.atomic():
            locked = LinkageExport.objects.select_for_update().get(pk=export.pk)
            if locked.status == ExportStatus.PRODUCED:
                return locked
            data = linkage_render(locked)
            layout = layout_for(locked.layout_version)
            name = layout.file_name(
                lg_code=export.municipality.lg_code, as_of=locked.as_of, export_id=locked.pk
            )
            locked.file.save(name, ContentFile(data), save=False)
            locked.file_name, locked.sha256, locked.size_bytes = (
                name,
                hashlib.sha256(data).hexdigest(),
                len(data),
            )
            locked.status, locked.produced_at, locked.error = ExportStatus.PRODUCED, timezone.now(), ""
            locked.save()
    except Exception as exc:
        logger.exception("linkage export %s failed", export.pk)
        LinkageExport.objects.filter(pk=export.pk).update(
            status=ExportStatus.FAILED, error=f"{type(exc).__name__}: {exc}"
        )
        jobs.job_fail(export.job_id, error=f"連携ファイルを作成できませんでした（{type(exc).__name__}）。")
        raise
    jobs.job_succeed(
        export.job_id,
        message=f"連携ファイルを作成しました（{locked.flagged_count:,}人）",
        result={"export_id": locked.pk, "sha256": locked.sha256},
        result_url=_detail_url(locked.pk),
    )
    return locked


def _detail_url(pk: int) -> str:
    try:
        return reverse("linkage-detail", args=[pk])
    except NoReverseMatch:  # the pages are not wired into this URL map
        return ""


def linkage_verify(*, export: LinkageExport) -> bool:
    """Make the file again from the stored lines and compare it with what was produced."""
    if export.status != ExportStatus.PRODUCED:
        return False
    data = linkage_render(export)
    same = hashlib.sha256(data).hexdigest() == export.sha256
    if export.file:
        with export.file.storage.open(export.file.name, "rb") as stored:
            same = same and stored.read() == data
    return same


# --- CSV downloads --------------------------------------------------------------------------------

ARREARS_REPORT_HEADER = (
    "household_head_code", "overdue_instalments", "overdue_amount", "months_in_arrears", "oldest_due_date", "foreign",
)  # fmt: skip


def csv_bytes(header, rows) -> bytes:
    buffer = io.StringIO()
    writer = csvsafe.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8")


def arrears_report(*, municipality_id: int, as_of: date) -> tuple[bytes, list[selectors.ArrearsRow]]:
    """The arrears report CSV (docs/formats.md) and the rows it was made from."""
    rows = selectors.arrears_report_rows(municipality_id=municipality_id, as_of=as_of)
    lines = [
        (
            r.arrears.household_head_code,
            r.arrears.overdue_instalments,
            r.arrears.overdue_amount,
            r.arrears.months_in_arrears,
            r.arrears.oldest_due_date.isoformat(),
            "true" if r.foreign else "false",
        )
        for r in rows
    ]
    return csv_bytes(ARREARS_REPORT_HEADER, lines), rows


# --- the linkage settings -----------------------------------------------------------------------

SETTING_FIELDS = ("min_months", "min_amount", "flag_adult_members", "flag_minors")


@transaction.atomic
def linkage_settings_update(
    *, user, min_months: int, min_amount: int, flag_adult_members: bool, flag_minors: bool
):
    """A supervisor sets the office's linkage policy; every changed value goes to the change log."""
    from arrears.models import LinkageSettings

    if not has_portal_permission(user, "approve_exports"):
        raise ArrearsRefused("連携の設定を変えられるのは監督者だけです。")
    current = LinkageSettings.objects.for_municipality(
        user.municipality_id
    ).select_for_update().first() or LinkageSettings(municipality_id=user.municipality_id)
    before = snapshot(current, SETTING_FIELDS) if current.pk else {}
    current.min_months, current.min_amount = min_months, min_amount
    current.flag_adult_members, current.flag_minors = flag_adult_members, flag_minors
    current.updated_by, current.updated_at = user, timezone.now()
    created = current.pk is None
    current.save()
    changes = diff(before, snapshot(current, SETTING_FIELDS))
    if changes:
        log_change(user=user, action="create" if created else "update", instance=current, changes=changes)
    logger.info("linkage settings of municipality %s changed by user %s", user.municipality_id, user.pk)
    return current


def linkage_parameters(*, municipality_id: int, as_of: date) -> LinkageParameters:
    """The parameters of a new export: the date, with the office's settings."""
    from arrears.models import LinkageSettings

    current = LinkageSettings.defaults_for(municipality_id)
    return LinkageParameters(
        as_of, current.min_months, current.min_amount, current.flag_adult_members, current.flag_minors
    )
