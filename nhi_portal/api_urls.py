"""The REST API's routes."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from arrears import api as arrears_api
from enrollment.intake import api as intake_api
from enrollment.notices import api as notices_api
from receipts import api as receipts_api

router = DefaultRouter()
router.include_root_view = False
router.register("batches", intake_api.ImportBatchViewSet, basename="api-batch")
router.register("isa-records", intake_api.IsaRecordViewSet, basename="api-isa-record")
router.register("assessments", receipts_api.AssessmentViewSet, basename="api-assessment")
router.register("payments", receipts_api.PaymentViewSet, basename="api-payment")
router.register("arrears", arrears_api.ArrearsViewSet, basename="api-arrears")
router.register("linkage-exports", arrears_api.LinkageExportViewSet, basename="api-linkage-export")
router.register(
    "immigration-notices", notices_api.ImmigrationNoticeViewSet, basename="api-immigration-notice"
)

urlpatterns = [
    path("batches/upload/", intake_api.UploadApiView.as_view(), name="api-batch-upload"),
    *router.urls,
]
