"""Failing closed, as an auditor probes it (issue 17): an oversized or anonymous body is refused
before a byte of it is read; no page or API answer with personal data may be cached; production
does not start without a broker; API tokens are stored as digests only; every export CSV goes
through one neutralising writer and the match export is access-logged; the compose health check
really answers healthy; the append-only records refuse changes on SQLite too."""

from __future__ import annotations

import ast
import csv
import io
import os
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from nhi_portal.models import AccessLog
from tests.conftest import signed_in
from tests.portal.test_settings_and_deploy import manage
from tests.security.conftest import client_for

ROOT = Path(__file__).resolve().parents[2]


class UnreadableBody(io.RawIOBase):
    """A request body that must never be read: reading it fails the test."""

    read_at_all = False

    def readable(self):
        return True

    def readinto(self, buffer):
        UnreadableBody.read_at_all = True
        raise AssertionError("the request body was read")


def huge_post(client: Client, url: str, size: int, **extra):
    UnreadableBody.read_at_all = False
    response = client.generic(
        "POST",
        url,
        b"",
        content_type="multipart/form-data; boundary=BoUnDaRy",
        CONTENT_LENGTH=str(size),
        **{"wsgi.input": UnreadableBody()},
        **extra,
    )
    assert not UnreadableBody.read_at_all
    return response


# 2. Request size ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_anonymous_upload_is_answered_without_reading_its_body(client):
    # The attacker holds the sign-in page's CSRF cookie and CSRF checks are on, as in a browser.
    visitor = Client(enforce_csrf_checks=True)
    visitor.get(reverse("login"))
    response = huge_post(visitor, reverse("batch-upload"), 300 * 1024 * 1024)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    api = huge_post(Client(), "/api/batches/upload/", 300 * 1024 * 1024)
    assert api.status_code == 401
    # Even the sign-in page reads no more than a sign-in form needs.
    assert huge_post(visitor, reverse("login"), 10 * 1024 * 1024).status_code == 413


@pytest.mark.django_db
def test_a_signed_in_upload_over_the_limit_is_refused_before_it_is_read(clerk, settings):
    client = signed_in(clerk)
    too_big = settings.NHI_MAX_UPLOAD_BYTES + 2 * 1024 * 1024
    response = huge_post(client, reverse("batch-upload"), too_big)
    assert response.status_code == 413
    page = response.content.decode()
    assert "大きすぎます" in page and "上限 512 MB" in page and "ファイルを分けて" in page
    # An API caller with a token header gets the same refusal, as JSON, before authentication reads anything.
    api = huge_post(Client(), "/api/batches/upload/", too_big, HTTP_AUTHORIZATION="Token abc")
    assert api.status_code == 413 and "大きすぎます" in api.json()["detail"]


def test_the_deploy_guide_states_the_limit_and_the_proxy_setting():
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    assert "NHI_MAX_UPLOAD_BYTES" in guide and "client_max_body_size 513m" in guide


# 3. No-store -------------------------------------------------------------------------------------

PERSONAL_PAGES = [
    ("person-detail", {"pk": "resident"}),
    ("case-detail", {"pk": "case"}),
    ("case-list", {}),
    ("letter-list", {}),
    ("letter-detail", {"letter_id": "letter"}),
    ("api-isa-record-list", {}),
    ("api-isa-record-detail", {"pk": "record"}),
    ("dashboard", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), PERSONAL_PAGES, ids=[p[0] for p in PERSONAL_PAGES])
def test_pages_and_api_answers_with_personal_data_may_not_be_stored(world, name, kwargs):
    url = reverse(name, kwargs={k: world["objects"][v] for k, v in kwargs.items()})
    response = client_for(world, "clerk").get(url)
    assert response.status_code == 200, url
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= directives, (url, response["Cache-Control"])


# 4. A broker in production -----------------------------------------------------------------------


def _production_env(tmp_path, **extra):
    return {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "nhi.example.lg.jp",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/nhi_portal",
        "NHI_DATA_DIR": str(tmp_path),
        **extra,
    }


def test_production_refuses_to_start_without_a_broker(tmp_path):
    result = manage("check", env=_production_env(tmp_path), settings="nhi_portal.settings.production")
    assert result.returncode != 0
    assert "CELERY_BROKER_URL" in result.stderr
    # Asking for eager tasks does not bring them back.
    code = "from django.conf import settings as s; print(s.CELERY_TASK_ALWAYS_EAGER)"
    env = _production_env(
        tmp_path, CELERY_BROKER_URL="redis://127.0.0.1:6379/0", CELERY_TASK_ALWAYS_EAGER="1"
    )
    shown = manage("shell", "--no-imports", "-c", code, env=env, settings="nhi_portal.settings.production")
    assert shown.stdout.split() == ["False"], shown.stderr


def test_check_deploy_reports_a_missing_broker(tmp_path):
    result = manage("check", "--deploy", env={"NHI_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "portal.E001" in result.stderr and "CELERY_BROKER_URL" in result.stderr


# 5. Tokens stored as digests ----------------------------------------------------------------------


@pytest.mark.django_db
def test_an_api_token_is_stored_as_a_digest_only(clerk):
    client = signed_in(clerk)
    key = client.post(reverse("account-token-create")).context["new_key"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM knox_authtoken")
        stored = " ".join(str(cell) for row in cursor.fetchall() for cell in row)
    assert key not in stored
    assert Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/batches/").status_code == 200


@pytest.mark.django_db
@pytest.mark.postgres
def test_a_plain_token_of_before_keeps_working_and_leaves_no_readable_key(clerk):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("nhi_portal.migrations.0005_secure_hashed_api_tokens")
    old_key = secrets.token_hex(20)
    created = timezone.now() - timedelta(days=30)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id bigint, created timestamptz)"
        )
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, %s, %s)", [old_key, clerk.pk, created])
    with connection.schema_editor() as editor:
        migration.move_plain_tokens(apps, editor)
    assert "authtoken_token" not in connection.introspection.table_names()
    assert Client(HTTP_AUTHORIZATION=f"Token {old_key}").get("/api/batches/").status_code == 200
    from knox.models import AuthToken

    token = AuthToken.objects.get(user=clerk)
    assert token.created == created and token.digest != old_key


# 6. CSV through one writer; the match export is access-logged -------------------------------------

PRODUCT = ("nhi_portal", "enrollment", "receipts", "arrears")
# COPY buffers go to PostgreSQL, never to a person.
NOT_EXPORTS = {"nhi_portal/csvsafe.py", "nhi_portal/intake/bulk.py"}


def test_every_csv_writer_goes_through_the_neutralising_writer():
    offenders = []
    for package in PRODUCT:
        for path in (ROOT / package).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if relative in NOT_EXPORTS or "/demo/" in relative or "/migrations/" in relative:
                continue
            if relative.endswith("commands/_demo_office.py"):
                continue  # writes the demo's synthetic input files, not an export
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Attribute)
                    and isinstance(node.value, ast.Name)
                    and node.value.id == "csv"
                    and node.attr in {"writer", "DictWriter"}
                ):
                    offenders.append(f"{relative}:{node.lineno}")
    assert not offenders, offenders


@pytest.mark.django_db
def test_the_match_export_neutralises_the_file_name_and_is_access_logged(municipality, supervisor, tmp_path):
    from tests.linking.helpers import export_matches, isa_batch, match

    batch = isa_batch(municipality, [{}])
    batch.source_name = '=HYPERLINK("http://evil")'
    batch.save(update_fields=["source_name"])
    match(batch)
    out = tmp_path / "pred.csv"
    export_matches(batch, out, user=supervisor)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows[0]["source_file"] == '\'=HYPERLINK("http://evil")'
    entry = AccessLog.objects.get(action="export_matches")
    assert entry.user == supervisor and entry.municipality_id == municipality.pk
    assert entry.path == f"manage.py export_matches {batch.pk}" and len(entry.content_sha256) == 64


@pytest.mark.django_db
def test_the_match_export_is_refused_to_someone_without_the_right(
    municipality, other_clerk, auditor, tmp_path
):
    from django.core.management.base import CommandError

    from tests.linking.helpers import isa_batch, match

    batch = isa_batch(municipality, [{}])
    match(batch)
    for user in (other_clerk, auditor):
        with pytest.raises(CommandError, match="書き出せません"):
            call_command(
                "export_matches", str(batch.pk), "--out", str(tmp_path / "x.csv"), "--user", user.username
            )
    assert not AccessLog.objects.filter(action="export_matches").exists()


# 7. The compose health check ----------------------------------------------------------------------


def _web_healthcheck() -> list[str]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    test = compose["services"]["web"]["healthcheck"]["test"]
    assert test[0] == "CMD"
    return [sys.executable if part == "python" else part for part in test[1:]]


def _run_healthcheck(url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NHI_HEALTHCHECK_URL": url, "DJANGO_ALLOWED_HOSTS": "nhi.example.lg.jp,localhost"}
    return subprocess.run(_web_healthcheck(), cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)


@pytest.mark.django_db(transaction=True)
def test_the_compose_health_check_is_healthy_behind_the_production_redirect_and_host_check(
    live_server, settings
):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.ALLOWED_HOSTS = ["nhi.example.lg.jp"]
    # What a plain request to /healthz gets in production: the redirect, or 400 for the address.
    assert Client().get("/healthz").status_code == 400
    healthy = _run_healthcheck(f"{live_server.url}/healthz")
    assert healthy.returncode == 0, healthy.stderr
    # A server that is not there is unhealthy (the check really asks).
    refused = _run_healthcheck("http://127.0.0.1:9/healthz")
    assert refused.returncode != 0


# 8. Append-only on SQLite too ---------------------------------------------------------------------


SQLITE_PROBE = """
from django.db import connection
from nhi_portal.models import AccessLog
from tests.factories import MunicipalityFactory, UserFactory
m = MunicipalityFactory()
u = UserFactory(municipality=m)
AccessLog.objects.create(user=u, municipality=m, action="view_person", purpose="x", object_type="resident", object_ids=[1])
for sql in ("UPDATE portal_accesslog SET action = 'nothing'", "DELETE FROM portal_accesslog"):
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
        print("changed")
    except Exception as exc:
        print("refused", exc)
print("left", list(AccessLog.objects.for_municipality(m.pk).values_list("action", flat=True)))
"""


@pytest.mark.slow
def test_the_access_log_is_append_only_on_the_embedded_sqlite_default(tmp_path):
    env = {"NHI_DATA_DIR": str(tmp_path)}
    migrated = manage("migrate", "--noinput", "-v0", env=env)
    assert migrated.returncode == 0, migrated.stderr
    probe = manage("shell", "--no-imports", "-c", SQLITE_PROBE, env=env)
    assert probe.returncode == 0, probe.stderr
    lines = probe.stdout.strip().splitlines()[-3:]
    assert lines == [
        "refused portal_accesslog is append-only",
        "refused portal_accesslog is append-only",
        "left ['view_person']",
    ], probe.stdout
