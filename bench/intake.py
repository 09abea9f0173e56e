"""Intake benchmark (issues: data intake speed; columnar intake).

  python -m bench.intake [--isa-rows 1000000] [--residents 4000000] [--baseline-rows 20000]
                         [--only isa,residents,nhi_ledger,residents_delta] [--no-duckdb]
                         [--ab main] [--data DIR]

Measures, each in its own process on a fresh PostgreSQL database (BENCH_DATABASE, default
nhi_bench):
1. a 1,000,000-row ISA file (CP932, CRLF, as the ISA sends it) imported through the portal's
   import service (receive → decode → validate → COPY → commit), target ≤ 5 s;
2. a 4,000,000-row resident register snapshot (the first, into an empty register), target
   ≤ 15 s and peak memory ≤ 2 GiB; then what a match run's index stage ("cold" build) still has
   to do (nothing once the import keeps the matching index itself);
3. the NHI ledger snapshot of the same data set (about 1.1 million periods), target ≤ 8 s
   (the issue's figure is for 1,321,531 rows: the rate in rows/s is what compares);
4. a second register snapshot of the same people (`delta_file`: 2% moved, 0.5% renamed, 2% gone,
   2% new), after a first one loaded and indexed untimed: a delta's diff, history and index;
5. baselines in the same run: the same rows inserted the plain way — one ORM `create()` per row
   after the same cell cleaning — on a sample; DuckDB (Splink's engine) loading the same CSV
   into a table with its CSV reader, as Splink does before it links (no validation); and with
   `--ab REF`, the portal code of git REF (e.g. main: the code before a change) on the same files.
The load average of the machine is printed before and after: the figures are only comparable on
an otherwise idle machine, or as ratios within one run. Data come from the demo generator
(synthetic), cached under var/bench/ (`--data` takes a directory of it made earlier).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from bench.common import DATA, ROOT, Timer, child_env, demo_data, fresh_database, peak_rss_mb, run_child

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
    """Runs inside the measured process. `residents_delta`: `path` is "first|second"; the first
    snapshot is loaded (and indexed) untimed, the second one is measured."""
    import django

    django.setup()
    from nhi_portal.scoping import unscoped

    with unscoped("bench.intake"):  # as manage.py runs a command: the wall fails closed
        return _child(kind, path, lg_code, baseline_rows)


def _import(municipality, kind: str, path: Path):
    from nhi_portal.intake import services

    with open(path, "rb") as fh:
        received = services.batch_receive(
            municipality=municipality, kind=kind, filename=path.name, content=fh, source="command",
            mode="snapshot", enqueue=False,
        )  # fmt: skip
        batch = services.batch_import(batch_id=received.batch.pk)
    if batch.status not in ("imported", "needs_attention"):
        raise SystemExit(f"import failed: {batch.status} {batch.rejection_reason}")
    return batch


def cold_index(municipality_id: int) -> dict:
    """What a match run's index stage does before it can match (in one process): features and
    keys of every stale resident. Zero work once the register import keeps the index itself."""
    from django.db import transaction

    from enrollment.linking import index
    from enrollment.linking.runs import INDEX_CHUNK

    with Timer() as timer, transaction.atomic():
        index.drop_unnamed(municipality_id)
        stale = list(index.stale_residents(municipality_id).order_by("id").values_list("id", flat=True))
        for start in range(0, len(stale), INDEX_CHUNK):
            part = stale[start : start + INDEX_CHUNK]
            index.index_residents(municipality_id, part[0], part[-1])
    return {"stale": len(stale), "seconds": timer.seconds}


def _child(kind: str, path: str, lg_code: str, baseline_rows: int) -> dict:
    from nhi_portal.services import municipality_for_code

    municipality = municipality_for_code(lg_code, create=True)
    if baseline_rows:
        return baseline(kind, Path(path), municipality, baseline_rows)
    if kind == "residents_delta":
        first, second = (Path(p) for p in path.split("|"))
        _import(municipality, "residents", first)
        cold_index(municipality.pk)  # the index as a match run would have left it
        kind, path = "residents", str(second)
    with Timer() as timer:
        batch = _import(municipality, kind, Path(path))
    result = {
        "rows": batch.rows_total,
        "seconds": timer.seconds,
        "peak_mb": peak_rss_mb(),
        "status": batch.status,
        "summary": batch.summary,
    }
    if kind == "residents":
        result["cold_index"] = cold_index(municipality.pk)
    return result


def delta_file(first: Path, fraction: float = 0.02) -> Path:
    """A second register snapshot of the same people (synthetic): `fraction` of them moved (a new
    address), a quarter as many renamed, as many gone (absent) and as many new (fresh codes)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    target = first.with_name(f"residents-delta-{fraction}.csv")
    if target.exists():
        return target
    names = first.open(encoding="utf-8").readline().strip().split(",")
    table = pacsv.read_csv(
        first, convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()))
    )
    n = table.num_rows
    rng = np.random.default_rng(13)
    k = int(n * fraction)
    picked = rng.permutation(n)
    moved, renamed, gone = picked[:k], picked[k : k + k // 4], picked[k + k // 4 : 2 * k + k // 4]
    columns = {name: table.column(name).combine_chunks() for name in names}

    def replace(column: str, rows: np.ndarray, values: pa.Array) -> None:
        mask = np.zeros(n, dtype=bool)
        mask[rows] = True
        columns[column] = pc.replace_with_mask(columns[column], pa.array(mask), values)

    # moved: the address of someone else (another household); renamed: a letter added
    replace("address", moved, columns["address"].take(pa.array(np.roll(moved, 1))))
    named = renamed[
        pc.not_equal(columns["name_alpha"].take(pa.array(renamed)), "").to_numpy(zero_copy_only=False)
    ]
    replace(
        "name_alpha", named, pc.binary_join_element_wise(columns["name_alpha"].take(pa.array(named)), "A", "")
    )
    keep = np.ones(n, dtype=bool)
    keep[gone] = False
    out = pa.table(columns).filter(pa.array(keep))
    new = pa.table(columns).take(pa.array(gone))
    codes = pa.array([f"9{i:010d}" for i in range(len(gone))])
    new = new.set_column(names.index("resident_code"), "resident_code", codes)
    new = new.set_column(names.index("household_head_code"), "household_head_code", codes)
    # As the register's extract comes (quotes only where needed: Arrow's writer quotes every text).
    with target.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(names)
        for part in (out, new):
            writer.writerows(zip(*(part.column(name).to_pylist() for name in names), strict=True))
    return target


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


def previous_code(ref: str) -> Path:
    """The product code of git `ref` (the code before a change), exported once under var/bench/,
    for an A/B in the same run: the child then imports nhi_portal/enrollment from there (the
    benchmark module itself stays this one). Same migrations assumed: the database is migrated
    by this checkout."""
    sha = subprocess.run(["git", "rev-parse", ref], cwd=ROOT, capture_output=True, text=True, check=True)
    out = DATA / f"code-{sha.stdout.strip()[:12]}"
    if not (out / "manage.py").exists():
        out.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "archive", sha.stdout.strip(), "nhi_portal", "enrollment", "receipts", "arrears",
             "templates", "static", "locale", "manage.py"],
            cwd=ROOT, capture_output=True, check=True,
        )  # fmt: skip
        subprocess.run(["tar", "-x", "-C", str(out)], input=archive.stdout, check=True)
    return out


def run_code(code: Path | None, args: list[str], url: str) -> dict:
    if code is None:
        return run_child("bench.intake", args, url)
    env = child_env(url)
    env["PYTHONPATH"] = f"{code}{os.pathsep}{ROOT}"
    result = subprocess.run(
        [sys.executable, "-m", "bench.intake", *args], cwd=code, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"bench.intake {args} failed under {code}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def load_average() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--isa-rows", type=int, default=1_000_000)
    parser.add_argument("--residents", type=int, default=4_000_000)
    parser.add_argument("--baseline-rows", type=int, default=20_000)
    parser.add_argument("--only", default="isa,residents,nhi_ledger,residents_delta")
    parser.add_argument("--no-duckdb", action="store_true")
    parser.add_argument(
        "--ab", metavar="REF", help="also run the code of git REF (e.g. main) in the same run"
    )
    parser.add_argument("--data", type=Path, help="a directory of demo data to use instead of generating")
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

    wanted = set(args.only.split(","))
    data = args.data.resolve() if args.data else demo_data(args.residents, args.isa_rows)
    previous = previous_code(args.ab) if args.ab else None
    results = {"load_average_before": load_average(), "ab": args.ab}
    print(f"load average (1/5/15 min) before: {results['load_average_before']}")
    targets = []
    if "isa" in wanted:
        targets.append(("ISA file (CP932)", "isa", one_isa_file(data, args.isa_rows), 5.0))
    targets += [
        (
            "resident register snapshot (first, into an empty register)",
            "residents",
            data / "residents.csv",
            15.0,
        ),
        ("NHI ledger snapshot", "nhi_ledger", data / "nhi_ledger.csv", 8.0),
    ]
    if "residents_delta" in wanted:
        targets.append(
            ("resident register, second snapshot (2% moved, 0.5% renamed, 2% gone, 2% new)", "residents_delta",
             delta_file(data / "residents.csv"), 0.0)
        )  # fmt: skip
    for label, kind, path, target in targets:
        if kind not in wanted:
            continue
        arg = f"{data / 'residents.csv'}|{path}" if kind == "residents_delta" else str(path)
        url = fresh_database()
        ours = run_code(None, ["--child", kind, arg, "132101", "0"], url)
        before = None
        if previous is not None:
            url = fresh_database()
            before = run_code(previous, ["--child", kind, arg, "132101", "0"], url)
        base = duck = None
        if kind != "residents_delta":
            url = fresh_database()
            base = run_child("bench.intake", ["--child", kind, arg, "132101", str(args.baseline_rows)], url)
            if not args.no_duckdb:
                try:
                    duck = run_child("bench.intake", ["--child", kind, arg, "132101", "duckdb"], url)
                except SystemExit:
                    print("  (DuckDB not installed: .venv/bin/pip install -e '.[bench]')", file=sys.stderr)
        results[kind] = {
            "ours": ours,
            "previous": before,
            "baseline": base,
            "duckdb": duck,
            "target_seconds": target,
        }
        ours_rate = ours["rows"] / ours["seconds"]
        print(f"\n{label}: {ours['rows']:,} rows, {path.stat().st_size / 1e6:,.0f} MB")
        goal = f"  (target ≤ {target:.0f} s{', ≤ 2048 MB' if kind == 'residents' else ''})" if target else ""
        print(
            f"  portal import : {ours['seconds']:7.1f} s  {ours_rate:>10,.0f} rows/s  peak {ours['peak_mb']:,.0f} MB{goal}"
        )
        if "cold_index" in ours:
            print(f"    then the match run's index stage: {ours['cold_index']['seconds']:.1f} s"
                  f" for {ours['cold_index']['stale']:,} stale residents")  # fmt: skip
        if before is not None:
            print(f"  {args.ab} code     : {before['seconds']:7.1f} s  peak {before['peak_mb']:,.0f} MB"
                  f"  → this/{args.ab} time {ours['seconds'] / before['seconds']:.2f}")  # fmt: skip
            if "cold_index" in before:
                cold, cold_before = ours["cold_index"]["seconds"], before["cold_index"]["seconds"]
                print(f"    then the match run's index stage: {cold_before:.1f} s"
                      f" for {before['cold_index']['stale']:,} stale residents"
                      f"  → import + index: {ours['seconds'] + cold:.1f} s vs {before['seconds'] + cold_before:.1f} s")  # fmt: skip
        if base is not None:
            base_rate = base["rows"] / base["seconds"]
            print(f"  row-by-row ORM: {base['seconds']:7.1f} s for {base['rows']:,} rows  {base_rate:>10,.0f} rows/s"
                  f"  peak {base['peak_mb']:,.0f} MB")  # fmt: skip
            print(f"  ratio         : {ours_rate / base_rate:,.0f}× faster than row-by-row")
        if duck:
            print(f"  DuckDB load   : {duck['seconds']:7.1f} s  {duck['rows'] / duck['seconds']:>10,.0f} rows/s"
                  f"  peak {duck['peak_mb']:,.0f} MB (Splink's CSV load, no validation)"
                  f"  → portal/DuckDB time {ours['seconds'] / duck['seconds']:.2f}")  # fmt: skip
        print(f"  load average now: {load_average()}", flush=True)
    results["load_average_after"] = load_average()
    out = DATA / "intake-results.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"\nfigures written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
