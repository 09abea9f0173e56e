"""NHI Portal: the project package (settings, urls, Celery app) and the shared base app."""

from nhi_portal.celery import app as celery_app

__all__ = ("celery_app",)
