"""The portal's admin site (管理画面): only for active administrators with a municipality (or
superusers), after two-factor sign-in. Anyone else signed in gets 403; signing in happens on the
portal's own sign-in page (lockout, 2FA), never on a separate admin form."""

from __future__ import annotations

from functools import update_wrapper

from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from nhi_portal.access import has_portal_permission


def is_site_admin(request) -> bool:
    from nhi_portal.security.twofactor import is_verified

    user = request.user
    if not user.is_authenticated or not user.is_active or not is_verified(request):
        return False
    return user.is_superuser or has_portal_permission(user, "administer")


class PortalAdminSite(AdminSite):
    site_header = "国保加入促進ポータル 管理画面"
    site_title = "管理画面"
    index_title = "システム管理"
    site_url = "/"

    def has_permission(self, request) -> bool:
        return is_site_admin(request)

    def admin_view(self, view, cacheable=False):
        def inner(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), resolve_url(settings.LOGIN_URL))
            if not self.has_permission(request):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        if not cacheable:
            inner = never_cache(inner)
        if not getattr(view, "csrf_exempt", False):
            inner = csrf_protect(inner)
        return update_wrapper(inner, view)

    @method_decorator([never_cache, login_not_required])
    def login(self, request, extra_context=None):
        """The portal's sign-in page does it (lockout, 2FA); come back to the admin afterwards."""
        index = reverse("admin:index", current_app=self.name)
        if request.user.is_authenticated:
            if not self.has_permission(request):
                raise PermissionDenied
            return HttpResponseRedirect(index)
        return redirect_to_login(request.GET.get("next") or index, resolve_url(settings.LOGIN_URL))
