from django.core.management.base import BaseCommand

from nhi_portal.intake.commands import import_file, resolve_municipality


class Command(BaseCommand):
    help = (
        "保険料の収納（納付・前納・還付）のCSVを取り込みます。1行でも誤りがあれば何も取り込みません。"
        "同じ内容のファイル、取込済みの収納番号の行は二重に取り込みません。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--lg-code", help="自治体コード（6桁）。登録済みの自治体が1つなら省略可")

    def handle(self, *args, **opts):
        municipality = resolve_municipality(opts["lg_code"])
        import_file(self, opts["file"], municipality=municipality, kind="payments")
