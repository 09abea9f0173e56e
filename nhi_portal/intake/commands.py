"""Shared by the management commands of every app (enrollment, receipts, arrears): find the
municipality a command works for, receive a file through `batch_receive` and import it now, print
the batch report. Lives in the shared base so that no app imports another app's commands."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError

from nhi_portal.intake import services
from nhi_portal.models import BatchSource, BatchStatus, ImportBatch, Municipality
from nhi_portal.services import UnknownMunicipality, municipality_for_code


def resolve_municipality(lg_code: str | None, *, create: bool = False) -> Municipality:
    if lg_code:
        try:
            return municipality_for_code(lg_code, create=create)
        except UnknownMunicipality as exc:
            raise CommandError(str(exc)) from None
    tenants = list(Municipality.objects.tenants()[:2])
    if len(tenants) == 1:
        return tenants[0]
    raise CommandError("--lg-code で自治体コードを指定してください（登録済みの自治体が1つではありません）。")


def import_file(
    command, path: str, *, municipality: Municipality, kind: str, max_issues: int = 20, **options
) -> ImportBatch:
    file_path = Path(path)
    if not file_path.is_file():
        raise CommandError(f"ファイルが見つかりません: {path}")
    with file_path.open("rb") as fh:
        received = services.batch_receive(
            municipality=municipality,
            kind=kind,
            filename=file_path.name,
            content=fh,
            source=BatchSource.COMMAND,
            enqueue=False,
            **options,
        )
    if received.duplicate:
        command.stdout.write(received.message)
        return received.batch
    batch = services.batch_import(batch_id=received.batch.pk)
    report(command, batch, max_issues=max_issues)
    return batch


def report(command, batch: ImportBatch, *, max_issues: int = 20) -> None:
    if batch.status == BatchStatus.REJECTED:
        raise CommandError(f"取込不可（取込番号 {batch.pk}）: {batch.rejection_reason}")
    if batch.status == BatchStatus.FAILED:
        raise CommandError(f"取込失敗（取込番号 {batch.pk}）: {batch.rejection_reason}")
    parts = ", ".join(f"{k}={v}" for k, v in batch.summary.items())
    command.stdout.write(
        f"取込番号 {batch.pk}: {batch.source_name} — {batch.kind_label}、{batch.rows_total}行、"
        f"状態 {batch.get_status_display()}（{parts}）"
    )
    issues = list(batch.issues.order_by("line", "id")[: max_issues + 1])
    for issue in issues[:max_issues]:
        command.stdout.write(f"  {issue.line}行目、列「{issue.column}」: 「{issue.value}」 — {issue.reason}")
    if len(issues) > max_issues:
        command.stdout.write(f"  …ほか {batch.issues.count() - max_issues}件（画面の取込詳細で確認できます）")
