"""API tokens (APIトークン): django-rest-knox's AuthToken, one per user, stored as a SHA-512 digest
only (the key is shown once and cannot be read back from the database). A token acts as its user,
so it reaches exactly what the user may reach in their municipality — no more. It is refused when
the user is inactive, has no municipality, or the token is older than NHI_API_TOKEN_DAYS; users
revoke it on their account page, administrators in the admin site (also when a user moves or is
disabled). Callers send `Authorization: Token <key>`, as before.

Rate limits: the user's rate (DRF UserRateThrottle, NHI_API_RATE) once signed in; before that, one
lower rate per client address (NHI_API_ANON_RATE) shared by anonymous calls and failed tokens, so
guessing tokens is slow."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication
from knox.models import AuthToken
from knox.settings import knox_settings
from rest_framework import exceptions
from rest_framework.authentication import get_authorization_header
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from nhi_portal.audit import client_ip
from nhi_portal.models import SecurityEventKind, User
from nhi_portal.security.events import record_event

logger = logging.getLogger("nhi_portal.security")


class UnauthenticatedThrottle(SimpleRateThrottle):
    """One bucket per client address for calls that are not (yet) a known user."""

    scope = "anon"

    def get_rate(self):
        # Read now, not at import (DRF binds THROTTLE_RATES when the class is defined).
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request):
        return client_ip(request) or ""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": "unauthenticated", "ident": self.get_ident(request)}

    def over_limit(self, request) -> bool:
        self.key = self.get_cache_key(request, None)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        return len(self.history) >= self.num_requests

    def record(self, request) -> None:
        if not hasattr(self, "history"):
            self.over_limit(request)
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)


def throttle_unauthenticated(request) -> None:
    """Count one unauthenticated call from this address; raise Throttled over the rate."""
    throttle = UnauthenticatedThrottle()
    if throttle.over_limit(request):
        raise exceptions.Throttled(wait=throttle.wait())
    throttle.record(request)


def token_expires_at(token: AuthToken):
    lifetime = token.created + timedelta(days=settings.NHI_API_TOKEN_DAYS)
    return min(lifetime, token.expiry) if token.expiry else lifetime


class PortalTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`; refusals are counted against the caller's address."""

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.authenticate_header(request).lower().encode():
            return None
        throttle = UnauthenticatedThrottle()
        if throttle.over_limit(request):
            raise exceptions.Throttled(wait=throttle.wait())
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            throttle.record(request)
            raise

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        problem = ""
        if not user.municipality_id:
            problem = "no municipality"
        elif timezone.now() >= token_expires_at(token):
            problem = "expired"
        if problem:
            record_event(SecurityEventKind.TOKEN_REFUSED, user=user, detail=problem)
            raise exceptions.AuthenticationFailed(
                "このトークンは使えません（期限切れ、または所属がありません）。"
            )
        return user, token


class PortalTokenScheme(OpenApiAuthenticationExtension):
    """The API schema documents `Authorization: Token <key>` as before (drf-spectacular's knox
    extension does not match subclasses, nor keeps the scheme's name)."""

    target_class = PortalTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        keyword = knox_settings.AUTH_HEADER_PREFIX
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix=keyword)


def token_for(user: User) -> AuthToken | None:
    return AuthToken.objects.filter(user=user).order_by("-created").first()


@transaction.atomic
def token_create(*, user: User, request=None) -> str:
    """A new token for the user; an earlier one stops working. Returns the key, to be shown once:
    only its digest is stored."""
    AuthToken.objects.filter(user=user).delete()
    _, key = AuthToken.objects.create(user=user, expiry=timedelta(days=settings.NHI_API_TOKEN_DAYS))
    record_event(SecurityEventKind.TOKEN_CREATED, request=request, user=user)
    return key


@transaction.atomic
def token_revoke(*, user: User, request=None, by: User | None = None) -> bool:
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    if deleted:
        detail = "" if by is None or by.pk == user.pk else f"by user {by.pk}"
        record_event(SecurityEventKind.TOKEN_REVOKED, request=request, user=user, detail=detail)
    return bool(deleted)
