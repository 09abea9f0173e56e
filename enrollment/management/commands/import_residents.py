from django.core.management.base import BaseCommand

from nhi_portal.intake.commands import import_file, resolve_municipality
from nhi_portal.models import ImportMode


class Command(BaseCommand):
    help = "住民基本台帳の抽出ファイルを取り込みます（住民票コードで更新し、変更履歴を残します）。"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--lg-code", help="自治体コード（6桁）。登録済みの自治体が1つなら省略可")
        parser.add_argument(
            "--mode", choices=ImportMode.values, default=ImportMode.SNAPSHOT, help="snapshot=全件, delta=差分"
        )

    def handle(self, *args, **opts):
        municipality = resolve_municipality(opts["lg_code"])
        import_file(self, opts["file"], municipality=municipality, kind="residents", mode=opts["mode"])
