"""The supervisor page and the ISA month diff (enrollment.reports.views)."""

from django.urls import path

from enrollment.reports import views

urlpatterns = [
    path("supervisor/", views.SupervisorView.as_view(), name="supervisor-overview"),
    path("records/months/", views.IsaMonthDiffView.as_view(), name="isa-month-diff"),
]
