"""Fault tests with real Celery worker processes on the real Redis and PostgreSQL: the nightly
batch is killed (kill -9) in the middle of matching, the letters' print batch in the middle of
rendering, PostgreSQL and Redis are restarted in the middle of matching, and each time the final
state must equal that of an undisturbed run — same decisions, same cases, same letters, same print
batches, no duplicates, nothing missing.

What stands in for production: the worker consumes both queues (`celery` and `letters`) as the
two compose workers do; the test calls the watchdogs every few seconds as beat does every minute
(with a stall time of seconds instead of minutes); the operator's actions (a print batch, a re-run
of a failed nightly run) are the services the buttons call.

Slow (a few minutes); runs on CI (CELERY_BROKER_URL and PostgreSQL are there, as root, with
pg_ctlcluster and redis-server). A failing test leaves the worker's log in its tmp_path/worker.log."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import kombu.pools
import pytest
import redis
from django.conf import settings
from django.core.cache.backends.redis import RedisCache
from django.core.management import call_command
from django.db import connection

from demo.generator import generate
from enrollment.cases.printing import print_batch_create
from enrollment.models import (
    CaseEvent,
    IsaRecord,
    Letter,
    LetterStatus,
    MatchChunk,
    MatchDecision,
    PrintBatch,
    ReminderCase,
)
from nhi_portal import celery_app, nightly
from nhi_portal.models import Job, JobKind, JobStatus, Municipality, NightlyRun
from nhi_portal.registry_hooks import run_watchdogs
from nhi_portal.services import municipality_for_code
from tests.conftest import ON_CI, ensure_roles

pytestmark = [
    pytest.mark.serial,  # restarts PostgreSQL and Redis: alone, after the parallel run (make test)
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
TIMEOUT = 300  # one nightly run or print run; an undisturbed one takes well under a minute
STALL_SECONDS = 6  # the watchdogs' stall time (production: NHI_STALL_SECONDS, 120)
BROKER_DB, CACHE_DB = 9, 10  # Redis databases of the fault tests' own


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    out = tmp_path_factory.mktemp("fault-data")
    generate(out, residents=30_000, seed=5, isa_records=2_400)
    return out


@pytest.fixture
def broker(monkeypatch):
    """A Redis database of the tests' own (nothing else's messages; flushed first, with the messages
    a killed worker left unacknowledged), named to this process's Celery app and to the worker the
    same way: through CELERY_BROKER_URL, which Celery reads before its configuration (setting
    `conf.broker_url` alone is silently overridden by the variable)."""
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis://"):
        if ON_CI:
            pytest.fail("CI must provide CELERY_BROKER_URL (Redis)")
        pytest.skip("needs Redis (CELERY_BROKER_URL)")
    base = url.rsplit("/", 1)[0]
    isolated = f"{base}/{BROKER_DB}"
    for db in (BROKER_DB, CACHE_DB):
        redis.Redis.from_url(f"{base}/{db}").flushdb()
    monkeypatch.setenv("CELERY_BROKER_URL", isolated)
    eager, celery_app.conf.task_always_eager = celery_app.conf.task_always_eager, False
    _reset_pools()
    assert celery_app.connection_for_write().as_uri().endswith(f"/{BROKER_DB}")
    yield isolated
    celery_app.conf.task_always_eager = eager
    monkeypatch.undo()
    _reset_pools()


def _reset_pools() -> None:
    """Make the app connect again (to another broker URL, or after Redis restarted): kombu keeps
    its connection and producer pools per broker URL, for the whole process."""
    kombu.pools.reset()
    celery_app._pool = None
    amqp = celery_app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


def _service_env(broker: str, data_dir: Path) -> dict:
    """The environment of a worker or web process on the test database: base (production-like)
    settings, Redis for the broker and the cache as in production."""
    db = connection.settings_dict
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CELERY_", "NHI_", "DJANGO_"))},
        "DJANGO_SETTINGS_MODULE": "nhi_portal.settings.base",
        "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": broker,
        "NHI_CACHE_URL": f"{broker.rsplit('/', 1)[0]}/{CACHE_DB}",
        "NHI_DATA_DIR": str(data_dir),
        "NHI_INBOX_DIR": str(settings.INBOX_DIR),
        "NHI_MATCH_CHUNK_SIZE": "100",
        "NHI_LOG_LEVEL": "WARNING",
    }  # fmt: skip


def _process_group(pgid: int) -> list[str]:
    """The command lines of the live processes of a process group (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if fields[0] != "Z" and int(fields[2]) == pgid:
                found.append((stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip())
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
    return found


class Worker:
    """One worker process serving both queues (`celery`, and `letters` for print batches), in a
    process group of its own so that nothing of it outlives the test."""

    def __init__(self, broker: str, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.env = _service_env(broker, data_dir)
        self.proc: subprocess.Popen | None = None
        self.killed: list[subprocess.Popen] = []
        self.log = (data_dir / "worker.log").open("ab")  # read it when a fault test fails

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "nhi_portal", "worker", "-P", "solo", "-Q", "celery,letters",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def kill9(self) -> str:
        """kill -9 of the worker process, as the OOM killer would. Returns what is left of it after
        a few seconds (the letter engine's processes must end by themselves)."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.killed.append(self.proc)
        deadline = time.monotonic() + 10
        while (left := _process_group(self.proc.pid)) and time.monotonic() < deadline:
            time.sleep(0.2)
        return " | ".join(left)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        for proc in [*self.killed, self.proc]:
            if proc is not None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)  # what is left of its group
                except ProcessLookupError:
                    pass
        self.log.close()


@pytest.fixture
def worker(broker, tmp_path):
    worker = Worker(broker, tmp_path)
    worker.start()
    yield worker
    worker.stop()


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


def wait_until(done, *, during=None, what: str) -> None:
    """Poll until `done()`; `during()` is called meanwhile (to inject a fault once); the watchdogs
    (beat calls them every minute in production) run every few seconds."""
    deadline = time.monotonic() + TIMEOUT
    last_watchdog = time.monotonic()
    while time.monotonic() < deadline:
        if done():
            return
        if during:
            during()
        if time.monotonic() - last_watchdog > STALL_SECONDS / 2:
            run_watchdogs(stall_seconds=STALL_SECONDS)
            last_watchdog = time.monotonic()
        time.sleep(0.3)
    raise AssertionError(f"{what} did not finish in {TIMEOUT} s")


def wait_for(run: NightlyRun, *, during=None) -> NightlyRun:
    def finished() -> bool:
        run.refresh_from_db()
        return run.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)

    try:
        wait_until(finished, during=during, what=f"nightly run #{run.pk}")
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {run.steps}") from None
    return run


def run_nightly(municipality, *, during=None) -> NightlyRun:
    started = time.monotonic()
    run = wait_for(nightly.nightly_enqueue(municipality=municipality), during=during)
    print(f"\nnightly run: {run.status} in {time.monotonic() - started:.1f} s", end=" ")
    return run


def live_message(job: Job) -> str:
    """The job's live progress line, from the worker's cache (Redis)."""
    cache = RedisCache(_service_env(celery_app.conf.broker_url, Path())["NHI_CACHE_URL"], {})
    return (cache.get(f"job-progress:{job.pk}") or {}).get("message", "")


def print_letters(*, during=None) -> list[PrintBatch]:
    """What the clerk does the next morning: one print batch per kind of queued letter, rendered
    on the `letters` queue."""
    started = time.monotonic()
    groups = sorted(set(Letter.objects.filter(status=LetterStatus.QUEUED).values_list("kind", "second")))
    assert groups, "the nightly run queued no letters"
    municipality = Municipality.objects.get(lg_code="132101")
    batches = [
        print_batch_create(municipality=municipality, kind=kind, second=second, user=None)
        for kind, second in groups
    ]
    unfinished = Job.objects.filter(pk__in=[b.job_id for b in batches]).exclude(
        status__in=[JobStatus.SUCCEEDED, JobStatus.FAILED]
    )  # the job finishes right after the batch's transaction commits
    wait_until(lambda: not unfinished.exists(), during=during, what="the print batches")
    print(f"\nprint batches: {len(batches)} in {time.monotonic() - started:.1f} s", end=" ")
    return list(PrintBatch.objects.filter(pk__in=[b.pk for b in batches]).order_by("pk"))


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
        (letter.case.resident.resident_code, letter.kind, letter.second, letter.number, letter.status,
         letter.language, letter.addressee_name, letter.print_batch.kind if letter.print_batch_id else "")
        for letter in Letter.objects.select_related("case__resident", "print_batch")
    )  # fmt: skip
    events = sorted(
        (e.case.resident.resident_code, e.case.kind, e.action, e.from_state, e.to_state)
        for e in CaseEvent.objects.select_related("case__resident")
    )
    batches = sorted(
        (b.kind, b.second, b.status, b.letter_count, b.page_count, b.letters.count()) for b in PrintBatch.objects.all()
    )  # fmt: skip
    return {
        "records": IsaRecord.objects.count(),
        "decisions": decisions,
        "cases": cases,
        "letters": letters,
        "events": events,
        "print_batches": batches,
    }


def check_consistent(result: dict) -> None:
    assert result["records"] > 2000
    assert len(result["decisions"]) == result["records"]  # every record decided once, none missing
    keys = [(d[0], d[1]) for d in result["decisions"]]
    assert len(keys) == len(set(keys))  # no duplicate decisions
    open_keys = [(c[0], c[1]) for c in result["cases"] if c[2] != "closed"]
    assert len(open_keys) == len(set(open_keys))  # one open case per person and kind
    numbers = [letter[3] for letter in result["letters"]]
    assert len(numbers) == len(set(numbers))  # no letter twice


def check_printed(batches: list[PrintBatch], data_dir: Path) -> None:
    """Every batch rendered once: its PDF on disk (in the worker's data folder) is the one
    recorded, its letters printed once, no PDF left over from a killed rendering."""
    assert batches and all(b.status == PrintBatch.Status.READY for b in batches), [
        (b.pk, b.error) for b in batches
    ]
    private = data_dir / "private"
    for batch in batches:
        assert hashlib.sha256((private / batch.pdf.name).read_bytes()).hexdigest() == batch.sha256
        assert batch.letters.filter(status=LetterStatus.PRINTED).count() == batch.letter_count > 0
        assert Job.objects.get(pk=batch.job_id).status == JobStatus.SUCCEEDED
    printed = CaseEvent.objects.filter(action="letter_printed").values_list("case_id", flat=True)
    assert len(printed) == Letter.objects.filter(status=LetterStatus.PRINTED).count()
    assert not Letter.objects.filter(status=LetterStatus.QUEUED).exists()
    pdfs = sorted(p.name for p in (private / "letters").rglob("*.pdf"))
    assert pdfs == sorted(Path(b.pdf.name).name for b in batches)  # no stray PDF of a killed rendering


def assert_same(result: dict, expected: dict) -> None:
    """Equal to the undisturbed run; if not, say what differs (not 3,000 lines of repr)."""
    for key, value in expected.items():
        if result[key] == value:
            continue
        if isinstance(value, int):
            pytest.fail(f"{key}: {result[key]} ≠ {value} (undisturbed)")
        extra, missing = Counter(result[key]) - Counter(value), Counter(value) - Counter(result[key])
        pytest.fail(
            f"{key} differ from the undisturbed run: {sum(extra.values())} extra, {sum(missing.values())} "
            f"missing; extra {list(extra)[:5]}, missing {list(missing)[:5]}"
        )


def after_nightly(full: dict) -> dict:
    return {key: value for key, value in full.items() if key != "print_batches"}


def matching_midway() -> bool:
    done = MatchChunk.objects.filter(kind="match", done=True).count()
    total = MatchChunk.objects.filter(kind="match").count()
    return bool(total) and 2 <= done < total - 2


_UNDISTURBED: dict = {}


@pytest.fixture
def undisturbed(demo_files, broker, tmp_path_factory):
    """The state after an undisturbed nightly run, and after printing its letters (computed once
    for the module)."""
    if not _UNDISTURBED:
        municipality = fresh_start(demo_files)
        worker = Worker(broker, tmp_path_factory.mktemp("undisturbed"))
        worker.start()
        try:
            run = run_nightly(municipality)
            assert run.status == JobStatus.SUCCEEDED, run.error
            _UNDISTURBED["nightly"] = state()
            check_consistent(_UNDISTURBED["nightly"])
            check_printed(print_letters(), worker.data_dir)
            _UNDISTURBED["printed"] = state()
        finally:
            worker.stop()
    return _UNDISTURBED


def test_kill_9_in_the_middle_of_matching_and_of_letter_rendering(undisturbed, demo_files, worker):
    municipality = fresh_start(demo_files)
    killed = []

    def kill_mid_matching():
        if not killed and matching_midway():
            worker.kill9()
            killed.append("matching")
            worker.start()  # a new worker; the killed one's chunk comes back through the watchdog

    run = run_nightly(municipality, during=kill_mid_matching)
    assert killed == ["matching"], "the worker was never killed in the middle of matching"
    assert run.status == JobStatus.SUCCEEDED, run.error
    result = state()
    check_consistent(result)
    assert_same(after_nightly(result), after_nightly(undisturbed["nightly"]))

    left_behind: list[str] = []

    def kill_mid_rendering():
        job = Job.objects.filter(kind=JobKind.RENDER_LETTERS, status=JobStatus.RUNNING).first()
        if len(killed) == 1 and job is not None and "PDFを作成しています" in live_message(job):
            time.sleep(1)  # the engine's processes are laying out pages
            left_behind.append(worker.kill9())
            killed.append("rendering")
            worker.start()  # the batch comes back through the watchdog

    batches = print_letters(during=kill_mid_rendering)
    assert killed == ["matching", "rendering"], "the worker was never killed in the middle of rendering"
    assert left_behind == [""], f"processes of the killed worker still run: {left_behind}"
    check_printed(batches, worker.data_dir)
    result = state()
    check_consistent(result)
    assert_same(result, undisturbed["printed"])


class WebServer:
    """The portal's web process (gunicorn, as in production) on the test database."""

    def __init__(self, broker: str, data_dir: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "nhi_portal.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
             "--workers", "1", "--timeout", "30"],
            cwd=ROOT, env=_service_env(broker, data_dir), stdout=(data_dir / "web.log").open("ab"),
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def get(self, path: str) -> int:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if self.get("/healthz") == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("gunicorn did not answer /healthz")

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)


def _pg_cluster() -> tuple[str, str]:
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
    return version, "main"


def _rerun_if_failed(run: NightlyRun) -> NightlyRun:
    """A run that failed cleanly is re-run from its failed step, as the operator would."""
    if run.status == JobStatus.FAILED:
        print(f"\nnightly run failed cleanly ({run.error}); re-run", end=" ")
        call_command("run_nightly", "--rerun", str(run.pk), verbosity=0)
        run = NightlyRun.objects.get(pk=run.pk)
        if run.status != JobStatus.SUCCEEDED:
            run = wait_for(run)
    return run


def test_postgresql_restart_in_the_middle(undisturbed, demo_files, broker, worker, tmp_path):
    if shutil.which("pg_ctlcluster") is None or os.geteuid() != 0:
        pytest.skip("needs pg_ctlcluster as root (CI machine)")
    municipality = fresh_start(demo_files)
    web = WebServer(broker, tmp_path)
    restarted = []

    def restart_mid_matching():
        if not restarted and matching_midway():
            version, cluster = _pg_cluster()
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, "restart", "-m", "fast"],
                check=True,
            )
            restarted.append(True)
            connection.close()  # this process's own connection died with the server

    try:
        web.wait_ready()  # its persistent connection is open (CONN_MAX_AGE)
        run = run_nightly(municipality, during=restart_mid_matching)
        run = _rerun_if_failed(run)
        # The web process's connection died with the server too: the next request reconnects
        # (CONN_HEALTH_CHECKS), no restart of the web process needed.
        assert web.get("/healthz") == 200
    finally:
        web.stop()
    assert restarted
    assert run.status == JobStatus.SUCCEEDED, run.error
    result = state()
    check_consistent(result)
    assert_same(after_nightly(result), after_nightly(undisturbed["nightly"]))


def _redis_restart() -> None:
    """Stop Redis and start it again as it was started (this machine's redis-server, daemonized,
    with its running configuration), without saving: everything it held is lost."""
    client = redis.Redis(host="127.0.0.1", port=6379)
    config = {
        key: client.config_get(key)[key] for key in ("bind", "port", "dir", "logfile", "save", "appendonly")
    }
    config_file = client.info("server").get("config_file", "")
    try:
        client.shutdown(nosave=True)
    except redis.ConnectionError:
        pass  # the server closes the connection as it goes
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            client.ping()
        except redis.ConnectionError:
            break
        time.sleep(0.1)
    time.sleep(1)
    subprocess.run(
        ["redis-server", *([config_file] if config_file else []), "--daemonize", "yes",
         "--bind", *config["bind"].split(), "--port", config["port"], "--save", config["save"],
         "--appendonly", config["appendonly"], "--dir", config["dir"], "--logfile", config["logfile"]],
        check=True,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            return
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_redis_restart_in_the_middle(undisturbed, demo_files, worker):
    if shutil.which("redis-server") is None or os.geteuid() != 0:
        pytest.skip("needs redis-server as root (CI machine)")
    municipality = fresh_start(demo_files)
    restarted = []

    def restart_mid_matching():
        if not restarted and matching_midway():
            _redis_restart()
            restarted.append(True)
            _reset_pools()

    run = run_nightly(municipality, during=restart_mid_matching)
    run = _rerun_if_failed(run)
    assert restarted
    assert run.status == JobStatus.SUCCEEDED, run.error
    result = state()
    check_consistent(result)
    assert_same(after_nightly(result), after_nightly(undisturbed["nightly"]))
