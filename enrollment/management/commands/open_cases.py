"""open_cases: open or update reminder cases from the decided match records (ISA files and pension
lists) not taken in yet — the same service as the nightly batch's "cases" step."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from enrollment.cases.services import cases_open
from enrollment.management.commands._matched import matched_batch
from enrollment.models import CaseIntake
from nhi_portal.intake.commands import resolve_municipality

OUTCOME_LABELS = {"opened": "ケースを開いた", "attached": "開いているケースに追加した"}


class Command(BaseCommand):
    help = (
        "突合済みの記録（ISAファイル・年金の一覧）から勧奨ケースを開く・更新します（夜間処理と同じ処理）。"
        "審査待ちの記録は審査が終わるまで残します。結果ごとの件数を表示します。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, metavar="BATCH_ID", help="この取込番号の記録だけ")
        parser.add_argument("--lg-code", help="自治体コード（6桁）。登録済みの自治体が1つなら省略可")

    def handle(self, *args, **opts):
        batch = None
        if opts["batch"] is not None:
            batch = matched_batch(opts["batch"])
            municipality = batch.municipality
        else:
            municipality = resolve_municipality(opts["lg_code"])
        counts = cases_open(municipality=municipality, batch=batch)
        skip_labels = dict(CaseIntake.SkipReason.choices)
        total = sum(counts.values())
        scope = f"取込番号 {batch.pk}" if batch else municipality.name
        if not total:
            self.stdout.write(f"{scope}: 新たに取り込む突合済みの記録はありません。")
            return
        self.stdout.write(f"{scope}: {total:,}件の記録を取り込みました。")
        for outcome, count in sorted(counts.items(), key=lambda item: -item[1]):
            if outcome.startswith("skipped:"):
                label = f"ケースなし（{skip_labels.get(outcome.removeprefix('skipped:'), outcome)}）"
            else:
                label = OUTCOME_LABELS.get(outcome, outcome)
            self.stdout.write(f"  {label}: {count:,}件")
