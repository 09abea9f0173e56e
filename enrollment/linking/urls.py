"""Review queue and ISA record pages (enrollment.linking.views), and starting a batch's matching."""

from django.urls import path

from enrollment.intake.views import BatchMatchView
from enrollment.linking import views

urlpatterns = [
    path("review/", views.ReviewQueueView.as_view(), name="review-queue"),
    path("review/<int:pk>/", views.ReviewItemView.as_view(), name="review-item"),
    path("review/<int:pk>/confirm/", views.ReviewConfirmView.as_view(), name="review-confirm"),
    path("review/<int:pk>/choose/", views.ReviewChooseView.as_view(), name="review-choose"),
    path("review/<int:pk>/not-resident/", views.ReviewNotResidentView.as_view(), name="review-not-resident"),
    path("records/<int:pk>/", views.IsaRecordView.as_view(), name="isa-record"),
    path("records/<int:pk>/overturn/", views.OverturnView.as_view(), name="review-overturn"),
    path("imports/<int:pk>/match/", BatchMatchView.as_view(), name="batch-match"),
]
