"""Filters of the batch list (django-filter)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from nhi_portal.models import BatchStatus, ImportBatch, ImportKind


class BatchFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("種類"), choices=ImportKind.choices, empty_label=_("すべて"))
    status = django_filters.ChoiceFilter(
        label=_("状態"), choices=BatchStatus.choices, empty_label=_("すべて")
    )
    month = django_filters.CharFilter(label=_("対象月（例 2026-10）"), method="filter_month")
    q = django_filters.CharFilter(label=_("ファイル名"), field_name="source_name", lookup_expr="icontains")

    class Meta:
        model = ImportBatch
        fields = ["kind", "status"]

    def filter_month(self, queryset, name, value):
        try:
            year, month = (int(part) for part in value.replace("/", "-").split("-", 1))
        except ValueError:
            return queryset.none()
        return queryset.filter(data_month__year=year, data_month__month=month)
