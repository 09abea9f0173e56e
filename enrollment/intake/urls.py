from django.urls import path

from enrollment.intake import views

urlpatterns = [
    path("", views.BatchListView.as_view(), name="batch-list"),
    path("upload/", views.UploadView.as_view(), name="batch-upload"),
    path("<int:pk>/", views.BatchDetailView.as_view(), name="batch-detail"),
    path("<int:pk>/acknowledge/", views.BatchAcknowledgeView.as_view(), name="batch-acknowledge"),
    path("<int:pk>/retry/", views.BatchRetryView.as_view(), name="batch-retry"),
    path("<int:pk>/cases/", views.BatchOpenCasesView.as_view(), name="batch-open-cases"),
]
