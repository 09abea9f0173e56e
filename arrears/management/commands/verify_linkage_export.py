from django.core.management.base import BaseCommand, CommandError

from arrears import services
from arrears.models import ExportStatus, LinkageExport


class Command(BaseCommand):
    help = "作成済みの連携出力を、承認した明細からもう一度作り、保存したファイルと同じバイト列か照合します。"

    def add_arguments(self, parser):
        parser.add_argument("export_id", type=int)

    def handle(self, *args, **opts):
        try:
            export = LinkageExport.objects.get(pk=opts["export_id"])
        except LinkageExport.DoesNotExist:
            raise CommandError(f"連携出力 #{opts['export_id']} はありません。") from None
        if export.status != ExportStatus.PRODUCED:
            raise CommandError(
                f"連携出力 #{export.pk} はまだ作成されていません（{export.get_status_display()}）。"
            )
        if not services.linkage_verify(export=export):
            raise CommandError(f"連携出力 #{export.pk}: 作り直した内容が一致しません。")
        self.stdout.write(f"連携出力 #{export.pk}: 同じバイト列です（SHA-256 {export.sha256}）。")
