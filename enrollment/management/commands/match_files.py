"""Import a register, a ledger and ISA files into the current database, match, and write the
predictions — one command for evaluations on new data."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from enrollment.linking import runs
from enrollment.linking.export import HEADER, write_matches
from nhi_portal.intake.commands import import_file, resolve_municipality
from nhi_portal.models import ImportMode


class Command(BaseCommand):
    help = (
        "住民基本台帳・国保台帳・ISAファイルを取り込み、突合して結果を1つのCSVに書き出します"
        "（source_file,row_number,resident_code,decision,score）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--lg-code", required=True)
        parser.add_argument("--residents", required=True, help="住民基本台帳のCSV")
        parser.add_argument("--nhi-ledger", required=True, help="国保台帳のCSV")
        parser.add_argument("--isa", nargs="+", required=True, help="ISAファイル（1つ以上）")
        parser.add_argument("--out", required=True, help="書き出すCSVファイル")
        parser.add_argument("--workers", action="store_true", help="Celeryのワーカーで並列に突合する")

    def handle(self, *args, **opts):
        started = time.perf_counter()
        municipality = resolve_municipality(opts["lg_code"], create=True)
        import_file(
            self, opts["residents"], municipality=municipality, kind="residents", mode=ImportMode.SNAPSHOT
        )
        import_file(
            self, opts["nhi_ledger"], municipality=municipality, kind="nhi_ledger", mode=ImportMode.SNAPSHOT
        )
        batches = [import_file(self, path, municipality=municipality, kind="isa") for path in opts["isa"]]
        out_path = Path(opts["out"])
        with out_path.open("w", encoding="utf-8", newline="") as out:
            out.write(",".join(HEADER) + "\n")
            for batch in batches:
                try:
                    run = runs.match_start(batch=batch, dispatch=opts["workers"])
                except runs.NotMatchable as exc:
                    raise CommandError(f"{batch.source_name}: {exc}") from None
                if opts["workers"]:
                    while run.status in ("queued", "running"):
                        time.sleep(0.5)
                        run.refresh_from_db()
                else:
                    run = runs.run_inline(run)
                if run.status != "succeeded":
                    raise CommandError(f"{batch.source_name}: 突合が完了しませんでした: {run.error}")
                write_matches(batch, out, header=False)
                self.stdout.write(f"{batch.source_name}: {run.counts}")
        self.stdout.write(f"{out_path} に書き出しました（{time.perf_counter() - started:.1f}秒）。")
