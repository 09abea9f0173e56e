"""Session limits: a session ends after NHI_SESSION_IDLE_MINUTES without a request and
NHI_SESSION_MAX_HOURS after signing in, whatever happens. The sign-in time and the last request
are kept in the session (epoch seconds); the middleware checks them on every request.

"Sign out everywhere" bumps `User.session_generation`, which is part of the session auth hash,
so every session of the user — on every PC — fails verification on its next request."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout
from django.db.models import F

from nhi_portal.models import SecurityEventKind, User
from nhi_portal.security.events import record_event

SIGNED_IN_AT = "nhi_signed_in_at"
LAST_SEEN_AT = "nhi_last_seen_at"
# The last request is written back at most this often, so a page does not always write its session.
TOUCH_EVERY_SECONDS = 60

IDLE = "idle"
ABSOLUTE = "absolute"
MESSAGES = {
    IDLE: "{minutes}分以上操作がなかったため、ログアウトしました。もう一度ログインしてください。",
    ABSOLUTE: "ログインしてから{hours}時間が過ぎたため、ログアウトしました。もう一度ログインしてください。",
}


def start(session, now: float | None = None) -> None:
    now = time.time() if now is None else now
    session[SIGNED_IN_AT] = now
    session[LAST_SEEN_AT] = now


def expiry_reason(session, now: float | None = None) -> str | None:
    """IDLE or ABSOLUTE when the session is over; None while it may go on. A session without the
    timestamps (made before they existed, or by hand) counts as over."""
    now = time.time() if now is None else now
    signed_in = session.get(SIGNED_IN_AT)
    last_seen = session.get(LAST_SEEN_AT)
    if not isinstance(signed_in, int | float) or not isinstance(last_seen, int | float):
        return ABSOLUTE
    if now - signed_in > settings.NHI_SESSION_MAX_HOURS * 3600:
        return ABSOLUTE
    if now - last_seen > settings.NHI_SESSION_IDLE_MINUTES * 60:
        return IDLE
    return None


def touch(session, now: float | None = None) -> None:
    now = time.time() if now is None else now
    if now - session.get(LAST_SEEN_AT, 0) >= TOUCH_EVERY_SECONDS:
        session[LAST_SEEN_AT] = now


def expired_message(reason: str) -> str:
    return MESSAGES[reason].format(
        minutes=settings.NHI_SESSION_IDLE_MINUTES, hours=settings.NHI_SESSION_MAX_HOURS
    )


def end_expired(request, reason: str) -> None:
    user = request.user
    record_event(SecurityEventKind.SESSION_EXPIRED, request=request, user=user, detail=reason)
    logout(request)


def sign_out_everywhere(*, user: User, request=None) -> None:
    """End every session of the user, this one included."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    record_event(SecurityEventKind.SIGNED_OUT_EVERYWHERE, request=request, user=user)
    if request is not None and getattr(request, "user", None) is not None and request.user.pk == user.pk:
        logout(request)
