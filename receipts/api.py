"""REST API of the receipts app: assessments and payments (read), scoped to the caller's
municipality; every list page and detail is written to the access log."""

from __future__ import annotations

from rest_framework import mixins, viewsets

from nhi_portal.api import AccessLoggedViewSetMixin
from nhi_portal.audit import Purpose
from receipts import selectors
from receipts.serializers import AssessmentSerializer, PaymentSerializer


class AssessmentViewSet(
    AccessLoggedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    permission_required = "view_arrears"
    serializer_class = AssessmentSerializer
    filterset_fields = ["household_head_code", "fiscal_year", "instalment", "is_current", "batch"]
    access_object_type = "assessment"
    access_purpose = Purpose.ARREARS

    def get_queryset(self):
        return selectors.assessments(user=self.request.user).order_by(
            "household_head_code", "fiscal_year", "instalment", "id"
        )


class PaymentViewSet(
    AccessLoggedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    permission_required = "view_arrears"
    serializer_class = PaymentSerializer
    filterset_fields = ["household_head_code", "fiscal_year", "instalment", "channel", "batch"]
    access_object_type = "payment"
    access_purpose = Purpose.ARREARS

    def get_queryset(self):
        return selectors.payments(user=self.request.user).order_by("household_head_code", "paid_date", "id")
