"""Import a register, a ledger and ISA files into the current database, match, and write the
predictions — one command for evaluations on new data."""

import codecs
import csv
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from enrollment.linking import runs
from enrollment.linking.export import HEADER, write_matches
from enrollment.matching.comparisons import designated_city_of
from nhi_portal.domain.codes import lg_code_problem
from nhi_portal.intake.commands import import_file, resolve_municipality
from nhi_portal.models import ImportMode, Municipality


def ward_codes_in(path: str, city_code: str) -> list[str]:
    """The ward codes (区) of the designated city `city_code` in the register's lg_code column.

    Only codes numbered in the city's own range (DESIGNATED_CITIES) with a valid check digit count:
    a row of another municipality is still refused by the import. The column holds digits only,
    so the file is read byte-for-byte (UTF-8 and CP932 alike; UTF-16 by its byte-order mark)."""
    city = designated_city_of(city_code)
    if city is None or int(city_code[:5]) != city:
        return []
    with open(path, "rb") as fh:
        head = fh.read(2)
    encoding = "utf-16" if head in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else "latin-1"
    found = set()
    with open(path, encoding=encoding, newline="") as fh:
        rows = csv.reader(fh)
        header = [name.strip().lstrip("\ufeff").lstrip("\xef\xbb\xbf") for name in next(rows, [])]
        if "lg_code" not in header:
            return []  # the import explains the missing column
        column = header.index("lg_code")
        for row in rows:
            if len(row) > column:
                found.add(row[column].strip())
    return sorted(
        code
        for code in found
        if code[:5] != city_code[:5] and not lg_code_problem(code) and designated_city_of(code) == city
    )


class Command(BaseCommand):
    help = (
        "住民基本台帳・国保台帳・ISAファイルを取り込み、突合して結果を1つのCSVに書き出します"
        "（source_file,row_number,resident_code,decision,score）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--lg-code", required=True)
        parser.add_argument("--residents", required=True, help="住民基本台帳のCSV")
        parser.add_argument("--nhi-ledger", required=True, help="国保台帳のCSV")
        parser.add_argument("--isa", nargs="+", required=True, help="ISAファイル（1つ以上）")
        parser.add_argument("--out", required=True, help="書き出すCSVファイル")
        parser.add_argument("--workers", action="store_true", help="Celeryのワーカーで並列に突合する")

    def handle(self, *args, **opts):
        started = time.perf_counter()
        municipality = resolve_municipality(opts["lg_code"], create=True)
        self._register_wards(municipality, opts["residents"])
        import_file(
            self, opts["residents"], municipality=municipality, kind="residents", mode=ImportMode.SNAPSHOT
        )
        import_file(
            self, opts["nhi_ledger"], municipality=municipality, kind="nhi_ledger", mode=ImportMode.SNAPSHOT
        )
        batches = [import_file(self, path, municipality=municipality, kind="isa") for path in opts["isa"]]
        out_path = Path(opts["out"])
        with out_path.open("w", encoding="utf-8", newline="") as out:
            out.write(",".join(HEADER) + "\n")
            for batch in batches:
                try:
                    run = runs.match_start(batch=batch, dispatch=opts["workers"])
                except runs.NotMatchable as exc:
                    raise CommandError(f"{batch.source_name}: {exc}") from None
                if opts["workers"]:
                    while run.status in ("queued", "running"):
                        time.sleep(0.5)
                        run.refresh_from_db()
                else:
                    run = runs.run_inline(run)
                if run.status != "succeeded":
                    raise CommandError(f"{batch.source_name}: 突合が完了しませんでした: {run.error}")
                write_matches(batch, out, header=False)
                self.stdout.write(f"{batch.source_name}: {run.counts}")
        self.stdout.write(f"{out_path} に書き出しました（{time.perf_counter() - started:.1f}秒）。")

    def _register_wards(self, municipality: Municipality, residents: str) -> None:
        """A designated city (政令指定都市) with its wards, as an administrator would register them: the
        register and the ISA files carry ward codes, which the import refuses unless they are the
        city's wards. A ward already registered under another city is left for the import to refuse."""
        if municipality.parent_id or not Path(residents).is_file():
            return
        added = []
        for code in ward_codes_in(residents, municipality.lg_code):
            _, created = Municipality.objects.get_or_create(
                lg_code=code, defaults={"name": f"{municipality.name} 区{code}", "parent": municipality}
            )
            if created:
                added.append(code)
        if added:
            self.stdout.write(f"{municipality}の区を登録しました（{len(added)}区）: {', '.join(added)}")
