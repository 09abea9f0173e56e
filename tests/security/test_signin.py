"""Signing in as staff meet it: lockout after repeated failures (in Japanese, recorded), two-factor
sign-in by role (first time: a QR code), sessions that end when idle or too old, signing out
everywhere, and API tokens that can be revoked and are rate limited before authentication."""

from __future__ import annotations

import base64
import logging
import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from nhi_portal.models import SecurityEvent, SecurityEventKind
from nhi_portal.security import sessions
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

PASSWORD = "test-password-123"  # tests.factories.UserFactory


def sign_in(client: Client, username: str, password: str = PASSWORD, next_url: str = ""):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def kinds(user=None, **filters) -> list[str]:
    events = SecurityEvent.objects.filter(**filters)
    if user is not None:
        events = events.filter(user=user)
    return list(events.order_by("id").values_list("kind", flat=True))


# Lockout ------------------------------------------------------------------------------------


def test_repeated_wrong_passwords_lock_the_user_name_and_say_so_in_japanese(clerk):
    client = Client()
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        response = sign_in(client, "clerk", "wrong-password-000")
        assert response.status_code == 200
        assert "ユーザー名またはパスワードが違います" in response.content.decode()
    locked = sign_in(client, "clerk", "wrong-password-000")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "ログインが一時的にロックされています" in page
    assert f"{settings.AXES_COOLOFF_TIME.seconds // 60}分間ログインできません" in page

    # Locked: even the right password does not get in, until the time is up.
    assert sign_in(client, "clerk").status_code == 429
    assert not client.session.get("_auth_user_id")
    assert kinds(username="clerk").count(SecurityEventKind.SIGNIN_FAILED) >= limit
    assert SecurityEventKind.LOCKED_OUT in kinds(username="clerk")
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.LOCKED_OUT, user=clerk).exists()

    # Another user name from the same PC is not locked (lockout is per user name).
    other = Client()
    assert sign_in(other, "nobody-else", "x").status_code == 200

    # After the cool-off period, the right password works again.
    AccessAttempt.objects.filter(username="clerk").update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )
    response = sign_in(client, "clerk")
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")


def test_an_administrator_unlocks_a_user_name_by_deleting_its_attempts(clerk):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "clerk", "wrong-password-000")
    assert sign_in(client, "clerk").status_code == 429
    AccessAttempt.objects.filter(username="clerk").delete()  # what the admin's delete does
    assert sign_in(client, "clerk").status_code == 302


# Two-factor sign-in ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "needs_code"),
    [("clerk", False), ("supervisor", True), ("auditor", True), ("administrator", True)],
)
def test_two_factor_sign_in_is_required_by_role(role, needs_code, municipality):
    from tests.conftest import _persona

    user = _persona(role, municipality, f"user_{role}")
    client = Client()
    response = sign_in(client, user.username)
    assert response.status_code == 302
    if not needs_code:
        assert response["Location"] == reverse("dashboard")
        assert client.get(reverse("dashboard")).status_code == 200
        return
    # No device yet: the first sign-in goes to the setup page; nothing else answers meanwhile.
    assert response["Location"].startswith(reverse("otp-setup"))
    blocked = client.get(reverse("dashboard"))
    assert blocked.status_code == 302 and blocked["Location"].startswith(reverse("otp-setup"))
    assert client.get(reverse("account")).status_code == 302
    assert client.get(reverse("access-log")).status_code == 302
    assert client.get("/admin/").status_code == 302
    api = client.get("/api/batches/")
    assert api.status_code == 403 and "2段階認証" in api.json()["detail"]
    # With a device: the code page.
    TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client = Client()
    response = sign_in(client, user.username)
    assert response["Location"].startswith(reverse("otp-verify"))
    assert client.get(reverse("dashboard"))["Location"].startswith(reverse("otp-verify"))


class Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@pytest.fixture
def log_lines():
    handler, root = Collect(), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler.lines
    root.removeHandler(handler)
    root.setLevel(level)


def test_the_first_sign_in_of_a_supervisor_scans_a_qr_code_and_confirms_a_code(supervisor, log_lines):
    client = Client()
    response = sign_in(client, "supervisor", next_url=reverse("review-queue"))
    setup = client.get(response["Location"])
    page = setup.content.decode()
    assert setup.status_code == 200
    assert '<img src="data:image/svg+xml;base64,' in page
    assert setup["Cache-Control"] == "no-store"
    policy = setup["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "img-src 'self' data:" in policy
    assert "<script>" not in page and " style=" not in page
    device = TOTPDevice.objects.get(user=supervisor, confirmed=False)
    svg = base64.b64decode(page.split("data:image/svg+xml;base64,")[1].split('"')[0])
    assert svg.startswith(b"<?xml") or b"<svg" in svg[:200]

    wrong = client.post(reverse("otp-setup"), {"code": "000000", "next": reverse("review-queue")})
    assert wrong.status_code == 400
    assert "確認コードが違います" in wrong.content.decode()
    device.refresh_from_db()
    device.throttle_reset()
    done = client.post(reverse("otp-setup"), {"code": code_for(device), "next": reverse("review-queue")})
    assert done.status_code == 302 and done["Location"] == reverse("review-queue")
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("review-queue")).status_code == 200
    assert SecurityEventKind.OTP_DEVICE_ADDED in kinds(supervisor)
    # Nothing secret in the logs: neither the key nor the code.
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    logged = "\n".join(log_lines)
    assert "security event otp_device_added" in logged
    assert secret not in logged and device.key not in logged


def test_the_code_step_accepts_a_current_code_and_refuses_a_wrong_one(supervisor):
    device = TOTPDevice.objects.create(user=supervisor, name="app", confirmed=True)
    client = Client()
    sign_in(client, "supervisor")
    wrong = client.post(reverse("otp-verify"), {"code": "123456"})
    assert wrong.status_code == 400
    assert "確認コードが違うか、時間が過ぎています" in wrong.content.decode()
    assert client.get(reverse("dashboard")).status_code == 302
    device.refresh_from_db()
    device.throttle_reset()
    right = client.post(reverse("otp-verify"), {"code": code_for(device)})
    assert right.status_code == 302 and right["Location"] == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200
    assert kinds(supervisor)[-2:] == [SecurityEventKind.OTP_FAILED, SecurityEventKind.OTP_VERIFIED]
    # The same code cannot be used twice (a second sign-in needs the next one).
    again = Client()
    sign_in(again, "supervisor")
    assert again.post(reverse("otp-verify"), {"code": code_for(device)}).status_code == 400


def test_a_clerk_may_opt_in_and_is_then_asked_for_a_code(clerk):
    client = signed_in(clerk)
    # Every page's header leads to the account page (two-factor, sign out everywhere, tokens).
    assert f'href="{reverse("account")}"' in client.get(reverse("case-list")).content.decode()
    assert "認証アプリを登録する" in client.get(reverse("account")).content.decode()
    client.get(reverse("otp-setup"))
    device = TOTPDevice.objects.get(user=clerk)
    assert client.post(reverse("otp-setup"), {"code": code_for(device)}).status_code == 302

    later = Client()
    assert sign_in(later, "clerk")["Location"].startswith(reverse("otp-verify"))
    assert later.get(reverse("case-list")).status_code == 302

    # Opting out again (from a verified session).
    assert client.post(reverse("otp-remove")).status_code == 302
    assert not TOTPDevice.objects.filter(user=clerk).exists()
    assert sign_in(Client(), "clerk")["Location"] == reverse("dashboard")


def test_a_supervisor_cannot_opt_out(supervisor):
    client = signed_in(supervisor)
    client.post(reverse("otp-remove"))
    assert TOTPDevice.objects.filter(user=supervisor).exists()


# Sessions -------------------------------------------------------------------------------------


def age_session(client: Client, *, signed_in_ago: float, idle_for: float) -> None:
    session = client.session
    now = time.time()
    session[sessions.SIGNED_IN_AT] = now - signed_in_ago
    session[sessions.LAST_SEEN_AT] = now - idle_for
    session.save()


def test_a_session_ends_after_thirty_minutes_idle(clerk):
    client = signed_in(clerk)
    age_session(client, signed_in_ago=3600, idle_for=29 * 60)
    assert client.get(reverse("dashboard")).status_code == 200  # 29 minutes: still on

    age_session(client, signed_in_ago=3600, idle_for=31 * 60)
    response = client.get(reverse("case-list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    page = client.get(response["Location"]).content.decode()
    assert "30分以上操作がなかったため、ログアウトしました" in page
    assert client.get(reverse("case-list")).status_code == 302  # really signed out
    assert SecurityEvent.objects.filter(
        user=clerk, kind=SecurityEventKind.SESSION_EXPIRED, detail="idle"
    ).exists()


def test_a_session_ends_twelve_hours_after_signing_in_even_when_busy(clerk):
    client = signed_in(clerk)
    age_session(client, signed_in_ago=12 * 3600 - 60, idle_for=10)
    assert client.get(reverse("dashboard")).status_code == 200
    age_session(client, signed_in_ago=12 * 3600 + 1, idle_for=10)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert "12時間が過ぎたため" in client.get(response["Location"]).content.decode()


def test_the_api_with_an_expired_session_answers_403_not_a_page(clerk):
    client = signed_in(clerk)
    age_session(client, signed_in_ago=60, idle_for=31 * 60)
    assert client.get("/api/batches/").status_code in (401, 403)


def test_sign_out_everywhere_ends_every_session_of_the_user(clerk, supervisor):
    office, counter = signed_in(clerk), signed_in(clerk)
    colleague = signed_in(supervisor)
    response = office.post(reverse("account-sign-out-everywhere"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert office.get(reverse("dashboard")).status_code == 302
    assert counter.get(reverse("dashboard")).status_code == 302  # the other PC too
    assert colleague.get(reverse("dashboard")).status_code == 200  # nobody else
    assert SecurityEventKind.SIGNED_OUT_EVERYWHERE in kinds(clerk)
    # Signing in again works.
    assert sign_in(Client(), "clerk").status_code == 302


# API tokens ---------------------------------------------------------------------------------


def test_a_token_is_shown_once_acts_as_its_user_and_can_be_revoked(clerk):
    client = signed_in(clerk)
    created = client.post(reverse("account-token-create"))
    assert created.status_code == 200 and created["Cache-Control"] == "no-store"
    key = created.context["new_key"]
    assert key and key in created.content.decode()
    # Only a digest is stored: the key itself is nowhere in the database.
    stored = AuthToken.objects.get(user=clerk)
    assert key not in (stored.digest, stored.token_key) and stored.token_key == key[:15]
    assert key not in client.get(reverse("account")).content.decode()  # once only

    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/batches/").status_code == 200

    client.post(reverse("account-token-revoke"))
    assert not AuthToken.objects.filter(user=clerk).exists()
    refused = api.get("/api/batches/")
    assert refused.status_code == 401 and refused["WWW-Authenticate"] == "Token"
    assert kinds(clerk)[-2:] == [SecurityEventKind.TOKEN_CREATED, SecurityEventKind.TOKEN_REVOKED]


def test_an_old_token_or_one_of_a_user_without_municipality_is_refused(clerk):
    token, key = AuthToken.objects.create(user=clerk)
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/batches/").status_code == 200
    AuthToken.objects.filter(pk=token.pk).update(
        created=timezone.now() - timedelta(days=settings.NHI_API_TOKEN_DAYS, seconds=1)
    )
    assert api.get("/api/batches/").status_code == 401
    assert SecurityEvent.objects.filter(
        user=clerk, kind=SecurityEventKind.TOKEN_REFUSED, detail="expired"
    ).exists()
    AuthToken.objects.filter(pk=token.pk).update(created=timezone.now())
    clerk.municipality = None
    clerk.save()
    assert api.get("/api/batches/").status_code == 401


def test_auditors_and_administrators_get_no_api_token(auditor):
    client = signed_in(auditor)
    assert "APIトークン" not in client.get(reverse("account")).content.decode()
    client.post(reverse("account-token-create"))
    assert not AuthToken.objects.filter(user=auditor).exists()


def test_failed_tokens_and_anonymous_calls_share_a_low_rate_per_address(clerk, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "1000/minute", "anon": "3/minute"},
    }
    cache.clear()
    guessing = Client(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert [guessing.get("/api/batches/").status_code for _ in range(3)] == [401, 401, 401]
    assert guessing.get("/api/batches/").status_code == 429
    assert Client().get("/api/batches/").status_code == 429  # anonymous, same address
    elsewhere = Client(REMOTE_ADDR="10.0.0.9")
    assert elsewhere.get("/api/batches/").status_code == 401
    # A signed-in user has their own (higher) rate.
    _, key = AuthToken.objects.create(user=clerk)
    assert (
        Client(HTTP_AUTHORIZATION=f"Token {key}", REMOTE_ADDR="10.0.0.10").get("/api/batches/").status_code
        == 200
    )
    cache.clear()
