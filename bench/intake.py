"""Intake benchmark (issues: data intake speed; columnar intake).

  python -m bench.intake [--isa-rows 1000000] [--residents 4000000] [--baseline-rows 20000]
                         [--only isa,residents,nhi_ledger] [--no-duckdb]

Measures, each in its own process on a fresh PostgreSQL database (BENCH_DATABASE, default
nhi_bench):
1. a 1,000,000-row ISA file (CP932, CRLF, as the ISA sends it) imported through the portal's
   import service (receive → decode → validate → COPY → commit), target ≤ 5 s;
2. a 4,000,000-row resident register snapshot (the first, into an empty register), target
   ≤ 15 s and peak memory ≤ 2 GiB;
3. the NHI ledger snapshot of the same data set (about 1.1 million periods), target ≤ 8 s
   (the issue's figure is for 1,321,531 rows: the rate in rows/s is what compares);
4. baselines in the same run: the same rows inserted the plain way — one ORM `create()` per row
   after the same cell cleaning — on a sample; and DuckDB (Splink's engine) loading the same
   CSV into a table with its CSV reader, as Splink does before it links (no validation).
The load average of the machine is printed before and after: the figures are only comparable on
an otherwise idle machine. Data come from the demo generator (synthetic), cached under var/bench/.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
from pathlib import Path

from bench.common import DATA, Timer, demo_data, fresh_database, peak_rss_mb, run_child

ISA_HEADER = "氏名（英字）,住居地（地方公共団体コード）,住居地,性別,生年月日,入国年月日（上陸年月日）"


def one_isa_file(source: Path, rows: int) -> Path:
    """The generator writes three annex files; the benchmark wants one file of `rows` rows. The
    rows of the three are put under the annex-1 header (same columns), CP932 + CRLF."""
    target = DATA / f"isa-{source.name}-{rows}.csv"
    if target.exists():
        return target
    lines = []
    for name in ("isa_annex1_entry.csv", "isa_annex2_separation.csv", "isa_annex3_status_change.csv"):
        text = (source / name).read_bytes().decode("cp932")
        lines.extend(text.splitlines()[1:])
    lines = lines[:rows]
    target.write_bytes(("\r\n".join([ISA_HEADER, *lines]) + "\r\n").encode("cp932"))
    return target


def child(kind: str, path: str, lg_code: str, baseline_rows: int) -> dict:
    """Runs inside the measured process."""
    import django

    django.setup()
    from nhi_portal.intake import services
    from nhi_portal.services import municipality_for_code

    municipality = municipality_for_code(lg_code, create=True)
    if baseline_rows:
        return baseline(kind, Path(path), municipality, baseline_rows)
    with Timer() as timer, open(path, "rb") as fh:
        received = services.batch_receive(
            municipality=municipality, kind=kind, filename=Path(path).name, content=fh, source="command",
            mode="snapshot", enqueue=False,
        )  # fmt: skip
        batch = services.batch_import(batch_id=received.batch.pk)
    if batch.status not in ("imported", "needs_attention"):
        raise SystemExit(f"import failed: {batch.status} {batch.rejection_reason}")
    return {
        "rows": batch.rows_total,
        "seconds": timer.seconds,
        "peak_mb": peak_rss_mb(),
        "status": batch.status,
    }


def baseline(kind: str, path: Path, municipality, rows: int) -> dict:
    """One ORM create() per row, after the same cell cleaning: what a plain Django import does."""
    from enrollment.models import IsaRecord, NhiMembership, Resident
    from nhi_portal.intake.values import address_cell, date_cell, name_alpha_cell, sex_cell
    from nhi_portal.models import ImportBatch

    batch = ImportBatch.objects.create(
        municipality=municipality, kind=kind, source="command", source_name="baseline", sha256="0" * 64
    )
    date_of = date_cell()
    encoding = "cp932" if kind == "isa" else "utf-8"
    reader = csv.reader(io.StringIO(path.read_bytes().decode(encoding), newline=""))
    next(reader)
    with Timer() as timer:
        for number, row in enumerate(reader, start=1):
            if number > rows:
                break
            if kind == "isa":
                IsaRecord.objects.create(
                    municipality=municipality, batch=batch, row_number=number, line_number=number + 1, annex=1,
                    raw_name=row[0], raw_lg_code=row[1], raw_address=row[2], raw_sex=row[3],
                    raw_birth_date=row[4], raw_event_date=row[5], name=name_alpha_cell(row[0])[0], lg_code=row[1],
                    address=address_cell(row[2])[0], sex=sex_cell(row[3])[0], birth_date=date_of(row[4])[0],
                    event_date=date_of(row[5])[0],
                )  # fmt: skip
            elif kind == "nhi_ledger":
                NhiMembership.objects.create(
                    municipality=municipality, insured_number=row[0], resident_code=row[1],
                    household_head_code=row[2], acquired_date=date_of(row[3])[0],
                    lost_date=date_of(row[4])[0] if row[4] else None, lost_reason=row[5], last_batch=batch,
                )  # fmt: skip
            else:
                Resident.objects.create(
                    municipality=municipality, resident_code=row[0], name_alpha=row[1], name_kana=row[2],
                    name_kanji=row[3], sex=sex_cell(row[4])[0], birth_date=date_of(row[5])[0], nationality=row[6],
                    residence_status=row[7], lg_code=row[8], address=address_cell(row[9])[0],
                    moved_in_date=date_of(row[10])[0] if row[10] else None,
                    moved_out_date=date_of(row[11])[0] if row[11] else None, status="resident",
                    postal_code=row[13], household_head_code=row[14],
                )  # fmt: skip
    return {"rows": min(rows, number), "seconds": timer.seconds, "peak_mb": peak_rss_mb()}


def duckdb_load(path: Path, kind: str) -> dict:
    """DuckDB (the engine Splink runs on) reading the same CSV into a table: Splink's first step.
    Runs inside the measured process; no validation, no history, no database server."""
    import duckdb

    if kind == "isa":
        # DuckDB reads CP932 only through an extension it downloads; it is given the same rows
        # as UTF-8 (transcoded once, outside the timing).
        utf8 = path.with_name(path.stem + "-utf8.csv")
        if not utf8.exists():
            utf8.write_bytes(path.read_bytes().decode("cp932").encode("utf-8"))
        path = utf8
    with Timer() as timer:
        con = duckdb.connect()
        con.execute("SET threads = 2")
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{path}', header = true, all_varchar = true)")
        rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
    return {"rows": rows, "seconds": timer.seconds, "peak_mb": peak_rss_mb()}


def load_average() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--isa-rows", type=int, default=1_000_000)
    parser.add_argument("--residents", type=int, default=4_000_000)
    parser.add_argument("--baseline-rows", type=int, default=20_000)
    parser.add_argument("--only", default="isa,residents,nhi_ledger")
    parser.add_argument("--no-duckdb", action="store_true")
    parser.add_argument(
        "--child", nargs=4, metavar=("KIND", "PATH", "LG_CODE", "BASELINE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        kind, path, lg_code, baseline_rows = args.child
        if baseline_rows == "duckdb":
            print(json.dumps(duckdb_load(Path(path), kind)))
        else:
            print(json.dumps(child(kind, path, lg_code, int(baseline_rows))))
        return

    data = demo_data(args.residents, args.isa_rows)
    isa_file = one_isa_file(data, args.isa_rows)
    results = {"load_average_before": load_average()}
    print(f"load average (1/5/15 min) before: {results['load_average_before']}")
    wanted = set(args.only.split(","))
    for label, kind, path, target in (
        ("ISA file (CP932)", "isa", isa_file, 5.0),
        (
            "resident register snapshot (first, into an empty register)",
            "residents",
            data / "residents.csv",
            15.0,
        ),
        ("NHI ledger snapshot", "nhi_ledger", data / "nhi_ledger.csv", 8.0),
    ):
        if kind not in wanted:
            continue
        url = fresh_database()
        ours = run_child("bench.intake", ["--child", kind, str(path), "132101", "0"], url)
        url = fresh_database()
        base = run_child("bench.intake", ["--child", kind, str(path), "132101", str(args.baseline_rows)], url)
        duck = None
        if not args.no_duckdb:
            try:
                duck = run_child("bench.intake", ["--child", kind, str(path), "132101", "duckdb"], url)
            except SystemExit:
                print("  (DuckDB not installed: .venv/bin/pip install -e '.[bench]')", file=sys.stderr)
        ours_rate = ours["rows"] / ours["seconds"]
        base_rate = base["rows"] / base["seconds"]
        results[kind] = {"ours": ours, "baseline": base, "duckdb": duck, "target_seconds": target}
        print(f"\n{label}: {ours['rows']:,} rows, {path.stat().st_size / 1e6:,.0f} MB")
        print(f"  portal import : {ours['seconds']:7.1f} s  {ours_rate:>10,.0f} rows/s  peak {ours['peak_mb']:,.0f} MB"
              f"  (target ≤ {target:.0f} s{', ≤ 2048 MB' if kind == 'residents' else ''})")  # fmt: skip
        print(f"  row-by-row ORM: {base['seconds']:7.1f} s for {base['rows']:,} rows  {base_rate:>10,.0f} rows/s"
              f"  peak {base['peak_mb']:,.0f} MB")  # fmt: skip
        print(f"  ratio         : {ours_rate / base_rate:,.0f}× faster than row-by-row")
        if duck:
            print(f"  DuckDB load   : {duck['seconds']:7.1f} s  {duck['rows'] / duck['seconds']:>10,.0f} rows/s"
                  f"  peak {duck['peak_mb']:,.0f} MB (Splink's CSV load, no validation)"
                  f"  → portal/DuckDB time {ours['seconds'] / duck['seconds']:.2f}")  # fmt: skip
        print(f"  load average now: {load_average()}")
    results["load_average_after"] = load_average()
    out = DATA / "intake-results.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"\nfigures written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
