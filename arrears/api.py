"""REST API of the arrears app: households in arrears as of a date (`?as_of=YYYY-MM-DD`, default
today) and the linkage exports (metadata only). Scoped to the caller's municipality; the arrears
list is written to the access log."""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError

from arrears import selectors
from arrears.serializers import HouseholdArrearsSerializer, LinkageExportSerializer
from nhi_portal.audit import Purpose, log_read


class ArrearsViewSet(viewsets.GenericViewSet):
    permission_required = "view_arrears"
    serializer_class = HouseholdArrearsSerializer
    filter_backends = []  # the rows are computed, not a queryset

    @extend_schema(
        parameters=[
            OpenApiParameter("as_of", OpenApiTypes.DATE, description="基準日（既定は今日）"),
            OpenApiParameter("foreign", OpenApiTypes.BOOL, description="世帯主が外国籍の世帯だけ"),
        ],
        responses=HouseholdArrearsSerializer(many=True),
    )
    def list(self, request, *args, **kwargs):
        raw = request.query_params.get("as_of")
        try:
            as_of = date.fromisoformat(raw) if raw else timezone.localdate()
        except ValueError:
            raise ValidationError({"as_of": "YYYY-MM-DD で指定してください。"}) from None
        foreign_only = request.query_params.get("foreign", "").lower() in {"1", "true", "yes"}
        rows = selectors.arrears_rows(user=request.user, as_of=as_of, foreign_only=foreign_only)
        page = self.paginate_queryset(rows)
        log_read(
            request, action="api_arrears_list", purpose=Purpose.ARREARS, object_type="resident",
            ids=[r.head.resident_id for r in page if r.head],
        )  # fmt: skip
        data = HouseholdArrearsSerializer(
            [{**r.arrears.__dict__, "foreign": r.foreign} for r in page], many=True
        ).data
        return self.get_paginated_response(data)


class LinkageExportViewSet(viewsets.ReadOnlyModelViewSet):
    permission_required = "view_arrears"
    serializer_class = LinkageExportSerializer
    filterset_fields = ["status", "layout_version", "as_of"]

    def get_queryset(self):
        return selectors.linkage_exports(user=self.request.user)
