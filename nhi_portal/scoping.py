"""The one way to scope a query to a municipality: `Model.objects.for_user(user)`.

Every model holding people's data has a `municipality` foreign key to the tenant (a city,
never a ward) and uses `ScopedQuerySet`. Selectors start from `for_user`, so a user never
sees another municipality's rows — in pages, API, exports or counts.
"""

from __future__ import annotations

from django.db import models


class ScopedQuerySet(models.QuerySet):
    def for_municipality(self, municipality_id: int | None):
        if municipality_id is None:
            return self.none()
        return self.filter(municipality_id=municipality_id)

    def for_user(self, user):
        return for_user(self, user)


def for_user(queryset: models.QuerySet, user) -> models.QuerySet:
    """The same wall for a queryset of a model with a `municipality` but a plain manager (the
    append-only event tables: CaseEvent, MatchEvent)."""
    if user is None or not user.is_authenticated or not getattr(user, "municipality_id", None):
        return queryset.none()
    return queryset.filter(municipality_id=user.municipality_id)
