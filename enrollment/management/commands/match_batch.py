import time

from django.core.management.base import BaseCommand, CommandError

from enrollment.linking import runs
from nhi_portal.models import ImportBatch, JobStatus


class Command(BaseCommand):
    help = (
        "ISAファイルの取込バッチを住民基本台帳と突合します。既定ではこのプロセスで処理し、"
        "--workers を付けるとCeleryのワーカーに分担させて終わるまで待ちます。途中で止まった突合は再開します。"
    )

    def add_arguments(self, parser):
        parser.add_argument("batch_id", type=int)
        parser.add_argument("--workers", action="store_true", help="Celeryのワーカーで並列に処理する")

    def handle(self, *args, **opts):
        try:
            batch = ImportBatch.objects.get(pk=opts["batch_id"])
        except ImportBatch.DoesNotExist:
            raise CommandError(f"取込番号 {opts['batch_id']} はありません。") from None
        started = time.perf_counter()
        try:
            run = runs.match_start(batch=batch, dispatch=opts["workers"])
        except runs.NotMatchable as exc:
            raise CommandError(str(exc)) from None
        if opts["workers"]:
            while run.status in (JobStatus.QUEUED, JobStatus.RUNNING):
                time.sleep(0.5)
                run.refresh_from_db()
        else:
            run = runs.run_inline(run)
        if run.status != JobStatus.SUCCEEDED:
            raise CommandError(
                f"突合 #{run.pk} が完了しませんでした: {run.error or run.get_status_display()}"
            )
        counts = run.counts
        self.stdout.write(
            f"突合 #{run.pk}（取込 #{batch.pk}）: 自動照合 {counts['auto_match']:,}、要確認 {counts['review']:,}、"
            f"該当なし {counts['no_match']:,}（うち過去の判断による照合 {counts['remembered']:,}）"
            f"、{time.perf_counter() - started:.1f}秒"
        )
