"""The REST API's routes."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from enrollment.intake import api as intake_api

router = DefaultRouter()
router.include_root_view = False
router.register("batches", intake_api.ImportBatchViewSet, basename="api-batch")
router.register("isa-records", intake_api.IsaRecordViewSet, basename="api-isa-record")

urlpatterns = [
    path("batches/upload/", intake_api.UploadApiView.as_view(), name="api-batch-upload"),
    *router.urls,
]
