from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from enrollment.linking.export import write_matches
from enrollment.management.commands._matched import matched_batch
from enrollment.models import MatchDecision
from nhi_portal.access import has_portal_permission
from nhi_portal.audit import Purpose, log_command_export, sha256_of
from nhi_portal.models import User


class Command(BaseCommand):
    help = (
        "取込バッチの突合結果をCSVに書き出します（source_file,row_number,resident_code,decision,score）。"
        "書き出しは --user の職員の操作として閲覧記録に残ります。"
    )

    def add_arguments(self, parser):
        parser.add_argument("batch_id", type=int)
        parser.add_argument("--out", required=True, help="書き出すCSVファイル")
        parser.add_argument(
            "--user",
            required=True,
            help="書き出しを行う職員のユーザー名（閲覧記録に残ります。住民データの閲覧権限が必要）",
        )

    def handle(self, *args, **opts):
        batch = matched_batch(opts["batch_id"])
        user = User.objects.filter(username=opts["user"]).first()
        if user is None:
            raise CommandError(f"ユーザー「{opts['user']}」はいません。ユーザー名を確かめてください。")
        if user.municipality_id != batch.municipality_id or not has_portal_permission(user, "view_people"):
            raise CommandError(
                f"ユーザー「{user.username}」は取込番号 {batch.pk} の住民データを書き出せません"
                "（所属が違うか、住民データの閲覧権限がありません）。"
            )
        path = Path(opts["out"])
        with path.open("w", encoding="utf-8", newline="") as out:
            count = write_matches(batch, out)
        people = (
            MatchDecision.objects.for_municipality(batch.municipality_id)
            .filter(batch_id=batch.pk, resident_id__isnull=False)
            .exclude(outcome="no_match")
            .values_list("resident_id", flat=True)
        )
        log_command_export(
            user=user,
            command=f"export_matches {batch.pk}",
            action="export_matches",
            purpose=Purpose.REVIEW,
            object_type="resident",
            ids=people,
            sha256=sha256_of(path.read_bytes()),
        )
        self.stdout.write(f"{count:,}行を {opts['out']} に書き出しました。")
