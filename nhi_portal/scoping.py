"""The municipality wall (自治体の壁), failing closed.

Every model holding people's data has a `municipality` foreign key to the tenant (a city, never a
ward) and `ScopedManager` as its default manager. A query through that manager runs inside a
*scope*, or it raises `ScopeError`:

- a request scope (`MunicipalityScopeMiddleware`): every query is limited to the signed-in user's
  municipality, whatever the view asked for; an anonymous request sees nothing. The user is read
  when a query runs, so an API token authenticated inside the view counts too.
- `municipality_scope(id)`: limited to that municipality (code working for one municipality).
- `unscoped(reason)`: the one escape hatch, for the nightly batch and Celery workers
  (`nhi_portal.celery.PortalTask`), management commands (`manage.py`) and the tests' own set-up.
  Every opening is logged with its reason.

`Model.objects.for_user(user)` and `.for_municipality(id)` remain the one way to say which
municipality a query is for: they may start a query outside any scope (a task that knows its
municipality), and inside a scope they narrow it further, never widen it. Creating rows needs no
scope (the row names its municipality). Django's own internals read through `_base_manager`
(foreign keys, saves, deletion), which the wall leaves alone: it guards the ways code *asks*.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import models

logger = logging.getLogger(__name__)


class ScopeError(RuntimeError):
    """A query on a municipality-owned model ran outside any municipality scope."""


@dataclass
class _Scope:
    kind: str  # "municipality", "request" or "unscoped"
    municipality_id: int | None = None
    request: object | None = None
    reason: str = ""
    used: bool = False

    def municipality(self) -> tuple[bool, int | None]:
        """(everything, municipality id): the rows this scope lets a query see."""
        if self.kind == "unscoped":
            if not self.used:
                # Logged when first used (manage.py opens the hatch before logging is configured).
                self.used = True
                logger.info("municipality wall opened: %s", self.reason)
            return True, None
        if self.kind == "request":
            user = getattr(self.request, "user", None)
            if user is None or not user.is_authenticated:
                return False, None
            return False, getattr(user, "municipality_id", None)
        return False, self.municipality_id


_current: ContextVar[_Scope | None] = ContextVar("nhi_municipality_scope", default=None)
# Set for the moment `for_user` / `for_municipality` start a query outside a scope.
_explicit: ContextVar[bool] = ContextVar("nhi_municipality_explicit", default=False)


def current_scope() -> _Scope | None:
    return _current.get()


@contextmanager
def _entered(scope: _Scope) -> Iterator[None]:
    token = _current.set(scope)
    try:
        yield
    finally:
        _current.reset(token)


def municipality_scope(municipality_id: int | None):
    """Queries inside see only this municipality's rows (none for None)."""
    return _entered(_Scope("municipality", municipality_id=municipality_id))


def request_scope(request):
    """Queries inside see only the rows of the request's user's municipality (read per query)."""
    return _entered(_Scope("request", request=request))


def unscoped(reason: str):
    """The one escape hatch: queries inside see every municipality. For the nightly batch, Celery
    workers, management commands and test set-up only; `reason` names who opened it, and is logged."""
    if not reason:
        raise ValueError("unscoped() needs a reason")
    return _entered(_Scope("unscoped", reason=reason))


def _narrowed(queryset: models.QuerySet, scope: _Scope) -> models.QuerySet:
    everything, municipality_id = scope.municipality()
    if everything:
        return queryset
    if municipality_id is None:
        return queryset.none()
    return queryset.filter(municipality_id=municipality_id)


class ScopedQuerySet(models.QuerySet):
    @classmethod
    def as_manager(cls):
        # `objects = ScopedQuerySet.as_manager()` (every municipality-owned model) gets the wall.
        return ScopedManager.from_queryset(cls)()

    def for_municipality(self, municipality_id: int | None):
        if municipality_id is None:
            return self.none()
        return self.filter(municipality_id=municipality_id)

    def for_user(self, user):
        return for_user(self, user)


class ScopedManager(models.Manager):
    """The default manager of every municipality-owned model: refuses to query outside a scope."""

    def get_queryset(self):
        queryset = super().get_queryset()
        scope = _current.get()
        if scope is None:
            if _explicit.get():
                return queryset
            raise ScopeError(
                f"{self.model._meta.label} was queried outside a municipality scope: start from "
                "for_user() / for_municipality(), or run inside municipality_scope() or unscoped(reason)."
            )
        return _narrowed(queryset, scope)

    def _started_explicitly(self):
        token = _explicit.set(True)
        try:
            # Through the whole chain, so a related manager keeps its own filter.
            return self.get_queryset()
        finally:
            _explicit.reset(token)

    def for_municipality(self, municipality_id: int | None):
        return self._started_explicitly().for_municipality(municipality_id)

    def for_user(self, user):
        return self._started_explicitly().for_user(user)

    def none(self):
        """An empty query reads nothing (schema generation asks for one)."""
        return self._started_explicitly().none()

    # Creating rows reads nothing: the new row names its municipality.
    def create(self, **kwargs):
        return self._started_explicitly().create(**kwargs)

    def bulk_create(self, objs, *args, **kwargs):
        return self._started_explicitly().bulk_create(objs, *args, **kwargs)


def for_user(queryset: models.QuerySet, user) -> models.QuerySet:
    """The same wall for any queryset of a model with a `municipality`."""
    if user is None or not user.is_authenticated or not getattr(user, "municipality_id", None):
        return queryset.none()
    return queryset.filter(municipality_id=user.municipality_id)


def is_walled(model) -> bool:
    return isinstance(model._default_manager, ScopedManager)
