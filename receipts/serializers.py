"""API shapes of assessments and payments (read only)."""

from __future__ import annotations

from rest_framework import serializers

from receipts.models import Assessment, Payment


class AssessmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Assessment
        fields = [
            "id", "household_head_code", "fiscal_year", "instalment", "amount", "due_date", "is_current", "batch",
            "line", "recorded_at", "note",
        ]  # fmt: skip
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    channel_label = serializers.CharField(source="get_channel_display", read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id", "household_head_code", "fiscal_year", "instalment", "amount", "paid_date", "channel",
            "channel_label", "receipt_number", "batch", "line", "recorded_at",
        ]  # fmt: skip
        read_only_fields = fields
