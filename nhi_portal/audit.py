"""The access log (閲覧記録): every read of a person's data writes exactly one entry, with ids
only — never names or other personal values. Exports also record the SHA-256 of what left the
portal (`log_export`)."""

from __future__ import annotations

import hashlib
import ipaddress
import logging
from collections.abc import Iterable

from django.conf import settings

from nhi_portal.models import AccessLog

logger = logging.getLogger(__name__)


class Purpose:
    """Why a screen shows personal data (the ISA data may be used only for enrollment promotion)."""

    ENROLLMENT = "enrollment_promotion"  # 加入促進
    REVIEW = "match_review"  # 突合審査
    IMPORT_CHECK = "import_check"  # 取込確認
    ARREARS = "arrears"  # 滞納管理
    AUDIT = "audit"  # 監査
    LETTERS = "letters"  # 通知書
    ADMINISTRATION = "administration"  # システム管理
    IMMIGRATION_NOTICE = "immigration_notice"  # 入管への通知 (never the ISA data: DOMAIN §8)


PURPOSE_LABELS = {
    Purpose.ENROLLMENT: "加入促進",
    Purpose.REVIEW: "突合審査",
    Purpose.IMPORT_CHECK: "取込確認",
    Purpose.ARREARS: "滞納管理",
    Purpose.AUDIT: "監査",
    Purpose.LETTERS: "通知書",
    Purpose.ADMINISTRATION: "システム管理",
    Purpose.IMMIGRATION_NOTICE: "入管への通知",
}


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or — behind NHI_TRUSTED_PROXY_COUNT reverse proxies —
    the address that many hops from the right of X-Forwarded-For (the part the proxies wrote)."""
    proxies = getattr(settings, "NHI_TRUSTED_PROXY_COUNT", 0)
    if proxies:
        hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= proxies:
            found = _valid_ip(hops[-proxies])
            if found:
                return found
    return _valid_ip(request.META.get("REMOTE_ADDR", "")) or None


def log_read(
    request,
    *,
    action: str,
    purpose: str,
    object_type: str,
    ids: Iterable[int],
    content_sha256: str = "",
) -> AccessLog | None:
    """Record one read. `ids` are primary keys of the people (or records) shown."""
    user = request.user
    if not user.is_authenticated or not user.municipality_id:
        return None
    id_list = sorted({int(i) for i in ids})
    return AccessLog.objects.create(
        user=user,
        municipality_id=user.municipality_id,
        ip_address=client_ip(request),
        request_id=getattr(request, "request_id", ""),
        action=action,
        purpose=purpose,
        object_type=object_type,
        object_ids=id_list,
        person_count=len(id_list),
        path=request.path[:300],
        content_sha256=content_sha256,
    )


def log_command_export(
    *, user, command: str, action: str, purpose: str, object_type: str, ids: Iterable[int], sha256: str
) -> AccessLog:
    """Record one export made by a management command on behalf of a named staff user (the
    command has no request: no address, the command line as the path)."""
    id_list = sorted({int(i) for i in ids})
    entry = AccessLog.objects.create(
        user=user,
        municipality_id=user.municipality_id,
        action=action,
        purpose=purpose,
        object_type=object_type,
        object_ids=id_list,
        person_count=len(id_list),
        path=f"manage.py {command}"[:300],
        content_sha256=sha256,
    )
    logger.info("export %s by command %s: %s people, sha256 %s", action, command, len(id_list), sha256)
    return entry


def sha256_of(content: bytes | Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    if isinstance(content, bytes | bytearray | memoryview):
        digest.update(content)
    else:
        for block in content:
            digest.update(block)
    return digest.hexdigest()


def log_export(
    request,
    *,
    action: str,
    purpose: str,
    object_type: str,
    ids: Iterable[int],
    content: bytes | None = None,
    sha256: str = "",
) -> AccessLog | None:
    """Record one export (a CSV or PDF download): like `log_read`, plus the SHA-256 of exactly the
    bytes handed out — give `content`, or `sha256` when the file's hash is already stored (a PDF
    batch, an export file). One entry per download."""
    if content is not None:
        sha256 = sha256_of(content)
    if not sha256:
        raise ValueError("log_export needs the content or its SHA-256")
    entry = log_read(
        request, action=action, purpose=purpose, object_type=object_type, ids=ids, content_sha256=sha256
    )
    if entry is not None:
        logger.info("export %s: %s people, sha256 %s", action, entry.person_count, sha256)
    return entry
