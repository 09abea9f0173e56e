"""Receivers: sign-in starts the session clock and notes whether 2FA applies; sign-in, sign-out,
failures and lockouts are written to the SecurityEvent record. Connected in PortalConfig.ready."""

from __future__ import annotations

import logging

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from nhi_portal.models import SecurityEventKind
from nhi_portal.security import sessions, twofactor
from nhi_portal.security.events import record_event

logger = logging.getLogger("nhi_portal.security")


@receiver(user_logged_in, dispatch_uid="nhi_portal.signed_in")
def signed_in(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    sessions.start(request.session)
    twofactor.note_opt_in(request, user)
    record_event(SecurityEventKind.SIGNED_IN, request=request, user=user)


@receiver(user_logged_out, dispatch_uid="nhi_portal.signed_out")
def signed_out(sender, request, user, **kwargs):
    if user is None or getattr(request, "nhi_logout_recorded", False):
        return
    record_event(SecurityEventKind.SIGNED_OUT, request=request, user=user)


@receiver(user_login_failed, dispatch_uid="nhi_portal.signin_failed")
def signin_failed(sender, credentials, request=None, **kwargs):
    # Django has already replaced the password with asterisks; only the user name is kept.
    username = str(credentials.get("username", ""))[:150]
    record_event(SecurityEventKind.SIGNIN_FAILED, request=request, username=username)


@receiver(user_locked_out, dispatch_uid="nhi_portal.locked_out")
def locked_out(sender, request, username, ip_address, **kwargs):
    logger.warning("sign-in locked out after repeated failures (user name %r)", username)
    record_event(SecurityEventKind.LOCKED_OUT, request=request, username=str(username or "")[:150])
