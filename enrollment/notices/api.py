"""REST API of the notices register (read only): numbers, states, grounds and dates, scoped to the
caller's municipality, each list page and detail access-logged with the purpose 入管への通知.
No names and nothing from an ISA record: the person appears by resident code only."""

from __future__ import annotations

from rest_framework import mixins, serializers, viewsets

from enrollment.models import ImmigrationNotice
from enrollment.notices import selectors
from nhi_portal.api import AccessLoggedViewSetMixin
from nhi_portal.audit import Purpose


class ImmigrationNoticeSerializer(serializers.ModelSerializer):
    number = serializers.CharField(read_only=True)
    resident_code = serializers.CharField(source="resident.resident_code", read_only=True)
    grounds = serializers.SlugRelatedField(many=True, read_only=True, slug_field="label")
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    approved_by = serializers.CharField(source="approved_by.username", read_only=True, default="")

    class Meta:
        model = ImmigrationNotice
        fields = [
            "id", "number", "fiscal_year", "state", "resident_code", "grounds", "created_by", "created_at",
            "approved_by", "approved_at", "issue_date", "sent_on", "sent_method", "closed_at", "close_reason",
        ]  # fmt: skip


class ImmigrationNoticeViewSet(
    AccessLoggedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    permission_required = "view_immigration_notices"
    serializer_class = ImmigrationNoticeSerializer
    filterset_fields = ["fiscal_year", "state"]
    access_object_type = "immigration_notice"
    access_purpose = Purpose.IMMIGRATION_NOTICE

    def get_queryset(self):
        return selectors.notices(user=self.request.user).order_by("-fiscal_year", "-serial")
