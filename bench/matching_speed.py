"""Matching speed at scale (issue: matching, "100,000 ISA records against a 4,000,000-person
register ... ≤ 60 s ... peak memory ≤ 6 GiB ... timing 1 and 2 worker processes").

  python -m bench.matching_speed [--residents 4000000] [--isa 100000]

Imports a synthetic 4M-person register and 100k ISA records into a fresh PostgreSQL database
(not timed), then times matching the ISA batch from "imported" to "decisions stored", with real
Celery worker processes on Redis sharing the chunks: once with 1 worker, once with 2. Each
timing is done twice: "cold" (the register's matching index is built first — what the first
match after loading a register costs) and "warm" (index up to date — the usual nightly case).
Peak memory is the largest resident set of any worker process.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

from bench.common import DATA, ROOT, child_env, demo_data, fresh_database

BROKER = os.environ.get("BENCH_BROKER", "redis://127.0.0.1:6379/7")


def sql(url: str, statement: str) -> list[tuple]:
    import psycopg2

    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(statement)
        rows = cur.fetchall() if cur.description else []
    conn.close()
    return rows


def manage(url: str, *args: str) -> str:
    env = child_env(url, CELERY_BROKER_URL=BROKER)
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"manage.py {args} failed")
    return result.stdout


def start_workers(url: str, count: int) -> list[subprocess.Popen]:
    env = child_env(url, CELERY_BROKER_URL=BROKER)
    procs = []
    for n in range(count):
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "nhi_portal", "worker", "-c", "1", "-P", "solo",
                 "-n", f"bench{n}@%h", "--without-gossip", "--without-mingle", "-l", "WARNING"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        )  # fmt: skip
    time.sleep(4)
    return procs


def peak_rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


def stop(procs: list[subprocess.Popen]) -> float:
    peak = max((peak_rss_mb(p.pid) for p in procs), default=0.0)
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
    return peak


def load_register(url: str, data, lg_code: str = "132101") -> None:
    """The municipality, its register and its NHI ledger, imported by the portal's commands."""
    manage(
        url,
        "shell",
        "-c",
        f"from nhi_portal.services import municipality_for_code as m; m('{lg_code}', create=True)",
    )
    manage(url, "import_residents", "--lg-code", lg_code, str(data / "residents.csv"))
    manage(url, "import_nhi_ledger", "--lg-code", lg_code, str(data / "nhi_ledger.csv"))


def reset(url: str, *, cold: bool) -> None:
    sql(
        url,
        "DELETE FROM enrollment_matchdecision; DELETE FROM enrollment_matchchunk; DELETE FROM enrollment_matchrun",
    )
    if cold:
        sql(url, "TRUNCATE enrollment_residentmatchkey; TRUNCATE enrollment_residentfeatures")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--residents", type=int, default=4_000_000)
    parser.add_argument("--isa", type=int, default=100_000)
    parser.add_argument(
        "--source-isa",
        type=int,
        default=100_000,
        help="ISA records generated (the data set). The generator gives the register as many "
        "foreign residents as that volume needs: with 100,000, about 10%% (the demo municipality "
        "of the issue); with 1,000,000 (the load benchmark's data set), 36%% — a stress case",
    )
    args = parser.parse_args()
    # Its first --isa ISA records, against the whole register (generated once, kept in var/bench).
    data = demo_data(args.residents, max(args.isa, args.source_isa))
    url = fresh_database()
    print(f"importing {args.residents:,} residents and {args.isa:,} ISA records (not timed) …", flush=True)
    load_register(url, data)
    # One batch holding every ISA record: the three annex files joined under one header.
    from bench.intake import one_isa_file

    isa_file = one_isa_file(data, args.isa)
    manage(url, "import_isa", "--lg-code", "132101", str(isa_file))
    batch_id = sql(url, "SELECT id FROM portal_importbatch WHERE kind = 'isa' ORDER BY id DESC LIMIT 1")[0][0]
    latin = sql(url, "SELECT count(*) FROM enrollment_resident WHERE name_alpha <> ''")[0][0]
    print(f"register: {args.residents:,} residents, {latin:,} with a Latin name; ISA batch #{batch_id}")
    results = []
    for cold in (True, False):
        for workers in (1, 2):
            reset(url, cold=cold)
            if not cold:  # warm: build the index first, untimed
                procs = start_workers(url, 2)
                manage(url, "match_batch", str(batch_id), "--workers")
                stop(procs)
                sql(
                    url,
                    "DELETE FROM enrollment_matchdecision; DELETE FROM enrollment_matchchunk; DELETE FROM enrollment_matchrun",
                )
            subprocess.run(
                [sys.executable, "-m", "celery", "-A", "nhi_portal", "purge", "-f"],
                cwd=ROOT, env=child_env(url, CELERY_BROKER_URL=BROKER), capture_output=True,
            )  # fmt: skip
            procs = start_workers(url, workers)
            started = time.perf_counter()
            manage(url, "match_batch", str(batch_id), "--workers")
            seconds = time.perf_counter() - started
            peak = stop(procs)
            decisions = sql(url, "SELECT outcome, count(*) FROM enrollment_matchdecision GROUP BY outcome")
            label = "cold (index built)" if cold else "warm (index ready)"
            results.append((label, workers, seconds, peak, dict(decisions)))
            print(f"  {label:20} {workers} worker(s): {seconds:6.1f} s  peak worker memory {peak:,.0f} MB  {dict(decisions)}",
                  flush=True)  # fmt: skip
    print("\nsummary (target ≤ 60 s end to end, ≤ 6 GiB):")
    for label, workers, seconds, peak, _ in results:
        print(
            f"  {label:20} {workers} worker(s) {seconds:6.1f} s  {args.isa / seconds:8,.0f} records/s  peak {peak:,.0f} MB"
        )
    one = {label: s for label, w, s, _, _ in results if w == 1}
    two = {label: s for label, w, s, _, _ in results if w == 2}
    for label in one:
        print(f"  speed-up with 2 workers, {label}: {one[label] / two[label]:.2f}×")
    (DATA / "matching-speed.txt").write_text("\n".join(str(r) for r in results))


if __name__ == "__main__":
    main()
