"""Purge ISA files and pension lists past the retention period now (the same as the daily beat job)."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from nhi_portal import retention
from nhi_portal.models import Municipality
from nhi_portal.services import UnknownMunicipality, municipality_for_code


class Command(BaseCommand):
    help = (
        "保存期間（NHI_RETENTION_YEARS、既定5年）を過ぎたISAファイル・年金一覧と、その突合結果を削除します。"
        "件数だけが「保存期間経過データの削除」に残ります。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--lg-code", help="自治体コード。省略すると登録済みのすべての自治体")
        parser.add_argument("--dry-run", action="store_true", help="削除せず、削除されるものを表示する")
        parser.add_argument("--today", type=date.fromisoformat, help="基準日（YYYY-MM-DD、確認用）")

    def handle(self, *args, **opts):
        if opts["lg_code"]:
            try:
                municipalities = [municipality_for_code(opts["lg_code"])]
            except UnknownMunicipality as exc:
                raise CommandError(str(exc)) from None
        else:
            municipalities = list(Municipality.objects.tenants().order_by("lg_code"))
        years = settings.NHI_RETENTION_YEARS
        for municipality in municipalities:
            if opts["dry_run"]:
                plan = retention.purge_plan(municipality=municipality, today=opts["today"])
                self.stdout.write(
                    f"{municipality}: {plan.cutoff:%Y-%m} より前（保存{years}年）の取込 {len(plan.batches)}件"
                )
                for kind, n in plan.counts.items():
                    self.stdout.write(f"  {kind}: 取込 {n['batches']}件、{n['rows']:,}行")
                for other in retention.registered_plans(municipality=municipality, today=opts["today"]):
                    counts = "、".join(f"{noun} {n}件" for noun, n in other.counts.items())
                    self.stdout.write(
                        f"{municipality}: {other.label}（保存{other.years}年、{other.cutoff:%Y-%m} より前に完了）"
                        f" {counts}"
                    )
                continue
            for other in retention.purge_registered(
                municipality=municipality, today=opts["today"], trigger="command"
            ):
                counts = "、".join(
                    f"{kind}: " + "、".join(f"{name} {n}件" for name, n in found.items())
                    for kind, found in other.counts.items()
                )
                self.stdout.write(
                    f"{municipality}: {other.cutoff:%Y-%m} より前に完了した記録を削除しました"
                    f"（保存{other.retention_years}年、{counts}）。"
                )
            purge = retention.purge_expired(municipality=municipality, today=opts["today"], trigger="command")
            if purge is None:
                self.stdout.write(f"{municipality}: 保存期間を過ぎたデータはありません。")
                continue
            rows = sum(purge.deleted.values())
            self.stdout.write(
                f"{municipality}: {purge.cutoff:%Y-%m} より前の取込 {len(purge.batches)}件を削除しました（{rows:,}行）。"
            )
