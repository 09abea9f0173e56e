import hashlib
import logging
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from arrears import services
from nhi_portal.intake.commands import resolve_municipality

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "基準日現在の滞納世帯をCSVに書き出します（household_head_code, overdue_instalments, overdue_amount, "
        "months_in_arrears, oldest_due_date, foreign。household_head_code順）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", required=True, help="基準日 YYYY-MM-DD")
        parser.add_argument("--out", required=True, help="書き出すCSVファイル")
        parser.add_argument("--lg-code", help="自治体コード（6桁）。登録済みの自治体が1つなら省略可")

    def handle(self, *args, **opts):
        try:
            as_of = date.fromisoformat(opts["as_of"])
        except ValueError:
            raise CommandError("--as-of は YYYY-MM-DD で指定してください。") from None
        municipality = resolve_municipality(opts["lg_code"])
        data, rows = services.arrears_report(municipality_id=municipality.pk, as_of=as_of)
        count = len(rows)
        Path(opts["out"]).write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        # An operator's command has no signed-in user for the access log: the log line records it.
        logger.info(
            "arrears_report %s as of %s: %s households, sha256 %s", municipality.lg_code, as_of, count, digest
        )
        self.stdout.write(f"{count:,}世帯を {opts['out']} に書き出しました（SHA-256 {digest}）。")
