"""Shared API pieces: every list/detail read of people's data writes one access-log entry."""

from __future__ import annotations

from nhi_portal.audit import log_read


class AccessLoggedViewSetMixin:
    """For viewsets that return personal data: one access-log entry per list page or detail."""

    access_object_type = ""
    access_purpose = ""

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        rows = response.data.get("results", []) if isinstance(response.data, dict) else response.data
        log_read(
            request,
            action="api_list",
            purpose=self.access_purpose,
            object_type=self.access_object_type,
            ids=[row["id"] for row in rows],
        )
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        log_read(
            request,
            action="api_detail",
            purpose=self.access_purpose,
            object_type=self.access_object_type,
            ids=[response.data["id"]],
        )
        return response
