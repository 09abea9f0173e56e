"""Test settings: fast hashing, eager Celery unless a broker is named, quiet logs; under
pytest-xdist, each worker process its own Redis database and folders."""

import os
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

from nhi_portal.settings.base import *

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING["root"]["level"] = "WARNING"
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"user": "100000/minute", "anon": "100000/minute"}
# In tests each test runs inside one transaction: progress goes through it too (a second
# connection would wait on the test's own row locks).
DATABASES.pop("progress", None)
NHI_PROGRESS_DB = "default"
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Tests run tasks in-process; the fault tests start real worker processes with base settings.
CELERY_TASK_ALWAYS_EAGER = True
# Serve static files from the app folders (no collectstatic before tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Tests lay letter bodies out in their own process; the shared store's test names its directory.
NHI_LETTER_BODY_DIR = None


def _redis_db_url(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


def _redis_db(url: str) -> int:
    path = urlsplit(url).path.strip("/")
    return int(path) if path else 0


# Parallel runs (pytest-xdist, as `make test` runs the suite): pytest-django gives each worker
# process its own test database (test_<name>_gw0, _gw1, …); here each worker also gets its own
# Redis database, for the broker and the cache alike, and its own folders under var/. Worker gwN
# uses Redis database <broker's> + 2 + N: the broker's database and the next (CI's 0 and 1, the
# cache) stay to the serial run. Without the split, a test's cache entries (throttle counts,
# job progress, cached arrears keyed by ids that every worker's database reuses) and a real
# worker's task messages would reach another worker's tests.
_xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _xdist_worker:
    _worker_number = int(_xdist_worker.removeprefix("gw"))
    _broker_url = os.environ.get("CELERY_BROKER_URL", "")
    _cache = CACHES["default"]
    _redis_base = _broker_url if _broker_url.startswith("redis") else _cache.get("LOCATION", "")
    if _redis_base.startswith("redis"):
        _worker_db = _redis_db(_redis_base) + 2 + _worker_number
        if _worker_db > 15:
            raise ImproperlyConfigured(
                f"Test worker {_xdist_worker} would use Redis database {_worker_db} (> 15): run fewer "
                "workers (make test TEST_WORKERS=…) or name a lower database in CELERY_BROKER_URL."
            )
        if _broker_url.startswith("redis"):
            CELERY_BROKER_URL = _redis_db_url(_broker_url, _worker_db)
            # Celery reads the variable before its configuration.
            os.environ["CELERY_BROKER_URL"] = CELERY_BROKER_URL
        if _cache.get("LOCATION", "").startswith("redis"):
            CACHES = {"default": {**_cache, "LOCATION": _redis_db_url(_cache["LOCATION"], _worker_db)}}
    _worker_dir = DATA_DIR / "test-workers" / _xdist_worker
    MEDIA_ROOT = _worker_dir / "media"
    STATIC_ROOT = _worker_dir / "staticfiles"
    PRIVATE_STORAGE_DIR = _worker_dir / "private"
    INBOX_DIR = _worker_dir / "inbox"
