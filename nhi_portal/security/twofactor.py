"""Two-factor sign-in (2段階認証) with an authenticator app (TOTP, django-otp).

Who: supervisors, auditors and administrators (settings.NHI_TWO_FACTOR_ROLES) and superusers
must; clerks may opt in on their account page, after which every sign-in asks for a code.
Flow: password → the verify page (a code from the app) — or, the first time, the setup page (scan
a QR code, enter the code it shows). Until verified, TwoFactorRequiredMiddleware lets the user
reach only these pages and sign-out. The secret is shown on the setup page only, never logged."""

from __future__ import annotations

import base64
from io import BytesIO

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from nhi_portal.changelog import log_change
from nhi_portal.models import ChangeAction, SecurityEventKind
from nhi_portal.security.events import record_event

# Set in the session at sign-in when the user has a confirmed device (a clerk who opted in).
OPT_IN_KEY = "nhi_otp_required"
DEVICE_NAME = "認証アプリ"


def role_requires(user) -> bool:
    return bool(user.is_superuser or user.has_role(*settings.NHI_TWO_FACTOR_ROLES))


def confirmed_devices(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True)


def has_device(user) -> bool:
    return confirmed_devices(user).exists()


def note_opt_in(request, user) -> None:
    """At sign-in: remember whether this user (of a role without the duty) has a device."""
    if role_requires(user):
        request.session.pop(OPT_IN_KEY, None)
    elif has_device(user):
        request.session[OPT_IN_KEY] = True


def required(request) -> bool:
    user = request.user
    return role_requires(user) or bool(request.session.get(OPT_IN_KEY))


def is_verified(request) -> bool:
    verified = getattr(request.user, "is_verified", None)
    return bool(verified and verified())


def safe_next(request, default: str = "dashboard") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default)


def qr_data_uri(text: str) -> str:
    """A QR code as an SVG data: URI for an <img> (CSP allows img data:, no inline SVG styles)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgFillImage, box_size=10, border=4)
    buffer = BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def secret_for_typing(device: TOTPDevice) -> str:
    """The key in base32 in groups of four, for apps that cannot scan."""
    encoded = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(encoded[i : i + 4] for i in range(0, len(encoded), 4))


class CodeForm(forms.Form):
    code = forms.CharField(
        label="確認コード（6桁）",
        help_text="認証アプリに表示されている6桁の数字を入力してください。",
        min_length=6,
        max_length=8,
        error_messages={
            "required": "確認コードを入力してください。",
            "min_length": "確認コードは6桁の数字です。",
            "max_length": "確認コードは6桁の数字です。",
        },
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True, "size": 8}
        ),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip().replace(" ", "")
        if not code.isdigit():
            raise forms.ValidationError("確認コードは数字で入力してください。")
        return code


def _pending_device(user) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


@transaction.atomic
def device_confirm(*, request, device: TOTPDevice) -> None:
    """The pending device proved it works: it replaces any earlier device and verifies this session."""
    user = request.user
    replaced = list(TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).values_list("pk", flat=True))
    TOTPDevice.objects.filter(pk__in=replaced).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    otp_login(request, device)
    if not role_requires(user):
        request.session[OPT_IN_KEY] = True
    record_event(SecurityEventKind.OTP_DEVICE_ADDED, request=request, user=user)
    log_change(
        user=user,
        action=ChangeAction.CREATE,
        model=TOTPDevice,
        object_id=device.pk,
        municipality=user.municipality_id,
        changes={"user_id": ("", user.pk), "confirmed": ("", True)},
    )


@transaction.atomic
def devices_remove(*, request, user) -> int:
    """Remove the user's devices (a clerk opting out; an administrator after a lost phone)."""
    ids = list(TOTPDevice.objects.filter(user=user).values_list("pk", flat=True))
    TOTPDevice.objects.filter(pk__in=ids).delete()
    record_event(SecurityEventKind.OTP_DEVICE_REMOVED, request=request, user=user)
    for pk in ids:
        log_change(
            user=request.user,
            action=ChangeAction.DELETE,
            model=TOTPDevice,
            object_id=pk,
            municipality=user.municipality_id,
            changes={"user_id": (user.pk, "")},
        )
    return len(ids)


class SetupView(View):
    """認証アプリの登録: a QR code (and the key to type), then the code it shows."""

    template_name = "registration/otp_setup.html"

    http_method_names = ["get", "post"]

    def dispatch(self, request, *args, **kwargs):
        if request.method.lower() not in self.http_method_names:
            return self.http_method_not_allowed(request, *args, **kwargs)
        # With a device already, replacing it needs a verified session (else: verify first).
        if has_device(request.user) and not is_verified(request):
            return redirect(f"{reverse('otp-verify')}?next={safe_next(request)}")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return self.show(_pending_device(request.user), CodeForm())

    def post(self, request):
        device = _pending_device(request.user)
        form = CodeForm(request.POST)
        if form.is_valid():
            if device.verify_token(form.cleaned_data["code"]):
                device_confirm(request=request, device=device)
                messages.success(
                    request, "認証アプリを登録しました。次回からログインのときに確認コードを入力します。"
                )
                return redirect(safe_next(request))
            record_event(SecurityEventKind.OTP_FAILED, request=request, user=request.user, detail="setup")
            form.add_error(
                "code", "確認コードが違います。認証アプリに今表示されているコードを入力してください。"
            )
        return self.show(device, form, status=400)

    def show(self, device: TOTPDevice, form: CodeForm, status: int = 200):
        response = render(
            self.request,
            self.template_name,
            {
                "form": form,
                "qr": qr_data_uri(device.config_url),
                "secret": secret_for_typing(device),
                "next": safe_next(self.request),
                "required": role_requires(self.request.user),
                "replacing": has_device(self.request.user),
            },
            status=status,
        )
        response["Cache-Control"] = "no-store"  # the secret must not stay in a cache
        return response


class VerifyView(View):
    """確認コードの入力: the second step of signing in."""

    template_name = "registration/otp_verify.html"

    http_method_names = ["get", "post"]

    def dispatch(self, request, *args, **kwargs):
        if request.method.lower() not in self.http_method_names:
            return self.http_method_not_allowed(request, *args, **kwargs)
        if is_verified(request):
            return redirect(safe_next(request))
        if not has_device(request.user):
            return redirect(f"{reverse('otp-setup')}?next={safe_next(request)}")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return self.show(CodeForm())

    def post(self, request):
        form = CodeForm(request.POST)
        if form.is_valid():
            for device in confirmed_devices(request.user):
                verified = verify_token(request.user, device.persistent_id, form.cleaned_data["code"])
                if verified is not None:
                    otp_login(request, verified)
                    request.session.cycle_key()
                    record_event(SecurityEventKind.OTP_VERIFIED, request=request, user=request.user)
                    return redirect(safe_next(request))
            record_event(SecurityEventKind.OTP_FAILED, request=request, user=request.user)
            form.add_error(
                "code",
                "確認コードが違うか、時間が過ぎています。認証アプリに今表示されているコードを入力してください。"
                "続けて間違えると、次に入力できるまで少し待つ必要があります。",
            )
        return self.show(form, status=400)

    def show(self, form: CodeForm, status: int = 200):
        return render(
            self.request, self.template_name, {"form": form, "next": safe_next(self.request)}, status=status
        )


class RemoveView(View):
    """POST only: a clerk stops using 2FA (refused for roles that must use it)."""

    def post(self, request):
        if role_requires(request.user):
            messages.error(request, "あなたの役割では2段階認証をやめることはできません。")
            return redirect("account")
        devices_remove(request=request, user=request.user)
        request.session.pop(OPT_IN_KEY, None)
        messages.success(request, "2段階認証をやめました。")
        return redirect("account")
