"""Personas and helpers shared by the tests.

Personas (healthchecks hc/test.py style): a clerk, a supervisor, an auditor, an administrator
of 小金井市, and a clerk of *another* municipality (千代田区) who must be refused everywhere.
Tests marked `postgres` need PostgreSQL: skipped on a laptop's SQLite, never on CI (CI=true
makes a SQLite run fail loudly instead of skipping)."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import MunicipalityFactory, UserFactory

ON_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_addoption(parser):
    parser.addoption(
        "--serial-tests",
        choices=("include", "exclude", "only"),
        default=None,
        help="tests marked `serial` (they restart PostgreSQL or Redis): run them with the others "
        "(the default without -n), leave them out (the default with -n) or run only them",
    )


def _distributed(config) -> bool:
    """Running in a pytest-xdist worker (`-n N`, N ≥ 1)."""
    return hasattr(config, "workerinput")


# Where the tests marked `serial` are (checked below): `--serial-tests=only` collects nothing
# else, so the serial step of `make test` does not import the whole suite a second time.
SERIAL_FOLDERS = ("tests/faults",)


def pytest_ignore_collect(collection_path, config):
    if config.getoption("serial_tests") != "only":
        return None
    try:
        path = collection_path.relative_to(config.rootpath).as_posix()
    except ValueError:
        return None
    wanted = any(
        path == folder or path.startswith(folder + "/") or folder.startswith(path + "/")
        for folder in SERIAL_FOLDERS
    )
    return None if wanted else True


def _select_serial(config, items) -> None:
    """Tests marked `serial` restart the shared PostgreSQL and Redis: beside other tests (another
    xdist worker's) they would break them, so a parallel run leaves them out and `make test` runs
    them alone afterwards (`--serial-tests=only`)."""
    choice = config.getoption("serial_tests") or ("exclude" if _distributed(config) else "include")
    inside = tuple(f"{folder}/" for folder in SERIAL_FOLDERS)
    for item in items:
        if item.get_closest_marker("serial") and not item.nodeid.startswith(inside):
            raise pytest.UsageError(f"{item.nodeid} is marked serial: add its folder to SERIAL_FOLDERS")
    if choice == "include":
        return
    if choice == "only" and _distributed(config):
        raise pytest.UsageError("--serial-tests=only runs tests that must run alone: drop -n")
    wanted = choice == "only"
    keep, drop = [], []
    for item in items:
        (keep if (item.get_closest_marker("serial") is not None) == wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_collection_modifyitems(config, items):
    _select_serial(config, items)
    if settings.USING_POSTGRES:
        return
    if ON_CI:
        raise pytest.UsageError("CI must run the tests on PostgreSQL: set DATABASE_URL=postgres://…")
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://…)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


# Folders whose modules share an expensive session fixture: with `--dist loadgroup` (make test)
# each is one group, run by one worker, so that the fixture is built once, not once per worker;
# every other test is spread on its own, as with `--dist load`. (In each worker the tests keep
# pytest-django's order: transactional tests, which empty the tables, after the others.)
# tests/letters: `sample_pdfs`, every sample letter in every language rendered (35 PDFs).
ONE_WORKER_FOLDERS = ("tests/letters/",)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class GroupsAndSharedFolders(LoadGroupScheduling):
        """xdist_group groups, and each folder of ONE_WORKER_FOLDERS as a group of its own."""

        def _split_scope(self, nodeid: str) -> str:
            for folder in ONE_WORKER_FOLDERS:
                if nodeid.startswith(folder):
                    return folder
            return super()._split_scope(nodeid)

    return GroupsAndSharedFolders(config, log)


@pytest.fixture(scope="session", autouse=True)
def _fresh_worker_redis(request):
    """An xdist worker's own Redis database (nhi_portal.settings.test) starts empty: no task
    message or cache entry left by an earlier run (whose ids its new test database reuses)."""
    if not _distributed(request.config):
        return
    urls = {settings.CACHES["default"].get("LOCATION", ""), settings.CELERY_BROKER_URL}
    for url in sorted(u for u in urls if u.startswith("redis")):
        import redis

        redis.Redis.from_url(url).flushdb()


@pytest.fixture
def municipality(db):
    return MunicipalityFactory()


@pytest.fixture
def other_municipality(db):
    return MunicipalityFactory(lg_code="131016", name="千代田区", address="東京都千代田区九段南1-2-1")


@pytest.fixture
def designated_city(db):
    city = MunicipalityFactory(lg_code="141003", name="横浜市")
    for code, name in (("141011", "鶴見区"), ("141020", "神奈川区"), ("141038", "西区")):
        MunicipalityFactory(lg_code=code, name=f"横浜市{name}", parent=city)
    return city


def ensure_roles() -> None:
    """Transactional tests flush the tables the roles migration filled; put them back."""
    from django.apps import apps
    from django.contrib.auth.models import Group

    from nhi_portal.roles import ROLE_PERMISSIONS, sync_role_groups

    if Group.objects.filter(name__in=ROLE_PERMISSIONS).count() != len(ROLE_PERMISSIONS):
        sync_role_groups(apps)


def _persona(role: str, municipality, username: str):
    ensure_roles()
    return UserFactory(username=username, municipality=municipality, role=role)


@pytest.fixture
def clerk(municipality):
    return _persona("clerk", municipality, "clerk")


@pytest.fixture
def supervisor(municipality):
    return _persona("supervisor", municipality, "supervisor")


@pytest.fixture
def auditor(municipality):
    return _persona("auditor", municipality, "auditor")


@pytest.fixture
def administrator(municipality):
    return _persona("administrator", municipality, "admin")


@pytest.fixture
def other_clerk(other_municipality):
    return _persona("clerk", other_municipality, "other_clerk")


def signed_in(user, *, two_factor: bool = True) -> Client:
    """A client signed in as `user`. For the roles that must use two-factor sign-in, the session
    is also verified with a TOTP device (as after entering a code), unless two_factor=False."""
    client = Client()
    client.force_login(user)
    if two_factor and (
        user.is_superuser or user.groups.filter(name__in=settings.NHI_TWO_FACTOR_ROLES).exists()
    ):
        verify_two_factor(client, user)
    return client


def verify_two_factor(client: Client, user) -> None:
    """Mark the client's session as having passed the code step (django-otp's session key)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="test", confirmed=True
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture
def clerk_client(clerk):
    return signed_in(clerk)


@pytest.fixture
def supervisor_client(supervisor):
    return signed_in(supervisor)


@pytest.fixture
def other_clerk_client(other_clerk):
    return signed_in(other_clerk)


@pytest.fixture(autouse=True)
def _private_storage(settings, tmp_path):
    """Uploaded files go to a temporary folder, never the developer's var/."""
    settings.PRIVATE_STORAGE_DIR = tmp_path / "private"
    settings.INBOX_DIR = tmp_path / "inbox"


# Test set-up, the test's own reads and teardown go through the municipality wall's escape hatch
# (as pretix's tests disable django-scopes for fixtures). Pages and API calls made by the test
# client still run in the signed-in user's request scope (MunicipalityScopeMiddleware), so every
# view is tested behind the wall.
@pytest.hookimpl(wrapper=True)
def pytest_collection(session):
    from nhi_portal.scoping import unscoped

    with unscoped("test collection"):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    from nhi_portal.scoping import unscoped

    with unscoped("tests"):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    from nhi_portal.scoping import unscoped

    with unscoped("tests"):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    from nhi_portal.scoping import unscoped

    with unscoped("tests"):
        return (yield)


def api_key(user) -> str:
    """A fresh API token key for `user` (knox: only its digest is stored, so keep the key)."""
    from knox.models import AuthToken

    return AuthToken.objects.create(user=user)[1]


@pytest.fixture(scope="session", autouse=True)
def _sqlite_flush_passes_the_append_only_triggers():
    """On SQLite, Django empties tables for transactional tests with DELETE, which the append-only
    triggers (migration portal 0005) refuse; PostgreSQL's TRUNCATE fires no row trigger. The
    flush drops the triggers, empties the tables and puts the triggers back."""
    from importlib import import_module

    if settings.USING_POSTGRES:
        yield
        return
    from django.db.backends.sqlite3.base import DatabaseOperations

    triggers = import_module("nhi_portal.migrations.0006_secure_append_only_sqlite")
    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, **kwargs):
        guarded = [t for t in triggers.APPEND_ONLY_TABLES if t in tables]
        drop = [sql for t in guarded for sql in triggers.drop_sqlite_triggers(t)]
        create = [sql for t in guarded for sql in triggers.sqlite_triggers(t)]
        return drop + original(self, style, tables, **kwargs) + create

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = original
