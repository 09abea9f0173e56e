"""System checks of the portal's own settings that `manage.py check --deploy` reports."""

from __future__ import annotations

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.compatibility, deploy=True)
def broker_configured(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Without a broker, Celery runs every task inside the web request that started it: imports,
    matching and letters block a gunicorn worker for minutes, and rate limits are per process."""
    eager = settings.CELERY_TASK_ALWAYS_EAGER
    broker = str(getattr(settings, "CELERY_BROKER_URL", "") or "")
    if eager or not broker or broker.startswith("memory://"):
        return [
            checks.Error(
                "Celery has no broker: tasks would run inside web requests.",
                hint="Set CELERY_BROKER_URL=redis://… (docs/deploy.md); production settings refuse to start without it.",
                id="portal.E001",
            )
        ]
    return []
