"""Production settings: everything secret or site-specific must come from the environment
(docs/deploy.md lists the variables); `manage.py check --deploy` reports no issues."""

from nhi_portal.env import env_bool, env_int, env_list, env_str
from nhi_portal.settings.base import *

DEBUG = False
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("dev-only"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be a random value of at least 50 characters in production."
    )
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", [])
if not ALLOWED_HOSTS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS is required in production (comma-separated host names).")
if not USING_POSTGRES:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("Production runs on PostgreSQL: set DATABASE_URL=postgres://…")
if not env_str("CELERY_BROKER_URL", ""):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "Production needs a Celery broker: set CELERY_BROKER_URL=redis://… "
        "(without one, imports, matching and letters would run inside web requests)."
    )
# Tasks always go to the workers in production, whatever CELERY_TASK_ALWAYS_EAGER says.
CELERY_TASK_ALWAYS_EAGER = False

SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000, minimum=3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
# __Host- cookies: sent over HTTPS only, for this host only (no Domain), for the whole site.
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
# Browsers upgrade any stray http:// sub-resource; the rest of the policy is base's (no unsafe-inline).
SECURE_CSP = {**SECURE_CSP, "upgrade-insecure-requests": True}
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
