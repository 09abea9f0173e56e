from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from arrears import services
from nhi_portal.intake.commands import resolve_municipality
from nhi_portal.intake.errors import FileRejected


class Command(BaseCommand):
    help = (
        "分納誓約をCSVから記録します（household_head_code, agreed_on, first_due_date, monthly_amount, months[, note]）。"
        "基幹系からの移行やデモ用。1行でも誤りがあれば何も記録しません。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--lg-code", help="自治体コード（6桁）。登録済みの自治体が1つなら省略可")

    def handle(self, *args, **opts):
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"ファイルが見つかりません: {path}")
        municipality = resolve_municipality(opts["lg_code"])
        try:
            created, unchanged = services.agreements_import(municipality=municipality, data=path.read_bytes())
        except FileRejected as exc:
            raise CommandError(exc.message(path.name)) from None
        self.stdout.write(f"分納誓約 {created}件を記録しました（記録済みで変更なし {unchanged}件）。")
