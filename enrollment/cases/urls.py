"""Case pages (filled in by enrollment.cases.views)."""

urlpatterns: list = []
