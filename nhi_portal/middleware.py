"""Request id for logs and audit entries; session limits; sign-in required on every page but the
sign-in page; two-factor sign-in before anything else for the roles that need it."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.urls import reverse

from nhi_portal.logging import request_id_var
from nhi_portal.security import sessions, twofactor

API_PREFIX = "/api/"


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class SessionTimeoutMiddleware:
    """Ends a signed-in session after NHI_SESSION_IDLE_MINUTES idle or NHI_SESSION_MAX_HOURS in all
    (the times are in the session, see nhi_portal.security.sessions); the next page then asks
    the user to sign in again, saying why."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            reason = sessions.expiry_reason(request.session)
            if reason:
                request.nhi_logout_recorded = True
                sessions.end_expired(request, reason)
                if not request.path.startswith(API_PREFIX):
                    messages.info(request, sessions.expired_message(reason))
            else:
                sessions.touch(request.session)
        return self.get_response(request)


class PortalLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Django's sign-in-required middleware, except for the API, which answers 401/403 itself (DRF)."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(API_PREFIX):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class TwoFactorRequiredMiddleware:
    """For a signed-in user whose role needs 2FA (or who opted in) and who has not yet entered a
    code in this session: only the 2FA pages and sign-out answer; pages redirect to the code
    (or, the first time, to the setup page); the API answers 403."""

    allowed = {"otp-setup", "otp-verify", "logout", "healthz"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        api = request.path.startswith(API_PREFIX)
        if not api and not getattr(view_func, "login_required", True):
            return None  # the sign-in page and health check (DRF marks every API view so too)
        match = request.resolver_match
        if match is not None and match.url_name in self.allowed and not match.namespace:
            return None
        if not twofactor.required(request) or twofactor.is_verified(request):
            return None
        if api:
            return JsonResponse(
                {"detail": "2段階認証が済んでいません。画面からログインして確認コードを入力してください。"},
                status=403,
            )
        step = "otp-verify" if twofactor.has_device(user) else "otp-setup"
        return redirect_to_login(request.get_full_path(), reverse(step))
