"""Load benchmark (issue: reliability, "Load"): pages stay fast while a batch matches.

  python -m bench.load [--residents 4000000] [--isa 1000000] [--users 50] [--seconds 120]

1. A fresh PostgreSQL database gets the synthetic register (`--residents`), its NHI ledger and an
   ISA batch of `--isa` records (the portal's importers; not timed). A first part of the records
   (`--prematch`) is matched and cases are opened beforehand, so that the review queue, the case
   lists and the person pages have what a month's work leaves in them.
2. The portal runs under gunicorn on 127.0.0.1 (loopback only) with a Celery worker, and the rest
   of the ISA batch starts matching on that worker.
3. While it matches, `--users` simulated clerks and supervisors (locust, bench/locustfile.py;
   signed in beforehand, supervisors through the two-factor step) browse the review queue, person
   pages, ISA record pages and case lists for `--seconds` seconds, each reading a page 1-4 s before
   the next click.

Prints p50 / p95 / p99 response times, requests per second, failures (target: p95 ≤ 300 ms, no
errors), per page and in total, and how far the matching got meanwhile. Not a test: the figures
depend on the machine; run it on a quiet one.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.common import DATA, ROOT, child_env, demo_data, fresh_database
from bench.intake import ISA_HEADER
from bench.matching_speed import BROKER, load_register, manage, sql, start_workers, stop

PORT = int(os.environ.get("BENCH_PORT", "8765"))
LG_CODE = "132101"


def isa_files(source: Path, total: int, first: int) -> tuple[Path, Path]:
    """Two ISA files from the generator's three annexes (same columns, annex-1 header): the first
    `first` records (matched before the load) and the rest up to `total`."""
    lines: list[str] = []
    for name in ("isa_annex1_entry.csv", "isa_annex2_separation.csv", "isa_annex3_status_change.csv"):
        lines.extend((source / name).read_bytes().decode("cp932").splitlines()[1:])
    lines = lines[:total]
    paths = []
    for label, part in (("before", lines[:first]), ("during", lines[first:])):
        path = DATA / f"load-isa-{label}-{total}-{first}.csv"
        path.write_bytes(("\r\n".join([ISA_HEADER, *part]) + "\r\n").encode("cp932"))
        paths.append(path)
    return paths[0], paths[1]


def prepare_sessions(clerks: int, supervisors: int, out: str) -> dict:
    """In a child process with Django: users, signed-in sessions, and the ids the users browse."""
    import django

    django.setup()
    import random

    from django.conf import settings
    from django.contrib.auth.models import Group
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from enrollment.models import IsaRecord, MatchDecision, ReminderCase, Resident
    from nhi_portal.models import Municipality, User

    municipality = Municipality.objects.get(lg_code=LG_CODE)
    sessions = []
    for role, count in (("clerk", clerks), ("supervisor", supervisors)):
        for n in range(count):
            user, _ = User.objects.get_or_create(
                username=f"load-{role}-{n}", defaults={"municipality": municipality}
            )
            user.groups.set([Group.objects.get(name=role)])
            client = Client()
            client.force_login(user)
            if role == "supervisor":
                device = TOTPDevice.objects.filter(user=user).first() or TOTPDevice.objects.create(
                    user=user, name="load", confirmed=True
                )
                session = client.session
                session[DEVICE_ID_SESSION_KEY] = device.persistent_id
                session.save()
            sessions.append({"role": role, "key": client.cookies[settings.SESSION_COOKIE_NAME].value})
    rng = random.Random(7)
    decided = list(
        MatchDecision.objects.filter(municipality=municipality, resident__isnull=False).values_list(
            "resident_id", flat=True
        )[:20000]
    )
    review = list(
        MatchDecision.objects.filter(municipality=municipality, status="pending_review").values_list(
            "pk", flat=True
        )[:2000]
    )
    records = list(IsaRecord.objects.filter(municipality=municipality).values_list("pk", flat=True)[:20000])
    cases = list(ReminderCase.objects.filter(municipality=municipality).values_list("pk", flat=True)[:20000])
    names = [
        n.split()[0]
        for n in Resident.objects.filter(municipality=municipality)
        .exclude(name_alpha="")
        .values_list("name_alpha", flat=True)[:2000]
    ]
    plan = {
        "cookie_name": settings.SESSION_COOKIE_NAME,
        "sessions": sessions,
        "people": rng.sample(decided, min(len(decided), 5000)) or [1],
        "review_items": review,
        "records": records or [1],
        "cases": cases,
        "case_pages": max(1, min(len(cases) // 50, 200)),
        "names": sorted(set(names)) or ["NGUYEN"],
    }
    Path(out).write_text(json.dumps(plan), encoding="utf-8")
    return {"sessions": len(sessions), "people": len(plan["people"]), "review_items": len(review),
            "cases": len(cases)}  # fmt: skip


def warm_up(plan_path: Path, web_workers: int) -> None:
    """Each page a few times per web worker before measuring: a freshly started worker loads
    templates and code on its first requests, which a portal running all day has long done."""
    import requests

    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    by_role = {s["role"]: s["key"] for s in plan["sessions"]}
    pages = {
        "clerk": ["/cases/", "/cases/work/", f"/people/{plan['people'][0]}/", f"/records/{plan['records'][0]}/",
                  f"/people/?q={plan['names'][0]}"] + ([f"/cases/{plan['cases'][0]}/"] if plan["cases"] else []),
        "supervisor": ["/review/"] + ([f"/review/{plan['review_items'][0]}/"] if plan["review_items"] else []),
    }  # fmt: skip
    for role, urls in pages.items():
        if role not in by_role:
            continue
        cookies = {plan["cookie_name"]: by_role[role]}
        for _ in range(web_workers * 2):
            for path in urls:
                requests.get(
                    f"http://127.0.0.1:{PORT}{path}", cookies=cookies, allow_redirects=False, timeout=60
                )


def reused_register(name: str, residents: int) -> str | None:
    """The URL of database `name` if it holds the register of `residents` people, else None."""
    from bench.common import bench_database_url

    url = bench_database_url(name)
    try:
        count = sql(url, "SELECT count(*) FROM enrollment_resident")[0][0]
    except Exception:  # no such database, or not migrated: import afresh
        return None
    if count != residents:
        print(f"{name} holds {count:,} residents, not {residents:,}: importing afresh", flush=True)
        return None
    manage(url, "migrate", "-v0")
    print(f"reusing the register in {name} ({count:,} residents)", flush=True)
    return url


def read_stats(prefix: Path) -> list[dict]:
    with (prefix.parent / f"{prefix.name}_stats.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--residents", type=int, default=4_000_000)
    parser.add_argument("--isa", type=int, default=1_000_000)
    parser.add_argument("--prematch", type=int, default=20_000, help="records matched before the load")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--supervisors", type=int, default=10, help="of --users")
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument(
        "--reuse",
        metavar="DATABASE",
        help="a benchmark database that already holds this register (bench.matching_speed leaves one): "
        "skip its import; the ISA records are imported again as new batches",
    )
    parser.add_argument("--prepare", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        print(json.dumps(prepare_sessions(int(args.prepare[0]), int(args.prepare[1]), args.prepare[2])))
        return

    data = demo_data(args.residents, args.isa)
    before, during = isa_files(data, args.isa, args.prematch)
    url = reused_register(args.reuse, args.residents) if args.reuse else None
    if url is None:
        url = fresh_database()
        print(f"importing {args.residents:,} residents (not timed) …", flush=True)
        load_register(url, data, LG_CODE)
    print(f"importing {args.isa:,} ISA records (not timed) …", flush=True)
    last = sql(url, "SELECT coalesce(max(id), 0) FROM portal_importbatch")[0][0]
    manage(url, "import_isa", "--lg-code", LG_CODE, str(before))
    manage(url, "import_isa", "--lg-code", LG_CODE, str(during))
    batches = [
        row[0]
        for row in sql(
            url, f"SELECT id FROM portal_importbatch WHERE kind = 'isa' AND id > {last} ORDER BY id"
        )
    ]
    if len(batches) < 2:  # a reused database holds these very files already (not imported twice)
        batches = [
            sql(url, f"SELECT max(id) FROM portal_importbatch WHERE source_name = '{path.name}'")[0][0]
            for path in (before, during)
        ]
        print(f"the ISA files are batches {batches} already; the second one resumes matching", flush=True)
    print(f"matching the first {args.prematch:,} records and opening cases (not timed) …", flush=True)
    workers = start_workers(url, 2)
    try:
        manage(url, "match_batch", str(batches[0]), "--workers")
    finally:
        stop(workers)
    manage(url, "shell", "-c", (
        "from nhi_portal.models import ImportBatch as B; from enrollment.cases.services import cases_open; "
        f"b = B.objects.get(pk={batches[0]}); print(cases_open(municipality=b.municipality, batch=b))"
    ))  # fmt: skip
    plan_path = DATA / "load-plan.json"
    clerks = args.users - args.supervisors
    env = child_env(url, CELERY_BROKER_URL=BROKER)
    prepared = subprocess.run(
        [sys.executable, "-m", "bench.load", "--prepare", str(clerks), str(args.supervisors), str(plan_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    print("prepared:", prepared.stdout.strip().splitlines()[-1], flush=True)

    manage(url, "collectstatic", "--noinput", "-v0")  # as a deployment does: pages name hashed files
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "nhi_portal.wsgi:application", "--bind", f"127.0.0.1:{PORT}",
         "--workers", str(args.web_workers), "--timeout", "120", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    workers = start_workers(url, 1)
    matcher = subprocess.Popen(
        [sys.executable, "manage.py", "match_batch", str(batches[1]), "--workers"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(5)  # matching under way, gunicorn up
    warm_up(plan_path, args.web_workers)
    prefix = DATA / "load"
    try:
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
             "-u", str(args.users), "-r", str(max(1, args.users // 5)), "-t", f"{args.seconds}s",
             "--host", f"http://127.0.0.1:{PORT}", "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"],
            cwd=ROOT, env={**env, "NHI_LOAD_USERS": str(plan_path)}, check=False,
        )  # fmt: skip
        progress = sql(url, f"SELECT count(*) FROM enrollment_matchdecision WHERE batch_id = {batches[1]}")[
            0
        ][0]
        still_matching = matcher.poll() is None
    finally:
        for proc in (matcher, web):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=60)
        stop(workers)

    rows = read_stats(prefix)
    print(f"\n{args.users} users for {args.seconds} s against {args.residents:,} residents / {args.isa:,} ISA records;"
          f" meanwhile the batch matched {progress:,} of {args.isa - args.prematch:,} records"
          f" ({'still matching' if still_matching else 'finished'})")  # fmt: skip
    print(f"{'page':<24}{'requests':>10}{'failures':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>8}")
    for row in rows:
        print(f"{row['Name'][:23]:<24}{row['Request Count']:>10}{row['Failure Count']:>10}{row['50%']:>9}"
              f"{row['95%']:>9}{row['99%']:>9}{float(row['Requests/s']):>8.1f}")  # fmt: skip
    total = next(r for r in rows if r["Name"] == "Aggregated")
    verdict = "meets" if int(total["95%"]) <= 300 and int(total["Failure Count"]) == 0 else "MISSES"
    print(
        f"p95 {total['95%']} ms, {total['Failure Count']} failures: {verdict} the target (p95 ≤ 300 ms, no errors)"
    )


if __name__ == "__main__":
    main()
