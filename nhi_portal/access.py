"""Access rules in one place: views and API views declare the permission they need; these
classes enforce it together with the municipality wall (a user without a municipality can do
nothing). Objects are always fetched through scoped selectors, so another municipality's
object answers 404, never 403 with its data. The admin site uses the same check
(`nhi_portal.admin_site.PortalAdminSite.has_permission`)."""

from __future__ import annotations

from django.contrib.auth.mixins import PermissionRequiredMixin
from rest_framework.permissions import SAFE_METHODS, BasePermission


def has_portal_permission(user, permission: str) -> bool:
    if not user or not user.is_authenticated or not user.is_active:
        return False
    if not getattr(user, "municipality_id", None):
        return False
    return user.has_perm(f"portal.{permission}")


class PortalPermissionRequiredMixin(PermissionRequiredMixin):
    """Class-based views: set `permission_required = "view_people"` (a portal permission)."""

    raise_exception = True
    # Pages take GET and POST only: FormView would otherwise take PUT as a POST.
    http_method_names = ["get", "head", "post", "options"]

    def has_permission(self) -> bool:
        perms = self.get_permission_required()
        return all(has_portal_permission(self.request.user, p) for p in perms)


class PortalApiPermission(BasePermission):
    """DRF: `permission_required` for reads, `write_permission_required` for writes. A view that
    declares neither is closed (fail closed). A signed-in caller using a method the view does not
    have gets 405; an anonymous caller is counted against the lower unauthenticated rate."""

    message = "この操作を行う権限がありません。"

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            from nhi_portal.security.tokens import throttle_unauthenticated

            throttle_unauthenticated(request)
            return False
        if request.method.lower() not in view.http_method_names or not hasattr(view, request.method.lower()):
            return True  # DRF answers 405 Method Not Allowed next
        if request.method in SAFE_METHODS:
            needed = getattr(view, "permission_required", None)
        else:
            needed = getattr(view, "write_permission_required", None)
        if not needed:
            return False
        return has_portal_permission(user, needed)
