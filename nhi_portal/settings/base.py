"""Base settings. Every value comes from an environment variable, parsed strictly (nhi_portal.env).

With no variables set the portal runs on the embedded default: a SQLite file under var/ and
Celery in eager mode, so a newcomer needs nothing but Python. DATABASE_URL=postgres://… and
CELERY_BROKER_URL=redis://… switch to the real services (production, CI).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from django.utils.csp import CSP

from nhi_portal.env import (
    database_from_url,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = Path(env_str("NHI_DATA_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789abcdef")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # The admin site is the portal's own (administrators only, scoped to their municipality).
    "nhi_portal.admin_config.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "import_export",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "nhi_portal.apps.PortalConfig",
    "enrollment",
    "receipts",
    "arrears",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Cache-Control: no-store on every answer below (pages and API hold personal data).
    "nhi_portal.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Oversized bodies refused from Content-Length before anything (CSRF, forms) reads them.
    "nhi_portal.middleware.RequestSizeLimitMiddleware",
    # The municipality wall: every query below runs in the user's municipality scope.
    "nhi_portal.middleware.MunicipalityScopeMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "nhi_portal.middleware.RequestIdMiddleware",
    # Idle (30 min) and absolute (12 h) session limits, before the sign-in check sees the user.
    "nhi_portal.middleware.SessionTimeoutMiddleware",
    "nhi_portal.middleware.PortalLoginRequiredMiddleware",
    # Supervisors, auditors and administrators reach nothing but the 2FA pages until verified.
    "nhi_portal.middleware.TwoFactorRequiredMiddleware",
    # Turns a lockout flagged during sign-in into the Japanese lockout page; must stay last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "nhi_portal.urls"
WSGI_APPLICATION = "nhi_portal.wsgi.application"
ASGI_APPLICATION = "nhi_portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "nhi_portal.context_processors.portal",
            ],
        },
    },
]

_db_conn_max_age = env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0, maximum=3600)
DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'nhi_portal.sqlite3'}"),
        conn_max_age=_db_conn_max_age,
    )
}
USING_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if not USING_POSTGRES:
    # The embedded default keeps its database file under var/; create the folder on first run.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "portal.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
# Lockout first (django-axes refuses a locked-out username before the password is checked).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語")]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "media"
# Uploaded files hold personal data: they are never served under MEDIA_URL.
PRIVATE_STORAGE_DIR = DATA_DIR / "private"
INBOX_DIR = Path(env_str("NHI_INBOX_DIR", str(DATA_DIR / "inbox")))

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
NHI_MAX_UPLOAD_BYTES = env_int("NHI_MAX_UPLOAD_BYTES", 512 * 1024 * 1024, minimum=1024)
# A request's body, refused from its Content-Length before it is read (RequestSizeLimitMiddleware):
# the upload limit plus 1 MiB for the form around it; a visitor who is not signed in sends no
# file and at most 64 KiB. The reverse proxy's limit matches (docs/deploy.md).
NHI_MAX_REQUEST_BYTES = NHI_MAX_UPLOAD_BYTES + 1024 * 1024
NHI_ANONYMOUS_MAX_BODY_BYTES = 64 * 1024

# Content Security Policy (Django's built-in): no inline script or style anywhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Sessions end after NHI_SESSION_IDLE_MINUTES without a request and NHI_SESSION_MAX_HOURS after
# signing in, whatever happens (nhi_portal.middleware.SessionTimeoutMiddleware); the cookie goes
# with the browser. "Sign out everywhere" bumps User.session_generation (part of the auth hash).
NHI_SESSION_IDLE_MINUTES = env_int("NHI_SESSION_IDLE_MINUTES", 30, minimum=5, maximum=240)
NHI_SESSION_MAX_HOURS = env_int("NHI_SESSION_MAX_HOURS", 12, minimum=1, maximum=24)
SESSION_COOKIE_AGE = NHI_SESSION_MAX_HOURS * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Sign-in lockout (django-axes, database handler): NHI_SIGNIN_FAILURE_LIMIT wrong passwords for one
# user name lock it for NHI_SIGNIN_LOCKOUT_MINUTES; every failure and lockout is a SecurityEvent.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env_int("NHI_SIGNIN_FAILURE_LIMIT", 5, minimum=3, maximum=20)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("NHI_SIGNIN_LOCKOUT_MINUTES", 30, minimum=5, maximum=1440))
# By user name; by client address as well only where staff PCs reach the portal with their own
# addresses (NHI_SIGNIN_LOCK_BY_ADDRESS=1). Behind one NAT address, five typos anywhere in the
# office would lock everyone out, so the default is user name only and axes' warning about it
# (W006) is silenced on purpose: password spraying meets the 12-character password rules, 2FA for
# every role above clerk, and the failures in the auditors' sign-in log.
NHI_SIGNIN_LOCK_BY_ADDRESS = env_bool("NHI_SIGNIN_LOCK_BY_ADDRESS", False)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"] if NHI_SIGNIN_LOCK_BY_ADDRESS else ["username"]
SILENCED_SYSTEM_CHECKS = [] if NHI_SIGNIN_LOCK_BY_ADDRESS else ["axes.W006"]
# The embedded SQLite default builds covering indexes (resident_named_idx) without their INCLUDE
# columns; they are for PostgreSQL's index-only scans at millions of rows.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    SILENCED_SYSTEM_CHECKS.append("models.W040")
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "nhi_portal.security.signin.lockout_response"
AXES_CLIENT_IP_CALLABLE = "nhi_portal.audit.client_ip"
AXES_VERBOSE = False  # our own SecurityEvent and log line say it, without the password fields
# Clients behind this many trusted reverse proxies: the client address is that far from the right
# of X-Forwarded-For (0: REMOTE_ADDR is the client).
NHI_TRUSTED_PROXY_COUNT = env_int("NHI_TRUSTED_PROXY_COUNT", 0, minimum=0, maximum=5)

# Two-factor sign-in (django-otp, TOTP). Required for these roles and for superusers; clerks opt in.
NHI_TWO_FACTOR_ROLES = ("supervisor", "auditor", "administrator")
OTP_TOTP_ISSUER = env_str("NHI_TOTP_ISSUER", "国保加入促進ポータル")

# The access log's monthly summary (nhi_portal.auditing.summary): office hours in JST, the factor
# over the peers' median that counts as unusual, and how many people in one read is a bulk read.
NHI_OFFICE_HOURS_START = env_int("NHI_OFFICE_HOURS_START", 8, minimum=0, maximum=23)
NHI_OFFICE_HOURS_END = env_int("NHI_OFFICE_HOURS_END", 19, minimum=1, maximum=24)
NHI_AUDIT_PEER_FACTOR = env_float("NHI_AUDIT_PEER_FACTOR", 3.0, minimum=1.5)
NHI_AUDIT_MIN_PEOPLE = env_int("NHI_AUDIT_MIN_PEOPLE", 20, minimum=1)
NHI_AUDIT_BULK_PEOPLE = env_int("NHI_AUDIT_BULK_PEOPLE", 100, minimum=2)

# Retention (DOMAIN §2): ISA records and pension lists, with their matching data, are purged
# NHI_RETENTION_YEARS after their data month (nhi_portal.retention); only counts are kept.
NHI_RETENTION_YEARS = env_int("NHI_RETENTION_YEARS", 5, minimum=1, maximum=30)
NHI_RETENTION_HOUR = env_int("NHI_RETENTION_HOUR", 4, minimum=0, maximum=23)

# API tokens (one per user, django-rest-knox: only a digest is stored): expire after
# NHI_API_TOKEN_DAYS; revoked on the account page or by an administrator. Unauthenticated and
# failed-token requests share a lower rate.
NHI_API_TOKEN_DAYS = env_int("NHI_API_TOKEN_DAYS", 365, minimum=1, maximum=3650)
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=NHI_API_TOKEN_DAYS),
    "AUTO_REFRESH": False,
    "AUTH_HEADER_PREFIX": "Token",
}

REST_FRAMEWORK = {
    # Token first: an anonymous call answers 401 with WWW-Authenticate: Token.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "nhi_portal.security.tokens.PortalTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["nhi_portal.access.PortalApiPermission"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": env_str("NHI_API_RATE", "600/minute"),
        "anon": env_str("NHI_API_ANON_RATE", "30/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "NHI Portal API",
    "DESCRIPTION": "国民健康保険 加入促進ポータル API. Every list and detail is scoped to the caller's municipality.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ImportKindEnum": "nhi_portal.models.ImportKind",
        "UploadKindEnum": "enrollment.intake.forms.PEOPLE_KINDS",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "nhi_portal.api_schema.document_error_responses",
    ],
}

# Celery: eager (in-process) unless a broker is configured.
_broker = env_str("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not _broker)
CELERY_BROKER_URL = _broker or "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 30 * 60, minimum=60)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 30
# Longer than the longest task, so a task is never redelivered while it still runs.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT * 2}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
NHI_NIGHTLY_HOUR = env_int("NHI_NIGHTLY_HOUR", 2, minimum=0, maximum=23)

# Matching thresholds (shown in the UI) as probabilities: the precision automatic matches must reach
# (each run sets its automatic-match probability from it and its fitted model), and the probability
# from which a reading of a record is plausible (a supervisor is asked only when plausible readings
# lead to different letters). See docs/matching.md.
NHI_MATCH_TARGET_PRECISION = env_float("NHI_MATCH_TARGET_PRECISION", 0.9995, minimum=0.5, maximum=0.999999)
NHI_MATCH_REVIEW_PROBABILITY = env_float("NHI_MATCH_REVIEW_PROBABILITY", 0.02, minimum=0.0001, maximum=0.49)
NHI_MATCH_CHUNK_SIZE = env_int("NHI_MATCH_CHUNK_SIZE", 2000, minimum=10)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "nhi_portal.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": env_str("NHI_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint and fontTools log a line per page and font at INFO: the workers' logs would
        # drown in them. Their warnings (a missing glyph, a broken image) still show.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Live job progress (nhi_portal.jobs) and rate limits: Redis when the real services are used,
# local memory in the embedded default (where jobs run in the web process).
NHI_CACHE_URL = env_str(
    "NHI_CACHE_URL", _broker.rsplit("/", 1)[0] + "/1" if _broker.startswith("redis") else ""
)
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": NHI_CACHE_URL}
        if NHI_CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

CELERY_BEAT_SCHEDULE = {
    "nightly-batch": {
        "task": "nhi_portal.tasks.nightly_start_all",
        "schedule": crontab(hour=NHI_NIGHTLY_HOUR, minute=0),
    },
    "retention-purge": {
        "task": "nhi_portal.tasks.retention_purge_all",
        "schedule": crontab(hour=NHI_RETENTION_HOUR, minute=30),
    },
    # Today's letter variants laid out before a clerk previews them (the issue date is part of
    # a letter's text, so yesterday's bodies do not serve).
    "letters-warm": {
        "task": "enrollment.cases.printing_tasks.warm_letter_bodies_all_task",
        "schedule": crontab(hour=0, minute=5),
    },
    # Picks up nightly runs and match runs left waiting by a killed worker or a restarted Redis.
    "watchdog": {"task": "nhi_portal.tasks.watchdog_task", "schedule": 60.0},
}
# A run with no progress for this long is picked up again by the watchdog.
NHI_STALL_SECONDS = env_int("NHI_STALL_SECONDS", 120, minimum=5, maximum=3600)
# Letter rendering starts worker processes of its own, which a prefork child (daemonic) cannot:
# it gets a queue served by a solo worker (see docker-compose.yml, docs/operations.md).
CELERY_TASK_ROUTES = {
    "enrollment.cases.printing_tasks.render_print_batch_task": {"queue": "letters"},
    "enrollment.cases.printing_tasks.warm_letter_bodies_all_task": {"queue": "letters"},
    "enrollment.cases.printing_tasks.warm_letter_bodies_task": {"queue": "letters"},
}

# Reminder cases and letters (enrollment.cases). The first reminder's deadline is at least one
# month after the sending date, the second's at least 14 days (DOMAIN §3).
NHI_FIRST_REMINDER_DAYS = env_int("NHI_FIRST_REMINDER_DAYS", 31, minimum=28, maximum=120)
NHI_SECOND_REMINDER_DAYS = env_int("NHI_SECOND_REMINDER_DAYS", 14, minimum=14, maximum=90)
# The envelope window (mm from the sheet's top-left corner) for 長形3号 window envelopes.
NHI_LETTER_WINDOW_LEFT_MM = env_float("NHI_LETTER_WINDOW_LEFT_MM", 20.0, minimum=0, maximum=120)
NHI_LETTER_WINDOW_TOP_MM = env_float("NHI_LETTER_WINDOW_TOP_MM", 12.0, minimum=0, maximum=80)
NHI_LETTER_WINDOW_WIDTH_MM = env_float("NHI_LETTER_WINDOW_WIDTH_MM", 90.0, minimum=40, maximum=180)
NHI_LETTER_WINDOW_HEIGHT_MM = env_float("NHI_LETTER_WINDOW_HEIGHT_MM", 45.0, minimum=20, maximum=90)
# Laid-out letter bodies (no personal data), shared by every process so that a preview does not
# lay one out again (enrollment/letters/bodystore.py); the letters worker fills it each day.
NHI_LETTER_BODY_DIR = DATA_DIR / "letter-bodies"
