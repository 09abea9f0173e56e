"""The account page (アカウント): who I am, two-factor sign-in, sign out everywhere, my API token,
and my recent sign-in events. Every user may open it; only their own things are on it."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views import View

from nhi_portal.access import has_portal_permission
from nhi_portal.models import SecurityEvent
from nhi_portal.security import sessions, tokens, twofactor

# An API token only makes sense for someone whose permissions the API serves.
API_PERMISSIONS = ("import_files", "view_people")


def may_use_api(user) -> bool:
    return any(has_portal_permission(user, p) for p in API_PERMISSIONS)


def render_account(request, *, new_key: str = "", status: int = 200):
    user = request.user
    token = tokens.token_for(user)
    response = render(
        request,
        "portal/account.html",
        {
            "otp_required": twofactor.role_requires(user),
            "otp_device": twofactor.has_device(user),
            "may_use_api": may_use_api(user),
            "token": token,
            "token_expires": tokens.token_expires_at(token) if token else None,
            "new_key": new_key,
            "events": SecurityEvent.objects.filter(user=user).order_by("-at", "-id")[:10],
            "nav_section": "account",
        },
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response


class AccountView(View):
    def get(self, request):
        return render_account(request)


class SignOutEverywhereView(View):
    """POST: end every session of this user, on every PC, this one included."""

    def post(self, request):
        sessions.sign_out_everywhere(user=request.user, request=request)
        messages.success(request, "すべての端末からログアウトしました。")
        return redirect("login")


class TokenCreateView(View):
    """POST: a new API token, shown once on the page that answers (never stored in a message)."""

    def post(self, request):
        if not may_use_api(request.user):
            messages.error(request, "あなたの役割ではAPIを使えません。")
            return redirect("account")
        key = tokens.token_create(user=request.user, request=request)
        return render_account(request, new_key=key)


class TokenRevokeView(View):
    def post(self, request):
        if tokens.token_revoke(user=request.user, request=request, by=request.user):
            messages.success(request, "APIトークンを無効にしました。")
        return redirect("account")
