"""Shared by the benchmarks: a fresh PostgreSQL database, cached synthetic data, child processes
whose peak memory is measured on their own."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "var" / "bench"
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")
BENCH_DB = os.environ.get("BENCH_DATABASE", "nhi_bench")


def bench_database_url(name: str = BENCH_DB) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def fresh_database(name: str = BENCH_DB) -> str:
    """Drop and recreate the benchmark database `name` and migrate it; return its URL."""
    import psycopg2

    conn = psycopg2.connect(PG_ADMIN)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        cur.execute(f"CREATE DATABASE {name}")
    conn.close()
    url = bench_database_url(name)
    run_manage(["migrate", "-v0"], url)
    return url


def child_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CELERY_", "NHI_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="nhi_portal.settings.base",
        DATABASE_URL=database_url,
        NHI_LOG_LEVEL="WARNING",
        NHI_DATA_DIR=str(DATA / "portal"),
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


def run_manage(args: list[str], database_url: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=child_env(database_url), check=True)


def run_child(module: str, args: list[str], database_url: str, **env: str) -> dict:
    """Run `python -m module args…` and return the JSON it prints on its last line."""
    result = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=child_env(database_url, **env),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"{module} {args} failed")
    return json.loads(result.stdout.strip().splitlines()[-1])


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def demo_data(residents: int, isa_records: int, seed: int = 7) -> Path:
    """Synthetic data from the demo generator, generated once and kept under var/bench/."""
    from demo.generator import generate

    out = DATA / f"demo-{residents}-{isa_records}-{seed}"
    if not (out / "summary.json").exists():
        print(f"generating {residents:,} residents / {isa_records:,} ISA records into {out} …", flush=True)
        generate(out, residents=residents, seed=seed, isa_records=isa_records)
    return out
