"""Signing in: the password page (Django's LoginView, lockout by django-axes), then on to the
two-factor step where the user's role or choice asks for it; the lockout page in Japanese."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render
from django.urls import reverse

from nhi_portal.security import twofactor


class SignInView(auth_views.LoginView):
    template_name = "portal/login.html"
    http_method_names = ["get", "head", "post", "options"]  # FormView would take PUT as POST

    def get_success_url(self):
        target = super().get_success_url()
        if not twofactor.required(self.request):
            return target
        step = "otp-verify" if twofactor.has_device(self.request.user) else "otp-setup"
        return f"{reverse(step)}?{urlencode({'next': target})}"


def lockout_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the sign-in page again, saying why and for how long (429)."""
    return render(
        request,
        "portal/login.html",
        {
            "form": AuthenticationForm(request),
            "locked_out": True,
            "lockout_minutes": lockout_minutes(),
            "next": request.POST.get("next", "") if request.method == "POST" else "",
        },
        status=429,
    )
