"""print_letters: the queued letters of one kind as one print-ready PDF, made in this process
through the same service as the letters page (a print batch with its job, rendered, stored)."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from enrollment.cases import printing
from enrollment.models import CaseKind, PrintBatch
from nhi_portal.intake.commands import resolve_municipality

# --kind → the print batches to make: (kind, second).
KINDS = {
    "enrollment": [(CaseKind.ENROLLMENT, False)],
    "withdrawal": [(CaseKind.WITHDRAWAL, False)],
    "second": [(CaseKind.ENROLLMENT, True), (CaseKind.WITHDRAWAL, True)],
}


class Command(BaseCommand):
    help = (
        "印刷待ちの通知書を1つの印刷用PDF（郵便番号順、表紙付き）にします。画面の「印刷用PDFを作る」と"
        "同じ処理で印刷バッチを作り、このプロセスで作成して --out に書き出します。"
        "--kind second は加入勧奨と資格喪失届の勧奨の両方の再勧奨です。印刷バッチは種類ごとに1つ作り、"
        "--out には両方を続けて書きます（それぞれ表紙付き）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="書き出すPDFファイル")
        parser.add_argument(
            "--kind",
            choices=list(KINDS),
            default="enrollment",
            help="enrollment: 加入勧奨（既定）、withdrawal: 資格喪失届の勧奨、second: 両方の再勧奨",
        )
        parser.add_argument("--lg-code", help="自治体コード（6桁）。登録済みの自治体が1つなら省略可")

    def handle(self, *args, **opts):
        municipality = resolve_municipality(opts["lg_code"])
        out = Path(opts["out"])
        if not out.parent.is_dir():
            raise CommandError(f"書き出し先のフォルダがありません: {out.parent}")
        started = time.perf_counter()
        batches = []
        for kind, second in KINDS[opts["kind"]]:
            try:
                batch = printing.print_batch_create(
                    municipality=municipality, kind=kind, second=second, user=None, enqueue=False
                )
            except printing.PrintRefused as refusal:
                if opts["kind"] == "second":  # the other kind may still have some
                    continue
                raise CommandError(str(refusal)) from None
            batch = printing.print_batch_render(batch_id=batch.pk)
            if batch.status != PrintBatch.Status.READY:
                raise CommandError(
                    f"印刷 {printing.batch_number(batch)} を作成できませんでした: {batch.error}"
                )
            batches.append(batch)
        if not batches:
            raise CommandError("印刷待ちの再勧奨の通知書はありません。")
        _write(out, batches)
        seconds = time.perf_counter() - started
        for batch in batches:
            self.stdout.write(
                f"印刷 {printing.batch_number(batch)}（{printing.group_label(batch.kind, batch.second)}）: "
                f"{batch.letter_count:,}通、{batch.page_count:,}ページ、SHA-256 {batch.sha256[:12]}"
            )
        letters = sum(b.letter_count for b in batches)
        pages = sum(b.page_count for b in batches)
        self.stdout.write(f"{out}: {letters:,}通、{pages:,}ページ、{seconds:.1f}秒")


def _write(out: Path, batches: list[PrintBatch]) -> None:
    if len(batches) == 1:
        with batches[0].pdf.open("rb") as source, out.open("wb") as target:
            while block := source.read(1 << 20):
                target.write(block)
        return
    # Several batches in one file: the engine's composer gives each source its own font subset
    # tags, so the joined file stays correct for print RIPs that cache fonts by name.
    from enrollment.letters.pdf import Composer

    composer = Composer(
        title="勧奨通知 " + " / ".join(printing.batch_number(b) for b in batches), duplex=False
    )
    for batch in batches:
        with batch.pdf.open("rb") as source:
            reader = composer.source(source.read())
        composer.add_pages(reader, range(len(reader.pages)))
    out.write_bytes(composer.write())
