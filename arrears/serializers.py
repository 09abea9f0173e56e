"""API shapes of the arrears app (read only)."""

from __future__ import annotations

from rest_framework import serializers

from arrears.models import LinkageExport


class HouseholdArrearsSerializer(serializers.Serializer):
    household_head_code = serializers.CharField()
    overdue_instalments = serializers.IntegerField()
    overdue_amount = serializers.IntegerField()
    months_in_arrears = serializers.IntegerField()
    oldest_due_date = serializers.DateField()
    foreign = serializers.BooleanField()


class LinkageExportSerializer(serializers.ModelSerializer):
    # A plain string in the schema: "status" enums of other models already take the name.
    status = serializers.CharField(
        read_only=True, help_text="previewed, approved, produced, failed, withdrawn"
    )
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    prepared_by = serializers.CharField(source="prepared_by.username", read_only=True)
    approved_by = serializers.CharField(
        source="approved_by.username", default=None, allow_null=True, read_only=True
    )

    class Meta:
        model = LinkageExport
        fields = [
            "id", "layout_version", "as_of", "parameters", "status", "status_label", "fingerprint",
            "flagged_count", "excluded_count", "prepared_by", "prepared_at", "approved_by", "approved_at",
            "file_name", "sha256", "size_bytes", "produced_at",
        ]  # fmt: skip
        read_only_fields = fields
