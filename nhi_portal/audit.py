"""The access log (閲覧記録): every read of a person's data writes exactly one entry, with ids
only — never names or other personal values."""

from __future__ import annotations

import logging
from collections.abc import Iterable

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


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def log_read(request, *, action: str, purpose: str, object_type: str, ids: Iterable[int]) -> AccessLog | None:
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
    )
