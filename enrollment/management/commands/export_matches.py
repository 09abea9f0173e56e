from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from enrollment.linking.export import write_matches
from nhi_portal.models import ImportBatch


class Command(BaseCommand):
    help = "取込バッチの突合結果をCSVに書き出します（source_file,row_number,resident_code,decision,score）。"

    def add_arguments(self, parser):
        parser.add_argument("batch_id", type=int)
        parser.add_argument("--out", required=True, help="書き出すCSVファイル")

    def handle(self, *args, **opts):
        try:
            batch = ImportBatch.objects.get(pk=opts["batch_id"])
        except ImportBatch.DoesNotExist:
            raise CommandError(f"取込番号 {opts['batch_id']} はありません。") from None
        if not hasattr(batch, "match_run"):
            raise CommandError(
                f"取込番号 {batch.pk} はまだ突合されていません（manage.py match_batch {batch.pk}）。"
            )
        with Path(opts["out"]).open("w", encoding="utf-8", newline="") as out:
            count = write_matches(batch, out)
        self.stdout.write(f"{count:,}行を {opts['out']} に書き出しました。")
