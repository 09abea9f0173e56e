"""The record of sign-in and credential events (SecurityEvent): one helper, used everywhere."""

from __future__ import annotations

import logging

from nhi_portal.audit import client_ip
from nhi_portal.models import SecurityEvent, SecurityEventKind, User

logger = logging.getLogger("nhi_portal.security")


def record_event(
    kind: SecurityEventKind | str,
    *,
    request=None,
    user: User | None = None,
    username: str = "",
    detail: str = "",
) -> SecurityEvent:
    """Write one SecurityEvent (and one log line). Never pass a password, code or token here."""
    if user is not None and not getattr(user, "pk", None):
        user = None
    if user is not None and not username:
        username = user.get_username()
    if user is None and username:
        user = User.objects.filter(username=username).first()
    event = SecurityEvent.objects.create(
        kind=kind,
        user=user,
        username=username[:150],
        municipality_id=getattr(user, "municipality_id", None),
        ip_address=client_ip(request) if request is not None else None,
        request_id=getattr(request, "request_id", "") if request is not None else "",
        detail=detail[:200],
    )
    logger.info("security event %s user=%s", event.kind, event.user_id or "-")
    return event
