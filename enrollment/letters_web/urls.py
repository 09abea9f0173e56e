from django.urls import path

from enrollment.letters_web import views

urlpatterns = [
    path("letters/", views.LetterListView.as_view(), name="letter-list"),
    path("letters/test-sheet.pdf", views.TestSheetView.as_view(), name="letter-test-sheet"),
    path("letters/print/<slug:group>/", views.PrintBatchCreateView.as_view(), name="print-batch-create"),
    path(
        "letters/batches/<int:pk>/download/",
        views.PrintBatchDownloadView.as_view(),
        name="print-batch-download",
    ),
    path("letters/batches/<int:pk>/sent/", views.PrintBatchSentView.as_view(), name="print-batch-sent"),
    path("letters/<int:letter_id>/", views.LetterDetailView.as_view(), name="letter-detail"),
    path("letters/<int:letter_id>/preview.pdf", views.LetterPreviewView.as_view(), name="letter-preview"),
    # The reply form of a withdrawal reminder, recorded on its case (names follow the case actions).
    path("cases/<int:pk>/letters/<int:letter_id>/reply/", views.ReplyFormView.as_view(), name="case-reply"),
    path(
        "cases/<int:pk>/letters/<int:letter_id>/reply/confirm/",
        views.ReplyConfirmView.as_view(),
        name="case-reply-confirm",
    ),
]
