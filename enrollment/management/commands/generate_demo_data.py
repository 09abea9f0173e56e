from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from demo.generator import generate
from nhi_portal.domain.codes import lg_code_problem


class Command(BaseCommand):
    help = (
        "デモ用の合成データ（住民基本台帳・国保台帳・ISAファイル3種・正解データ）を書き出します。"
        "同じ引数なら同じ内容になります。実在の人物のデータは含みません。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--lg-code", default="132101", help="自治体コード（6桁、検査数字つき）")
        parser.add_argument("--residents", type=int, default=2000, help="住民の数")
        parser.add_argument("--seed", type=int, default=1, help="乱数の種")
        parser.add_argument("--out", required=True, help="書き出すフォルダ")
        parser.add_argument(
            "--isa-records", type=int, default=None, help="ISA記録の数（既定は住民の約2.5%%）"
        )
        parser.add_argument("--month", default=None, help="ISAファイルの対象月 YYYY-MM")

    def handle(self, *args, **opts):
        if problem := lg_code_problem(opts["lg_code"]):
            raise CommandError(f"--lg-code {opts['lg_code']}: {problem}")
        if opts["residents"] < 10:
            raise CommandError("--residents は10以上にしてください。")
        summary = generate(
            Path(opts["out"]),
            lg_code=opts["lg_code"],
            residents=opts["residents"],
            seed=opts["seed"],
            isa_records=opts["isa_records"],
            month=opts["month"],
        )
        self.stdout.write(
            f"{summary.municipality}（{summary.lg_code}）: 住民 {summary.residents:,}人（外国籍 {summary.foreign_residents:,}人）、"
            f"国保台帳 {summary.nhi_ledger_rows:,}行、ISA記録 {sum(summary.isa_records.values()):,}件（{summary.month}）"
        )
        for name in summary.files:
            self.stdout.write(f"  {Path(opts['out']) / name}")
