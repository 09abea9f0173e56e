from django.core.management.base import BaseCommand

from nhi_portal.intake.commands import import_file, resolve_municipality
from nhi_portal.models import ImportKind


class Command(BaseCommand):
    help = (
        "分納誓約をCSVから記録します（household_head_code, agreed_on, first_due_date, monthly_amount, months[, note]）。"
        "基幹系からの移行やデモ用。ほかのファイルと同じ取込（同じファイルは二度取り込まない）で、"
        "1行でも誤りがあれば何も記録しません。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--lg-code", help="自治体コード（6桁）。登録済みの自治体が1つなら省略可")

    def handle(self, *args, **opts):
        municipality = resolve_municipality(opts["lg_code"])
        batch = import_file(self, opts["file"], municipality=municipality, kind=ImportKind.AGREEMENTS)
        summary = batch.summary or {}
        self.stdout.write(
            f"分納誓約 {summary.get('created', 0)}件を記録しました（記録済みで変更なし {summary.get('unchanged', 0)}件）。"
        )
