from pathlib import Path

from django.core.management.base import BaseCommand

from enrollment.linking.export import write_matches
from enrollment.management.commands._importing import matched_batch


class Command(BaseCommand):
    help = "取込バッチの突合結果をCSVに書き出します（source_file,row_number,resident_code,decision,score）。"

    def add_arguments(self, parser):
        parser.add_argument("batch_id", type=int)
        parser.add_argument("--out", required=True, help="書き出すCSVファイル")

    def handle(self, *args, **opts):
        batch = matched_batch(opts["batch_id"])
        with Path(opts["out"]).open("w", encoding="utf-8", newline="") as out:
            count = write_matches(batch, out)
        self.stdout.write(f"{count:,}行を {opts['out']} に書き出しました。")
