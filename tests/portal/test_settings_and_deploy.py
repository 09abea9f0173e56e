"""Settings are parsed strictly, the embedded default needs nothing, production passes
`check --deploy`, and docker-compose.yml validates."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ON_CI

ROOT = Path(__file__).resolve().parents[2]


def manage(
    *args: str, env: dict[str, str], settings: str = "nhi_portal.settings.base"
) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "NHI_"))
    }
    clean.update(DJANGO_SETTINGS_MODULE=settings, **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DJANGO_DEBUG", "maybe", "DJANGO_DEBUG='maybe' is invalid"),
        ("DATABASE_URL", "mysql://db/nhi", "DATABASE_URL='mysql://db/nhi' is invalid"),
        ("NHI_MATCH_TARGET_PRECISION", "high", "NHI_MATCH_TARGET_PRECISION='high' is invalid"),
        ("DATABASE_CONN_MAX_AGE", "-5", "DATABASE_CONN_MAX_AGE='-5' is invalid"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(tmp_path, variable, value, expected):
    result = manage("check", env={variable: value, "NHI_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert expected in result.stderr


def test_with_nothing_set_the_portal_runs_on_sqlite_and_eager_celery(tmp_path):
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.LANGUAGE_CODE, s.TIME_ZONE)"
    )
    result = manage("shell", "--no-imports", "-c", code, env={"NHI_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True", "ja", "Asia/Tokyo"]


def test_real_services_are_chosen_by_url(tmp_path):
    code = "from django.conf import settings as s; print(s.DATABASES['default']['HOST'], s.CELERY_TASK_ALWAYS_EAGER)"
    env = {
        "DATABASE_URL": "postgres://u@db.internal:5433/nhi",
        "CELERY_BROKER_URL": "redis://r:6379/0",
        "NHI_DATA_DIR": str(tmp_path),
    }
    result = manage("shell", "--no-imports", "-c", code, env=env)
    # The shell may not reach db.internal, but settings load before any connection is made.
    assert "db.internal False" in result.stdout, result.stderr


def test_production_settings_pass_check_deploy(tmp_path):
    env = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "nhi.example.lg.jp",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/nhi_portal",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "NHI_DATA_DIR": str(tmp_path),
    }
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=env, settings="nhi_portal.settings.production"
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_production_refuses_a_weak_secret(tmp_path):
    env = {
        "DJANGO_SECRET_KEY": "short",
        "DJANGO_ALLOWED_HOSTS": "x",
        "DATABASE_URL": "postgres://p@h/db",
        "NHI_DATA_DIR": str(tmp_path),
    }
    result = manage("check", env=env, settings="nhi_portal.settings.production")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be a random value" in result.stderr


def test_docker_compose_file_validates():
    binary = shutil.which("docker-compose")
    if binary is None:
        if ON_CI:
            pytest.fail("docker-compose (Debian package) must be installed on CI")
        pytest.skip("docker-compose not installed")
    env = {**os.environ, "DJANGO_SECRET_KEY": "compose-config-check-only"}
    result = subprocess.run([binary, "config"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    for service in ("postgres:", "redis:", "web:", "worker:", "letters-worker:", "beat:"):
        assert service in result.stdout
    assert result.stdout.count("healthcheck:") >= 6
    # Print batches are routed to the `letters` queue (CELERY_TASK_ROUTES): a worker serves it.
    assert re.search(r"- -Q\s+- letters\s", result.stdout)
