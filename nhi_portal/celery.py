"""Celery application. Eager (in-process) when no broker is configured (the embedded default)."""

from __future__ import annotations

import os

from celery import Celery, Task

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nhi_portal.settings.base")


class PortalTask(Task):
    """Tasks take ids and work across the municipalities those ids belong to: in a worker they run
    through the municipality wall's escape hatch, named after the task. Run eagerly inside a
    request (the embedded default), a task keeps that request's scope."""

    def __call__(self, *args, **kwargs):
        from nhi_portal.scoping import current_scope, unscoped

        if current_scope() is not None:
            return super().__call__(*args, **kwargs)
        with unscoped(f"task {self.name}"):
            return super().__call__(*args, **kwargs)


app = Celery("nhi_portal", task_cls=PortalTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
