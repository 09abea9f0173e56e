"""Test settings: fast hashing, eager Celery unless a broker is named, quiet logs."""

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
