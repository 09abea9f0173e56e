"""python -m demo OUT_DIR [--residents N] [--seed S] [--isa-records N] [--month YYYY-MM]
[--lg-code CODE] [--isa-encoding cp932|utf-8] [--workers N] — write the demo data set and print summary.json."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from demo.generator import generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--residents", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--isa-records", type=int, default=None)
    parser.add_argument("--month", default=None, help="YYYY-MM of the ISA files")
    parser.add_argument("--lg-code", default="132101")
    parser.add_argument("--isa-encoding", default="cp932")
    parser.add_argument("--workers", type=int, default=1, help="processes for the shards (same output)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    summary = generate(
        args.out_dir,
        lg_code=args.lg_code,
        residents=args.residents,
        seed=args.seed,
        isa_records=args.isa_records,
        month=args.month,
        isa_encoding=args.isa_encoding,
        workers=args.workers,
    )
    sys.stdout.write(summary.to_json())
    sys.stderr.write(f"written to {args.out_dir} in {time.perf_counter() - started:.1f} s\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
