"""Request id for logs and audit entries; sign-in required on every page but the sign-in page."""

from __future__ import annotations

import uuid

from django.contrib.auth.middleware import LoginRequiredMiddleware

from nhi_portal.logging import request_id_var


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class PortalLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Django's sign-in-required middleware, except for the API, which answers 401/403 itself (DRF)."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
