from django.core.management.base import BaseCommand

from nhi_portal.intake.commands import import_file, resolve_municipality


class Command(BaseCommand):
    help = (
        "保険料の賦課（期別の保険料額・納期限）のCSVを取り込みます。同じ世帯・年度・期別の新しい行は訂正として扱います。"
        "1行でも誤りがあれば何も取り込みません。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--lg-code", help="自治体コード（6桁）。登録済みの自治体が1つなら省略可")

    def handle(self, *args, **opts):
        municipality = resolve_municipality(opts["lg_code"])
        import_file(self, opts["file"], municipality=municipality, kind="assessments")
