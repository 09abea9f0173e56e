"""Values every page template needs (navigation, the user's municipality and roles)."""

from __future__ import annotations


def portal(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "current_municipality": user.municipality,
        "perms_portal": {p.split(".", 1)[1] for p in user.get_all_permissions() if p.startswith("portal.")},
    }
