"""Reads of the audit records, always scoped to the auditor's municipality."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from nhi_portal import csvsafe
from nhi_portal.audit import PURPOSE_LABELS
from nhi_portal.auditing.labels import action_label
from nhi_portal.models import AccessLog, ChangeLog, RetentionPurge, SecurityEvent, User

EXPORT_MAX_ROWS = 100_000


@dataclass(frozen=True)
class AccessLogFilters:
    user_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    action: str = ""
    purpose: str = ""
    object_type: str = ""
    person_id: int | None = None
    # By resident code: {object kind: ids} from nhi_portal.auditing.people (the form resolves it).
    person_refs: tuple[tuple[str, tuple[int, ...]], ...] = ()

    @property
    def any(self) -> bool:
        return any(v not in (None, "") for v in self.__dict__.values())


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def staff_of(*, user) -> QuerySet[User]:
    return User.objects.filter(municipality_id=user.municipality_id).order_by("username")


def access_log(*, user, filters: AccessLogFilters | None = None) -> QuerySet[AccessLog]:
    entries = (
        AccessLog.objects.filter(municipality_id=user.municipality_id)
        if user.municipality_id
        else (AccessLog.objects.none())
    )
    f = filters or AccessLogFilters()
    if f.user_id:
        entries = entries.filter(user_id=f.user_id)
    if f.date_from:
        entries = entries.filter(at__gte=_start_of(f.date_from))
    if f.date_to:
        entries = entries.filter(at__lt=_start_of(f.date_to + timedelta(days=1)))
    if f.action:
        entries = entries.filter(action=f.action)
    if f.purpose:
        entries = entries.filter(purpose=f.purpose)
    if f.object_type:
        entries = entries.filter(object_type=f.object_type)
    if f.person_id:
        entries = _naming_person(entries, f.person_id)
    if f.person_refs:
        entries = _naming_refs(entries, f.person_refs)
    return entries.select_related("user").order_by("-at", "-id")


def _naming_person(entries: QuerySet[AccessLog], person_id: int) -> QuerySet[AccessLog]:
    if connection.vendor == "postgresql":
        return entries.filter(object_ids__contains=[person_id])
    # SQLite (the embedded demo) has no JSON containment: match the id in the stored list's text.
    return entries.annotate(ids_text=Cast("object_ids", TextField())).filter(
        ids_text__regex=rf"(^|[\[, ]){person_id}([\],]|$)"
    )


def _naming_refs(entries: QuerySet[AccessLog], refs) -> QuerySet[AccessLog]:
    """Entries whose object type is of a kind (resident, isa_record; combined types such as
    isa_record+residents count for both) and whose ids include one of that kind's ids."""
    if connection.vendor != "postgresql":
        entries = entries.annotate(ids_text=Cast("object_ids", TextField()))
    match = Q(pk__in=[])
    for kind, ids in refs:
        if not ids:
            continue
        if connection.vendor == "postgresql":
            any_id = Q(pk__in=[])
            for one in ids:
                any_id |= Q(object_ids__contains=[one])
        else:
            alternatives = "|".join(str(int(i)) for i in ids)
            any_id = Q(ids_text__regex=rf"(^|[\[, ])({alternatives})([\],]|$)")
        match |= Q(object_type__contains=kind) & any_id
    return entries.filter(match)


def distinct_values(*, user, field: str) -> list[str]:
    return list(
        AccessLog.objects.filter(municipality_id=user.municipality_id)
        .order_by(field)
        .values_list(field, flat=True)
        .distinct()
    )


CSV_HEADER = ["日時", "職員ID", "ユーザー名", "接続元", "操作", "操作コード", "利用目的", "対象の種類",
              "対象ID", "対象人数", "パス", "要求ID", "出力ハッシュ"]  # fmt: skip


def access_log_csv(entries: QuerySet[AccessLog]) -> tuple[bytes, list[int]]:
    """UTF-8 with BOM and CRLF (opens in Excel as is); every cell neutralised against formulas.
    Returns the bytes and the entry ids in them."""
    buffer = io.StringIO()
    writer = csvsafe.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    ids = []
    for entry in entries[:EXPORT_MAX_ROWS].iterator(chunk_size=2000):
        ids.append(entry.pk)
        writer.writerow(
            [
                timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S"),
                entry.user_id,
                entry.user.get_username(),
                entry.ip_address or "",
                action_label(entry.action),
                entry.action,
                PURPOSE_LABELS.get(entry.purpose, entry.purpose),
                entry.object_type,
                " ".join(str(i) for i in entry.object_ids),
                entry.person_count,
                entry.path,
                entry.request_id,
                entry.content_sha256,
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8"), ids


def change_log(*, user) -> QuerySet[ChangeLog]:
    return ChangeLog.objects.for_user(user).select_related("user").order_by("-at", "-id")


def security_events(*, user) -> QuerySet[SecurityEvent]:
    return SecurityEvent.objects.for_user(user).select_related("user").order_by("-at", "-id")


def purges(*, user) -> QuerySet[RetentionPurge]:
    return RetentionPurge.objects.for_user(user).select_related("user").order_by("-at", "-id")
