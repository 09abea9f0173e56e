from django.core.management.base import BaseCommand

from nhi_portal.intake.commands import import_file, resolve_municipality


class Command(BaseCommand):
    help = "ISAファイル（別紙1〜3）を取り込みます。別紙は見出しから判別します（--annex で指定も可）。"

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="CSVファイル（CP932/UTF-8）")
        parser.add_argument("--lg-code", help="自治体コード（6桁）。登録済みの自治体が1つなら省略可")
        parser.add_argument("--annex", type=int, choices=[1, 2, 3], help="別紙の番号を強制する")

    def handle(self, *args, **opts):
        municipality = resolve_municipality(opts["lg_code"])
        for path in opts["files"]:
            import_file(self, path, municipality=municipality, kind="isa", annex=opts["annex"])
