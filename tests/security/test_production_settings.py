"""Production settings, as `check --deploy` cannot see all of them: a Content Security Policy
without unsafe-inline, secure __Host- cookies, HSTS, the session limits, lockout and 2FA wired in.
(`check --deploy --fail-level WARNING` itself: tests/portal/test_settings_and_deploy.py.)"""

from __future__ import annotations

import json
import secrets

from tests.portal.test_settings_and_deploy import manage

PRINT = """
import json
from django.conf import settings as s
from django.utils.csp import build_policy
print(json.dumps({
    "csp": build_policy(s.SECURE_CSP),
    "session_cookie": [s.SESSION_COOKIE_NAME, s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE],
    "csrf_cookie": [s.CSRF_COOKIE_NAME, s.CSRF_COOKIE_SECURE, s.CSRF_COOKIE_HTTPONLY],
    "hsts": [s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD, s.SECURE_SSL_REDIRECT],
    "session": [s.SESSION_COOKIE_AGE, s.SESSION_EXPIRE_AT_BROWSER_CLOSE, s.NHI_SESSION_IDLE_MINUTES],
    "middleware": s.MIDDLEWARE,
    "backends": s.AUTHENTICATION_BACKENDS,
    "axes": [s.AXES_HANDLER, s.AXES_FAILURE_LIMIT],
    "debug": s.DEBUG,
    "retention": s.NHI_RETENTION_YEARS,
}))
"""


def production(tmp_path, **extra) -> dict:
    env = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "nhi.example.lg.jp",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/nhi_portal",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "NHI_DATA_DIR": str(tmp_path),
        **extra,
    }
    result = manage("shell", "--no-imports", "-c", PRINT, env=env, settings="nhi_portal.settings.production")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_settings_keep_the_security_promises(tmp_path):
    s = production(tmp_path)
    assert "unsafe-inline" not in s["csp"] and "unsafe-eval" not in s["csp"]
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'",
                      "frame-ancestors 'none'", "img-src 'self' data:", "upgrade-insecure-requests"):  # fmt: skip
        assert directive in s["csp"]
    assert s["session_cookie"] == ["__Host-sessionid", True, True, "Lax"]
    assert s["csrf_cookie"] == ["__Host-csrftoken", True, True]
    assert s["hsts"] == [31536000, True, True, True]
    assert s["session"] == [12 * 3600, True, 30]
    middleware = s["middleware"]
    assert middleware[-1] == "axes.middleware.AxesMiddleware"
    order = [middleware.index(m) for m in (
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django_otp.middleware.OTPMiddleware",
        "nhi_portal.middleware.SessionTimeoutMiddleware",
        "nhi_portal.middleware.PortalLoginRequiredMiddleware",
        "nhi_portal.middleware.TwoFactorRequiredMiddleware",
    )]  # fmt: skip
    assert order == sorted(order)
    assert s["backends"][0] == "axes.backends.AxesStandaloneBackend"
    assert s["axes"] == ["axes.handlers.database.AxesDatabaseHandler", 5]
    assert s["debug"] is False and s["retention"] == 5


def test_the_retention_period_and_session_limits_come_from_the_environment(tmp_path):
    s = production(tmp_path, NHI_RETENTION_YEARS="7", NHI_SESSION_IDLE_MINUTES="15")
    assert s["retention"] == 7 and s["session"][2] == 15
    bad = manage("check", env={"NHI_RETENTION_YEARS": "0", "NHI_DATA_DIR": str(tmp_path)})
    assert bad.returncode != 0 and "NHI_RETENTION_YEARS='0' is invalid" in bad.stderr
