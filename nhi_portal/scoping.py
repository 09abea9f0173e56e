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
        if user is None or not user.is_authenticated or not getattr(user, "municipality_id", None):
            return self.none()
        return self.for_municipality(user.municipality_id)
