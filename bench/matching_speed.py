"""Matching speed at scale (issue 13: 100,000 ISA records against a 4,000,000-person register,
two worker processes: warm ≤ 12 s and ≥ 3× faster than Splink's linkage in the same run, cold
≤ 20 s, 2 workers ≥ 1.8× faster than 1, ≤ 2 GiB per worker, the same decisions as the engine
replaced).

  python -m bench.matching_speed [--residents 4000000] [--isa 100000] [--no-splink] [--no-reference]

Imports a synthetic 4M-person register and 100k ISA records into a fresh PostgreSQL database
(not timed), then times matching the ISA batch from "imported" to "decisions stored", with real
Celery worker processes on Redis sharing the chunks: once with 1 worker, once with 2. Each
timing is done twice: "cold" (the register's matching index is built first — what the first
match after loading a register costs) and "warm" (index up to date — the usual nightly case).
Peak memory is the largest resident set of any worker process.

In the same run: Splink's linkage of the same files (`bench/splink_reference.py`, DuckDB with two
threads, in a child process: from the loaded files to the decisions — normalisation, training,
prediction, decision; its prediction alone beside it), and the decisions of the scalar engine the
columnar one replaced, recomputed for the last warm run (`bench.matching_reference`): the count
of records whose outcome, resident or score differ is printed (it must be 0).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

from bench.common import DATA, ROOT, child_env, demo_data, fresh_database, run_child

BROKER = os.environ.get("BENCH_BROKER", "redis://127.0.0.1:6379/7")
# BENCH_WORKER_LOG=INFO writes each chunk's timings (model, read, decide, write) to var/bench/worker-N.log.
WORKER_LOG = os.environ.get("BENCH_WORKER_LOG", "WARNING")


def _worker_log(n: int):
    if WORKER_LOG == "WARNING":
        return subprocess.DEVNULL
    DATA.mkdir(parents=True, exist_ok=True)
    return open(DATA / f"worker-{n}.log", "a")


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


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def splink_child(data_dir: str) -> None:
    """Splink's linkage of the files, as JSON on the last line (run in a child process)."""
    import json

    from bench.splink_reference import run_splink

    rows, seconds, details = run_splink(data_dir, threads=2)
    print(json.dumps({"seconds": seconds, "timings": details["timings"], "rows": len(rows),
                      "peak_mb": peak_rss_self_mb()}))  # fmt: skip


def peak_rss_self_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def start_workers(url: str, count: int) -> list[subprocess.Popen]:
    env = child_env(url, CELERY_BROKER_URL=BROKER)
    procs = []
    for n in range(count):
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "nhi_portal", "worker", "-c", "1", "-P", "solo",
                 "-n", f"bench{n}@%h", "--without-gossip", "--without-mingle", "-l", WORKER_LOG],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=_worker_log(n),
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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (its children included once they were waited for)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


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
    parser.add_argument("--no-splink", action="store_true", help="skip Splink's linkage of the same files")
    parser.add_argument("--no-reference", action="store_true", help="skip the scalar engine's decisions")
    parser.add_argument("--only", choices=("cold", "warm"), help="time only the cold or the warm case")
    parser.add_argument("--workers", default="1,2", help="worker counts to time, e.g. 2 or 1,2 (default)")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="use BENCH_DATABASE as an earlier run left it (register and ISA batch imported): no fresh "
        "database, no import",
    )
    parser.add_argument("--splink-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.splink_child:
        splink_child(args.splink_child)
        return
    # Its first --isa ISA records, against the whole register (generated once, kept in var/bench).
    data = demo_data(args.residents, max(args.isa, args.source_isa))
    if args.reuse:
        from bench.common import bench_database_url

        url = bench_database_url()
    else:
        url = fresh_database()
        print(
            f"importing {args.residents:,} residents and {args.isa:,} ISA records (not timed) …", flush=True
        )
        load_register(url, data)
        # One batch holding every ISA record: the three annex files joined under one header.
        from bench.intake import one_isa_file

        isa_file = one_isa_file(data, args.isa)
        manage(url, "import_isa", "--lg-code", "132101", str(isa_file))
    batch_id = sql(url, "SELECT id FROM portal_importbatch WHERE kind = 'isa' ORDER BY id DESC LIMIT 1")[0][0]
    latin = sql(url, "SELECT count(*) FROM enrollment_resident WHERE name_alpha <> ''")[0][0]
    print(f"register: {args.residents:,} residents, {latin:,} with a Latin name; ISA batch #{batch_id}")
    results = []
    cpus: dict[tuple[str, int], float] = {}  # the workers' own CPU time (the database server's not included)
    print(load(), flush=True)
    for cold in [c for c in (True, False) if args.only is None or args.only == ("cold" if c else "warm")]:
        for workers in [int(n) for n in args.workers.split(",")]:
            reset(url, cold=cold)
            if not cold and not results:  # warm: build the index first, untimed (a run before left it built)
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
            cpu_before = sum(cpu_seconds(p.pid) for p in procs)
            started = time.perf_counter()
            manage(url, "match_batch", str(batch_id), "--workers")
            seconds = time.perf_counter() - started
            cpu = sum(cpu_seconds(p.pid) for p in procs) - cpu_before
            peak = stop(procs)
            decisions = sql(url, "SELECT outcome, count(*) FROM enrollment_matchdecision GROUP BY outcome")
            label = "cold (index built)" if cold else "warm (index ready)"
            results.append((label, workers, seconds, peak, dict(decisions)))
            cpus[(label, workers)] = cpu
            print(f"  {label:20} {workers} worker(s): {seconds:6.1f} s  workers' CPU {cpu:6.1f} s  peak worker memory "
                  f"{peak:,.0f} MB  {dict(decisions)}  ({load()})", flush=True)  # fmt: skip
    reference = None
    if not args.no_reference:
        run_id = sql(url, "SELECT max(id) FROM enrollment_matchrun")[0][0]
        print("the scalar engine's decisions for the same run (the engine replaced) …", flush=True)
        reference = run_child("bench.matching_reference", [str(run_id)], url)
    splink = None
    if not args.no_splink:
        print(f"Splink's linkage of the same files (DuckDB, 2 threads; {load()}) …", flush=True)
        splink = run_child("bench.matching_speed", ["--splink-child", str(_splink_dir(data, args.isa))], url)
    print(f"\nsummary (targets: warm ≤ 12 s and ≥ 3× faster than Splink, cold ≤ 20 s, 2 workers ≥ 1.8× 1, "
          f"≤ 2,048 MB a worker; {load()}):")  # fmt: skip
    for label, workers, seconds, peak, _ in results:
        print(
            f"  {label:20} {workers} worker(s) {seconds:6.1f} s  {args.isa / seconds:8,.0f} records/s  peak {peak:,.0f} MB"
            f"  workers' CPU {cpus[label, workers]:.1f} s ({cpus[label, workers] * 1000 / args.isa:.2f} ms a record)"
        )
    one = {label: s for label, w, s, _, _ in results if w == 1}
    two = {label: s for label, w, s, _, _ in results if w == 2}
    for label in one:
        if label in two:
            print(f"  speed-up with 2 workers, {label}: {one[label] / two[label]:.2f}×")
    if splink is not None:
        t = splink["timings"]
        print(f"  Splink (same files, DuckDB 2 threads): {splink['seconds']:.1f} s from loaded files to decisions "
              f"(normalise {t['normalise']} s, train {t['train']} s, predict {t['predict']} s, decide {t['decide']} s; "
              f"peak {splink['peak_mb']:,.0f} MB)")  # fmt: skip
        for label, seconds in two.items():
            print(f"  {label} with 2 workers vs Splink: {splink['seconds'] / seconds:.2f}× faster "
                  f"(vs Splink's training + prediction: {(t['train'] + t['predict']) / seconds:.2f}×)")  # fmt: skip
    if reference is not None:
        print(f"  decisions differing from the scalar engine's (outcome, resident, score): {reference['differ']:,} "
              f"of {reference['compared']:,}")  # fmt: skip
        print(f"  the engines alone on the same chunk inputs (CPU, one process): scalar {reference['scalar_cpu']:.1f} s, "
              f"columnar {reference['columnar_cpu']:.1f} s ({reference['scalar_cpu'] / max(reference['columnar_cpu'], 1e-9):.2f}×) "
              f"for {reference['pairs']:,} pairs ({reference['by_compare_name']:,} names by compare_name); whole "
              f"Decision objects differing: {reference['differ_in_process']:,}")  # fmt: skip
        for example in reference["examples"]:
            print(f"    {example}")
    (DATA / "matching-speed.txt").write_text("\n".join(str(r) for r in [*results, splink, reference]))


def _splink_dir(data, isa: int):
    """The files Splink links: the register, and the same `isa` ISA records the portal matches (the
    benchmark's one ISA file)."""
    import shutil

    from bench.intake import one_isa_file

    out = DATA / f"splink-{data.name}-{isa}"
    if not (out / "isa_all.csv").exists():
        out.mkdir(parents=True, exist_ok=True)
        if not (out / "residents.csv").exists():
            (out / "residents.csv").symlink_to(data / "residents.csv")
        shutil.copy(one_isa_file(data, isa), out / "isa_all.csv")
    return out


if __name__ == "__main__":
    main()
