"""The enrollment app's dashboard panels (registered in EnrollmentConfig.ready)."""

from __future__ import annotations

from datetime import date

from enrollment.reports import selectors
from nhi_portal.dashboard import Panel, register_panel


def _month(*, user, today: date) -> dict:
    return {"figures": selectors.enrollment_month(user=user, today=today)}


def _funnel(*, user, today: date) -> dict:
    funnel = selectors.funnel(user=user, today=today)
    return {"funnel": funnel, "pension": selectors.pension_funnel(user=user, since=funnel.first)}


def _review(*, user, today: date) -> dict:
    return {"ageing": selectors.review_ageing(user=user, today=today)}


def register() -> None:
    register_panel(Panel("enrollment", 30, "enrollment/panels/month.html", ("work_cases",), _month))
    register_panel(Panel("funnel", 40, "enrollment/panels/funnel.html", ("work_cases",), _funnel))
    register_panel(Panel("review", 50, "enrollment/panels/review.html", ("review_matches",), _review))
