from django.apps import AppConfig


class PortalConfig(AppConfig):
    """Shared base: municipalities, users and roles, jobs, audit (app label `portal`)."""

    name = "nhi_portal"
    label = "portal"
    verbose_name = "ポータル基盤"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Sign-in, sign-out, failures and lockouts: session clock, 2FA opt-in, SecurityEvent.
        # `check --deploy`: a broker is configured (nhi_portal.checks).
        from nhi_portal import checks  # noqa: F401
        from nhi_portal.security import signals  # noqa: F401
