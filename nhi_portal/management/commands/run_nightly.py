from django.core.management.base import BaseCommand, CommandError

from nhi_portal import nightly
from nhi_portal.models import JobStatus, Municipality, NightlyRun
from nhi_portal.services import UnknownMunicipality, municipality_for_code


class Command(BaseCommand):
    help = "夜間バッチを今すぐ実行します（受信フォルダの取込→突合→ケース作成→通知書）。--rerun で失敗した回を再開します。"

    def add_arguments(self, parser):
        parser.add_argument("--lg-code", help="自治体コード。省略すると登録済みのすべての自治体")
        parser.add_argument(
            "--rerun", type=int, metavar="RUN_ID", help="失敗した夜間バッチを失敗した工程から再開する"
        )

    def handle(self, *args, **opts):
        if opts["rerun"]:
            try:
                run = NightlyRun.objects.get(pk=opts["rerun"])
            except NightlyRun.DoesNotExist:
                raise CommandError(f"夜間バッチ #{opts['rerun']} はありません。") from None
            if run.status != JobStatus.FAILED:
                raise CommandError(f"夜間バッチ #{run.pk} は失敗していません（{run.get_status_display()}）。")
            self._report(nightly.nightly_execute(run_id=run.pk))
            return
        if opts["lg_code"]:
            try:
                municipalities = [municipality_for_code(opts["lg_code"])]
            except UnknownMunicipality as exc:
                raise CommandError(str(exc)) from None
        else:
            municipalities = list(Municipality.objects.tenants())
            if not municipalities:
                raise CommandError("自治体が登録されていません。管理画面で自治体を登録してください。")
        failed = False
        for municipality in municipalities:
            run = nightly.nightly_create(municipality=municipality)
            run = nightly.nightly_execute(run_id=run.pk)
            self._report(run)
            failed = failed or run.status == JobStatus.FAILED
        if failed:
            raise CommandError(
                "失敗した夜間バッチがあります。原因を直して --rerun RUN_ID で再開してください。"
            )

    def _report(self, run: NightlyRun) -> None:
        self.stdout.write(f"夜間バッチ #{run.pk}（{run.municipality.name}）: {run.get_status_display()}")
        for step in run.steps:
            self.stdout.write(f"  {step['label']}: {step['status']} {step['message']}")
        if run.error:
            self.stdout.write(f"  理由: {run.error}")
