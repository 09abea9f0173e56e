"""Fault tests with a real Celery worker process on the real Redis and PostgreSQL: the nightly
batch is killed (kill -9) in the middle of matching, PostgreSQL and Redis are restarted in the
middle, and each time the final state must equal that of an undisturbed run — same decisions,
same cases, same letters, no duplicates, nothing missing.

Slow (a few minutes); runs on CI (CELERY_BROKER_URL and PostgreSQL are there)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from enrollment.demo.generator import generate
from enrollment.models import IsaRecord, Letter, MatchChunk, MatchDecision, ReminderCase
from nhi_portal import celery_app, nightly
from nhi_portal.models import JobStatus, Municipality, NightlyRun
from nhi_portal.registry_hooks import run_watchdogs
from nhi_portal.services import municipality_for_code
from tests.conftest import ON_CI, ensure_roles

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]
INBOX = {
    "residents.csv": ("residents", "residents_snapshot.csv"),
    "nhi_ledger.csv": ("nhi_ledger", "nhi_ledger_snapshot.csv"),
    "isa_annex1_entry.csv": ("isa", "annex1.csv"),
    "isa_annex2_separation.csv": ("isa", "annex2.csv"),
    "isa_annex3_status_change.csv": ("isa", "annex3.csv"),
}
TIMEOUT = 420


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    out = tmp_path_factory.mktemp("fault-data")
    generate(out, residents=30_000, seed=5, isa_records=2_400)
    return out


@pytest.fixture
def broker():
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis://"):
        if ON_CI:
            pytest.fail("CI must provide CELERY_BROKER_URL (Redis)")
        pytest.skip("needs Redis (CELERY_BROKER_URL)")
    isolated = url.rsplit("/", 1)[0] + "/9"  # a database of its own: nothing else's messages
    old = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = isolated, False
    _reset_pools()
    celery_app.control.purge()
    yield isolated
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = old
    _reset_pools()


def _reset_pools() -> None:
    """Make the app connect again (to another broker URL, or after Redis restarted)."""
    celery_app._pool = None
    amqp = celery_app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


class Worker:
    def __init__(self, broker: str, data_dir: Path) -> None:
        db = connection.settings_dict
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CELERY_", "NHI_"))},
            "DJANGO_SETTINGS_MODULE": "nhi_portal.settings.base",
            "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            "CELERY_BROKER_URL": broker,
            "NHI_CACHE_URL": "",
            "NHI_DATA_DIR": str(data_dir),
            "NHI_INBOX_DIR": str(settings.INBOX_DIR),
            "NHI_MATCH_CHUNK_SIZE": "100",
            "NHI_LOG_LEVEL": "WARNING",
        }
        self.proc: subprocess.Popen | None = None
        self.log = (data_dir / "worker.log").open("ab")  # read it when a fault test fails

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "nhi_portal", "worker", "-P", "solo", "-c", "1",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def fresh_start(demo_files: Path) -> Municipality:
    """An empty portal with the month's files in the inbox."""
    call_command("flush", interactive=False, verbosity=0)
    ensure_roles()
    municipality = municipality_for_code("132101", create=True, name="小金井市")
    Municipality.objects.filter(pk=municipality.pk).update(
        postal_code="1848504", address="東京都小金井市本町六丁目6番3号"
    )
    for source, (kind, name) in INBOX.items():
        folder = Path(settings.INBOX_DIR) / "132101" / kind
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(demo_files / source, folder / name)
    return Municipality.objects.get(pk=municipality.pk)


def wait_for(run: NightlyRun, *, until=None, during=None) -> NightlyRun:
    """Poll the run; `during(run)` is called while it runs (to inject a fault once); the
    watchdog (beat does this every minute in production) runs every few seconds."""
    deadline = time.monotonic() + TIMEOUT
    last_watchdog = time.monotonic()
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in (JobStatus.SUCCEEDED, JobStatus.FAILED) or (until and until(run)):
            return run
        if during:
            during(run)
        if time.monotonic() - last_watchdog > 3:
            run_watchdogs(stall_seconds=6)
            last_watchdog = time.monotonic()
        time.sleep(0.3)
    raise AssertionError(f"nightly run did not finish in {TIMEOUT} s: {run.steps}")


def state() -> dict:
    """What a clerk would see the next morning, independent of ids."""
    decisions = sorted(
        (d.batch.source_name, d.isa_record.row_number, d.outcome, d.reason, round(d.score or 0, 3),
         d.resident.resident_code if d.resident_id else "")
        for d in MatchDecision.objects.select_related("batch", "isa_record", "resident")
    )  # fmt: skip
    cases = sorted(
        (c.resident.resident_code, c.kind, c.state, c.source)
        for c in ReminderCase.objects.select_related("resident")
    )
    letters = sorted(
        (letter.case.resident.resident_code, letter.kind, letter.second, letter.status, letter.language, letter.addressee_name)
        for letter in Letter.objects.select_related("case__resident")
    )  # fmt: skip
    return {"decisions": decisions, "cases": cases, "letters": letters, "records": IsaRecord.objects.count()}


def check_consistent(result: dict) -> None:
    assert result["records"] > 2000
    assert len(result["decisions"]) == result["records"]  # every record decided once, none missing
    keys = [(d[0], d[1]) for d in result["decisions"]]
    assert len(keys) == len(set(keys))  # no duplicate decisions
    open_keys = [(c[0], c[1]) for c in result["cases"] if c[2] != "closed"]
    assert len(open_keys) == len(set(open_keys))  # one open case per person and kind


def run_nightly(municipality, worker, *, during=None) -> NightlyRun:
    run = nightly.nightly_enqueue(municipality=municipality)
    return wait_for(run, during=during)


_UNDISTURBED: dict = {}


@pytest.fixture
def undisturbed(demo_files, broker, tmp_path):
    """The state after an undisturbed nightly run (computed once for the module)."""
    if _UNDISTURBED:
        return _UNDISTURBED["state"]
    municipality = fresh_start(demo_files)
    worker = Worker(broker, tmp_path)
    worker.start()
    try:
        run = run_nightly(municipality, worker)
    finally:
        worker.stop()
    assert run.status == JobStatus.SUCCEEDED, run.error
    result = state()
    check_consistent(result)
    _UNDISTURBED["state"] = result
    return result


def test_kill_9_in_the_middle_of_matching(undisturbed, demo_files, broker, tmp_path):
    municipality = fresh_start(demo_files)
    worker = Worker(broker, tmp_path)
    worker.start()
    killed = []

    def kill_mid_matching(run):
        if killed:
            return
        done = MatchChunk.objects.filter(kind="match", done=True).count()
        total = MatchChunk.objects.filter(kind="match").count()
        if total and 2 <= done < total - 2:
            worker.kill9()
            killed.append(done)
            worker.start()  # a new worker; the killed one's chunk comes back through the watchdog

    try:
        run = run_nightly(municipality, worker, during=kill_mid_matching)
    finally:
        worker.stop()
    assert killed, "the worker was never killed in the middle of matching"
    assert run.status == JobStatus.SUCCEEDED, run.error
    result = state()
    check_consistent(result)
    assert result == undisturbed


def _pg_cluster() -> tuple[str, str]:
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
    return version, "main"


def test_postgresql_restart_in_the_middle(undisturbed, demo_files, broker, tmp_path):
    if shutil.which("pg_ctlcluster") is None or os.geteuid() != 0:
        pytest.skip("needs pg_ctlcluster as root (CI machine)")
    municipality = fresh_start(demo_files)
    worker = Worker(broker, tmp_path)
    worker.start()
    restarted = []

    def restart_mid_matching(run):
        if restarted:
            return
        done = MatchChunk.objects.filter(kind="match", done=True).count()
        total = MatchChunk.objects.filter(kind="match").count()
        if total and 2 <= done < total - 2:
            version, cluster = _pg_cluster()
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, "restart", "-m", "fast"],
                check=True,
            )
            restarted.append(done)
            connection.close()  # this test's own connection died with the server

    try:
        run = nightly.nightly_enqueue(municipality=municipality)
        run = wait_for(run, during=restart_mid_matching)
        connection.close()
        run.refresh_from_db()
        if run.status == JobStatus.FAILED:  # failed cleanly: re-run it, as the operator would
            call_command("run_nightly", "--rerun", str(run.pk), verbosity=0)
            run = wait_for(NightlyRun.objects.get(pk=run.pk))
    finally:
        worker.stop()
    assert restarted
    assert run.status == JobStatus.SUCCEEDED, run.error
    result = state()
    check_consistent(result)
    assert result == undisturbed


def test_redis_restart_in_the_middle(undisturbed, demo_files, broker, tmp_path):
    if shutil.which("redis-server") is None or os.geteuid() != 0:
        pytest.skip("needs redis-server as root (CI machine)")
    municipality = fresh_start(demo_files)
    worker = Worker(broker, tmp_path)
    worker.start()
    restarted = []

    def restart_mid_matching(run):
        if restarted:
            return
        done = MatchChunk.objects.filter(kind="match", done=True).count()
        total = MatchChunk.objects.filter(kind="match").count()
        if total and 2 <= done < total - 2:
            subprocess.run(
                ["redis-cli", "-p", "6379", "shutdown", "nosave"], check=False, capture_output=True
            )
            time.sleep(1)
            subprocess.run(
                ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379", "--save", "",
                 "--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log"],
                check=True,
            )  # fmt: skip
            restarted.append(done)
            _reset_pools()

    try:
        run = run_nightly(municipality, worker, during=restart_mid_matching)
    finally:
        worker.stop()
    assert restarted
    assert run.status == JobStatus.SUCCEEDED, run.error
    result = state()
    check_consistent(result)
    assert result == undisturbed
