"""Request id for logs and audit entries; session limits; sign-in required on every page but the
sign-in page; two-factor sign-in before anything else for the roles that need it; the request
size limit; no-store on every answer; the municipality wall's request scope."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import add_never_cache_headers

from nhi_portal.logging import request_id_var
from nhi_portal.scoping import request_scope
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


def _open_to_visitors(path: str) -> bool:
    """The page needs no sign-in (Django's login_not_required); unknown paths answer 404 unread."""
    try:
        match = resolve(path)
    except Resolver404:
        return True
    return not getattr(match.func, "login_required", True)


def _content_length(request) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


class RequestSizeLimitMiddleware:
    """Refuses an oversized body from its Content-Length, before a byte of it is read (Django
    would otherwise parse it, and spool files to disk, as soon as CSRF or a form asks for POST).

    A visitor who is not signed in (no session user, no API `Authorization` header) has the body
    of a request read only by the pages open to visitors (the sign-in page), and only up to
    NHI_ANONYMOUS_MAX_BODY_BYTES; anywhere else the answer is what a visitor gets anyway — the
    sign-in page, or 401 from the API — with the body unread. A signed-in request may carry at most
    NHI_MAX_REQUEST_BYTES (the upload limit plus room for the form). The reverse proxy refuses
    the same size first (docs/deploy.md)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = _content_length(request)
        if length:
            refusal = self.refusal(request, length)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def refusal(self, request, length: int):
        api = request.path.startswith(API_PREFIX)
        user = getattr(request, "user", None)
        signed_in = (user is not None and user.is_authenticated) or (
            api and "authorization" in request.headers
        )
        if not signed_in:
            if api:
                return JsonResponse(
                    {"detail": "認証情報がありません。APIトークンを付けて送り直してください。"}, status=401
                )
            if _open_to_visitors(request.path_info):
                if length <= settings.NHI_ANONYMOUS_MAX_BODY_BYTES:
                    return None
                return HttpResponse(
                    "送信されたデータが大きすぎます。ページを開き直して、もう一度入力してください。",
                    status=413,
                    content_type="text/plain; charset=utf-8",
                )
            return redirect_to_login(request.get_full_path())
        if length <= settings.NHI_MAX_REQUEST_BYTES:
            return None
        limit_mb = settings.NHI_MAX_UPLOAD_BYTES // (1024 * 1024)
        message = (
            f"送信されたデータが大きすぎます（{length // (1024 * 1024):,} MB、上限 {limit_mb:,} MB）。"
            "ファイルを分けて送るか、システム管理者に上限の変更を相談してください。"
        )
        if api:
            return JsonResponse({"detail": message}, status=413)
        return render(request, "portal/request_too_large.html", {"message": message}, status=413)


class NoStoreMiddleware:
    """Every page and API answer may hold personal data: no browser or proxy may keep a copy
    (`Cache-Control: no-store, private`), unless the view chose its own caching. Static files are
    answered by WhiteNoise before this and stay cacheable."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response


class MunicipalityScopeMiddleware:
    """Runs the request inside the municipality wall's request scope (nhi_portal.scoping): every
    query on a municipality-owned model sees only the signed-in user's municipality (none for a
    visitor). The user is read per query, so an API token authenticated in the view counts."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with request_scope(request):
            response = self.get_response(request)
        if response.streaming:
            response.streaming_content = _scoped_stream(request, response.streaming_content)
        return response


def _scoped_stream(request, content):
    with request_scope(request):
        yield from content
