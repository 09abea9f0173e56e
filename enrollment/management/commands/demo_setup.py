"""Build the demo: a municipality with staff sign-ins, synthetic input files in its inbox, one
nightly batch run over them, then a few weeks of office work (_demo_office: earlier ISA months,
letters printed and posted, replies). Running it again changes nothing (same files, same content)."""

from __future__ import annotations

import shutil
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from demo.generator import generate
from demo.receipts import generate_receipts
from enrollment.management.commands._demo_office import office_work
from nhi_portal import nightly
from nhi_portal.models import JobStatus, Municipality
from nhi_portal.services import staff_create

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - demo accounts on synthetic data, printed on purpose
PEOPLE = [
    ("clerk", "clerk", "担当者"),
    ("supervisor", "supervisor", "監督者"),
    ("auditor", "auditor", "監査"),
    ("admin", "administrator", "管理者"),
]
# Where each generated file goes in the inbox (the register first: matching needs it).
INBOX_FILES = {
    "residents.csv": ("residents", "residents_snapshot.csv"),
    "nhi_ledger.csv": ("nhi_ledger", "nhi_ledger_snapshot.csv"),
    "isa_annex1_entry.csv": ("isa", "isa_annex1_entry.csv"),
    "isa_annex2_separation.csv": ("isa", "isa_annex2_separation.csv"),
    "isa_annex3_status_change.csv": ("isa", "isa_annex3_status_change.csv"),
    "assessments.csv": ("assessments", "assessments.csv"),
    "payments.csv": ("payments", "payments.csv"),
}


class Command(BaseCommand):
    help = "デモ自治体（小金井市）と職員アカウントを作り、合成データで夜間バッチを1回実行します。"

    def add_arguments(self, parser):
        parser.add_argument("--residents", type=int, default=5000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--no-office-work",
            action="store_true",
            help="前の月のISAファイル、通知書の印刷・送付、回答などの窓口の作業を加えない",
        )

    def handle(self, *args, **opts):
        city, _ = Municipality.objects.update_or_create(
            lg_code="132101",
            defaults={
                "name": "小金井市",
                "department": "市民部 保険年金課 国保係",
                "postal_code": "1848504",
                "address": "東京都小金井市本町六丁目6番3号",
                "phone": "042-387-9999（デモ）",
                "opening_hours": "平日 8時30分～17時15分",
                "mayor_title": "小金井市長",
                "office_name_latin": "Koganei City Hall, Insurance and Pension Division",
                "address_latin": "6-6-3 Honcho, Koganei-shi, Tokyo",
                "counter": "第二庁舎1階 5番窓口",
                "counter_latin": "Annex Building 1F, Counter 5",
                "opening_hours_latin": "Mon–Fri 8:30–17:15",
                "interpreter_service": "窓口で タブレット通訳を 使えます（英語・ベトナム語・中国語 など）",
                "interpreter_service_latin": "tablet interpreter at the counter (English, Vietnamese, Chinese and more)",
                "prepayment_allowed": True,
            },
        )
        other, _ = Municipality.objects.update_or_create(
            lg_code="131016", defaults={"name": "千代田区", "department": "区民部 保険年金課"}
        )
        accounts = []
        for prefix, role, label in PEOPLE:
            staff_create(
                username=f"{prefix}",
                password=DEMO_PASSWORD,
                municipality=city,
                role=role,
                full_name=f"デモ{label}",
            )
            accounts.append((f"{prefix}", label, city.name))
        staff_create(
            username="chiyoda-clerk",
            password=DEMO_PASSWORD,
            municipality=other,
            role="clerk",
            full_name="千代田区の担当者",
        )
        accounts.append(("chiyoda-clerk", "担当者", other.name))

        data_dir = Path(settings.DATA_DIR) / "demo" / f"{city.lg_code}-{opts['residents']}-{opts['seed']}"
        if not (data_dir / "summary.json").exists():
            self.stdout.write(f"合成データを作成しています（住民 {opts['residents']:,}人）…")
            generate(data_dir, lg_code=city.lg_code, residents=opts["residents"], seed=opts["seed"])
        if not (data_dir / "receipts_summary.json").exists():
            generate_receipts(data_dir, seed=opts["seed"])
        inbox = nightly.inbox_for(city)
        for source, (kind, name) in INBOX_FILES.items():
            (inbox / kind).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(data_dir / source, inbox / kind / name)

        self.stdout.write("夜間バッチを実行しています…")
        run = nightly.nightly_create(municipality=city)
        run = nightly.nightly_execute(run_id=run.pk)
        for step in run.steps:
            self.stdout.write(f"  {step['label']}: {step['message'] or step['status']}")
        if run.status != JobStatus.SUCCEEDED:
            raise CommandError(f"夜間バッチが失敗しました: {run.error}")
        if not opts["no_office_work"]:
            try:
                office_work(municipality=city, data_dir=data_dir, seed=opts["seed"], stdout=self.stdout)
            except RuntimeError as exc:
                raise CommandError(str(exc)) from None
        call_command(
            "setup_notices", "--lg-code", city.lg_code, "--bureau", "東京出入国在留管理局長",
            "--section", "審査管理部門（デモ）", verbosity=0,
        )  # fmt: skip
        call_command(
            "import_agreements",
            str(data_dir / "instalment_agreements.csv"),
            "--lg-code",
            city.lg_code,
            verbosity=0,
        )

        self.stdout.write("")
        self.stdout.write(f"デモのサインイン（パスワードはすべて {DEMO_PASSWORD}）:")
        for username, label, municipality in accounts:
            self.stdout.write(f"  {username:<15} {label}（{municipality}）")
        self.stdout.write(
            "監督者・監査・管理者は初回のログインで二要素認証（TOTPアプリ）を設定します（QRコードが表示されます）。"
        )
        self.stdout.write("ポータル: http://127.0.0.1:8000/")
