"""The change log (変更記録): who changed which field of which object from what to what.

Services call `log_change` (or `log_instance_change` with a `snapshot` taken before the change)
inside their transaction, so the change and its record commit together; the admin site does the
same in `save_model`/`delete_model`. Rows are append-only (model and PostgreSQL trigger)."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable, Mapping

from django.db import models

from nhi_portal.logging import request_id_var
from nhi_portal.models import ChangeAction, ChangeLog

# Values that are never copied into the log, whatever the model (hashes, secrets, keys).
SECRET_FIELDS = {"password", "key", "secret", "token", "bin_key"}
MAX_VALUE = 2000


def as_text(value) -> str:
    """A value as the log keeps it: plain text, dates in ISO form, None as ""."""
    if value is None:
        return ""
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(sorted(as_text(v) for v in value))
    return str(value)[:MAX_VALUE]


def loggable_fields(model: type[models.Model]) -> list[str]:
    """Concrete fields (foreign keys by their id column), secrets left out."""
    return [
        f.attname
        for f in model._meta.concrete_fields
        if f.name not in SECRET_FIELDS and f.attname not in SECRET_FIELDS
    ]


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, str]:
    """The instance's values as text, to compare after the change."""
    names = list(fields) if fields is not None else loggable_fields(type(instance))
    return {name: as_text(getattr(instance, name, None)) for name in names}


def _label(model) -> str:
    return model._meta.label_lower


def _municipality_id(instance, municipality) -> int | None:
    if municipality is not None:
        return getattr(municipality, "pk", municipality)
    if type(instance)._meta.label_lower == "portal.municipality":
        return instance.pk
    return getattr(instance, "municipality_id", None)


def log_change(
    *,
    user,
    action: ChangeAction | str,
    instance: models.Model | None = None,
    model: type[models.Model] | str | None = None,
    object_id=None,
    changes: Mapping[str, tuple] | None = None,
    municipality=None,
    request_id: str | None = None,
) -> list[ChangeLog]:
    """Record a change: one row per changed field (`changes` = {field: (old, new)}), or one row
    without a field for a creation or deletion given no fields. Values are stored as text;
    secret fields are never stored."""
    if instance is not None:
        model = type(instance)
        object_id = instance.pk if object_id is None else object_id
    if model is None or object_id is None:
        raise ValueError("log_change needs an instance, or a model and an object id")
    label = model if isinstance(model, str) else _label(model)
    actor = user if getattr(user, "is_authenticated", False) else None
    common = {
        "user": actor,
        "municipality_id": _municipality_id(instance, municipality)
        if instance is not None
        else getattr(municipality, "pk", municipality),
        "request_id": request_id if request_id is not None else _request_id(),
        "action": action,
        "model": label,
        "object_id": str(object_id),
    }
    rows = [
        ChangeLog(**common, field=field, old_value=as_text(old), new_value=as_text(new))
        for field, (old, new) in (changes or {}).items()
        if field not in SECRET_FIELDS
    ]
    if not rows:
        rows = [ChangeLog(**common)]
    return ChangeLog.objects.bulk_create(rows)


def diff(before: Mapping[str, str], after: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    return {k: (before.get(k, ""), v) for k, v in after.items() if before.get(k, "") != v}


def log_instance_change(
    *, user, instance: models.Model, before: Mapping[str, str] | None, municipality=None
) -> list[ChangeLog]:
    """Compare the instance with its `snapshot` from before the change and log what differs.
    `before=None` logs a creation with every field's value."""
    after = snapshot(instance, before.keys() if before else None)
    if before is None:
        changes = {k: ("", v) for k, v in after.items() if v}
        return log_change(
            user=user,
            action=ChangeAction.CREATE,
            instance=instance,
            changes=changes,
            municipality=municipality,
        )
    changes = diff(before, after)
    if not changes:
        return []
    return log_change(
        user=user, action=ChangeAction.UPDATE, instance=instance, changes=changes, municipality=municipality
    )


def log_deletion(*, user, instance: models.Model, municipality=None) -> list[ChangeLog]:
    """Log a deletion with the values the object had (call before deleting)."""
    values = snapshot(instance)
    changes = {k: (v, "") for k, v in values.items() if v}
    return log_change(
        user=user, action=ChangeAction.DELETE, instance=instance, changes=changes, municipality=municipality
    )


def _request_id() -> str:
    value = request_id_var.get()
    return "" if value == "-" else value
