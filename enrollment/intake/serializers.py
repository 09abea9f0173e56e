"""API shapes of batches and ISA records (read), and of an upload (write)."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from enrollment.models import IsaRecord
from nhi_portal.models import ImportBatch, ImportIssue, ImportMode

from .forms import PEOPLE_KINDS


class ImportIssueSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportIssue
        fields = ["id", "line", "column", "value", "reason", "severity"]


class ImportBatchSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    uploaded_by = serializers.CharField(
        source="uploaded_by.username", default=None, read_only=True, allow_null=True
    )
    job_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = ImportBatch
        fields = [
            "id", "kind", "kind_label", "annex", "mode", "source", "source_name", "sha256", "size_bytes",
            "encoding", "data_month", "status", "status_label", "rows_total", "rows_with_errors",
            "rows_with_warnings", "rejection_reason", "summary", "uploaded_by", "created_at", "imported_at",
            "acknowledged_at", "job_id",
        ]  # fmt: skip
        read_only_fields = fields


class ImportBatchDetailSerializer(ImportBatchSerializer):
    issues = ImportIssueSerializer(many=True, read_only=True)

    class Meta(ImportBatchSerializer.Meta):
        fields = [*ImportBatchSerializer.Meta.fields, "issues"]
        read_only_fields = fields


class UploadInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PEOPLE_KINDS)
    file = serializers.FileField()
    annex = serializers.ChoiceField(choices=[1, 2, 3], required=False)
    mode = serializers.ChoiceField(choices=ImportMode.choices, default=ImportMode.DELTA)
    data_month = serializers.DateField(required=False, help_text="The first day of the month.")

    def validate_file(self, value):
        if value.size == 0:
            raise serializers.ValidationError("空のファイルです。中身のあるCSVを選んでください。")
        if value.size > settings.NHI_MAX_UPLOAD_BYTES:
            raise serializers.ValidationError(
                f"ファイルが大きすぎます（上限 {settings.NHI_MAX_UPLOAD_BYTES // (1024 * 1024)} MB）。"
                "夜間バッチの受信フォルダを使ってください。"
            )
        return value

    def validate_data_month(self, value):
        if value is not None and value.day != 1:
            raise serializers.ValidationError("対象月は月の1日の日付で指定してください（例 2026-10-01）。")
        return value


class UploadOutputSerializer(serializers.Serializer):
    duplicate = serializers.BooleanField()
    message = serializers.CharField()
    batch = ImportBatchSerializer()


class IsaRecordSerializer(serializers.ModelSerializer):
    problem_fields = serializers.ListField(source="problems", child=serializers.CharField(), read_only=True)

    class Meta:
        model = IsaRecord
        fields = [
            "id", "batch", "row_number", "line_number", "annex", "name", "lg_code", "address", "sex",
            "birth_date", "event_date", "problem_fields", "raw_name", "raw_lg_code", "raw_address", "raw_sex",
            "raw_birth_date", "raw_event_date",
        ]  # fmt: skip
        read_only_fields = fields
