"""Set a municipality up for notices to the immigration bureau: the bureau the notices go to and
the standard list of grounds (enrollment.notices.defaults). Edit both later in the admin site."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from enrollment.notices.defaults import notice_settings_setup
from nhi_portal.services import UnknownMunicipality, municipality_for_code


class Command(BaseCommand):
    help = "入管への通知の設定（通知先の地方出入国在留管理局と、通知の理由の標準の一覧）を作ります。2回実行しても同じです。"

    def add_arguments(self, parser):
        parser.add_argument("--lg-code", required=True, help="自治体コード（6桁）")
        parser.add_argument("--bureau", required=True, help="通知先。例: 東京出入国在留管理局長")
        parser.add_argument("--section", default="", help="通知先の部署。例: 審査管理部門")
        parser.add_argument("--postal-code", default="", help="通知先の郵便番号")
        parser.add_argument("--address", default="", help="通知先の所在地")
        parser.add_argument(
            "--retention-years", type=int, default=5, help="送付・却下・取下げからの保存年数（既定5）"
        )

    def handle(self, *args, **opts):
        try:
            municipality = municipality_for_code(opts["lg_code"])
        except UnknownMunicipality as exc:
            raise CommandError(str(exc)) from None
        if not 1 <= opts["retention_years"] <= 30:
            raise CommandError("保存年数は1から30の間で指定してください。")
        settings_row, added = notice_settings_setup(
            municipality=municipality,
            bureau_name=opts["bureau"],
            bureau_section=opts["section"],
            bureau_postal_code=opts["postal_code"],
            bureau_address=opts["address"],
            retention_years=opts["retention_years"],
        )
        self.stdout.write(
            f"{municipality}: 通知先 {settings_row.bureau_name}、通知の理由 {settings_row.grounds.count()}件"
            f"（今回追加 {added}件）。"
        )
