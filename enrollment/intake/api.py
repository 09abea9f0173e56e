"""REST API of the intake: batches and ISA records (read), upload (write). Scoped to the caller's
municipality; reads of personal data are written to the access log."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, parsers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from enrollment import selectors
from enrollment.intake.serializers import (
    ImportBatchDetailSerializer,
    ImportBatchSerializer,
    IsaRecordSerializer,
    UploadInputSerializer,
    UploadOutputSerializer,
)
from nhi_portal.api import AccessLoggedViewSetMixin
from nhi_portal.audit import Purpose, log_read
from nhi_portal.intake import services
from nhi_portal.models import BatchSource


class ImportBatchViewSet(viewsets.ReadOnlyModelViewSet):
    permission_required = "import_files"
    filterset_fields = ["kind", "status", "annex"]

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        issues = [i["id"] for i in response.data.get("issues", []) if "id" in i]
        if response.data.get("issues"):  # the problems quote cells of the file: personal data
            log_read(
                request,
                action="api_detail",
                purpose=Purpose.IMPORT_CHECK,
                object_type="import_issue",
                ids=issues or [response.data["id"]],
            )
        return response

    def get_queryset(self):
        return selectors.batch_list(user=self.request.user)

    def get_serializer_class(self):
        return ImportBatchDetailSerializer if self.action == "retrieve" else ImportBatchSerializer


class IsaRecordViewSet(
    AccessLoggedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    permission_required = "view_people"
    serializer_class = IsaRecordSerializer
    filterset_fields = ["batch", "annex"]
    access_object_type = "isa_record"
    access_purpose = Purpose.ENROLLMENT

    def get_queryset(self):
        return selectors.isa_records(user=self.request.user).order_by("batch_id", "row_number")


class UploadApiView(APIView):
    """Upload one file. 202: received, the import runs in the background (poll the batch).
    200: the same content was already imported; nothing changed."""

    write_permission_required = "import_files"
    parser_classes = [parsers.MultiPartParser]

    @extend_schema(
        request=UploadInputSerializer, responses={200: UploadOutputSerializer, 202: UploadOutputSerializer}
    )
    def post(self, request):
        serializer = UploadInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        received = services.batch_receive(
            municipality=request.user.municipality,
            kind=data["kind"],
            filename=data["file"].name,
            content=data["file"],
            source=BatchSource.API,
            user=request.user,
            mode=data["mode"],
            annex=data.get("annex"),
            data_month=data.get("data_month"),
        )
        batch = selectors.batch_get(user=request.user, pk=received.batch.pk)
        output = UploadOutputSerializer(
            {"duplicate": received.duplicate, "message": received.message, "batch": batch}
        )
        return Response(
            output.data, status=status.HTTP_200_OK if received.duplicate else status.HTTP_202_ACCEPTED
        )
