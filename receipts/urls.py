"""Receipts pages: upload assessment and payment files, issue payment status statements."""

from django.urls import path

from receipts import views

urlpatterns = [
    path("upload/", views.ReceiptUploadView.as_view(), name="receipts-upload"),
    path("statements/", views.StatementListView.as_view(), name="statement-list"),
    path("statements/new/", views.StatementRequestView.as_view(), name="statement-new"),
    path("statements/confirm/", views.StatementConfirmView.as_view(), name="statement-confirm"),
    path("statements/<int:pk>/", views.StatementDetailView.as_view(), name="statement-detail"),
    path("statements/<int:pk>/pdf/", views.StatementDownloadView.as_view(), name="statement-download"),
]
