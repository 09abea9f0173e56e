"""The auditors' area under /audit/."""

from django.urls import path

from nhi_portal.auditing import views

urlpatterns = [
    path("", views.AccessLogView.as_view(), name="access-log"),
    path("export/", views.AccessLogExportView.as_view(), name="access-log-export"),
    path("summary/", views.AccessLogSummaryView.as_view(), name="access-log-summary"),
    path("changes/", views.ChangeLogView.as_view(), name="change-log"),
    path("sign-ins/", views.SignInLogView.as_view(), name="signin-log"),
    path("purges/", views.PurgeLogView.as_view(), name="purge-log"),
]
