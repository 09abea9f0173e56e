"""Review queue and ISA record pages (filled in by enrollment.linking.views)."""

from django.urls import path

urlpatterns: list = []
