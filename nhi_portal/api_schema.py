"""OpenAPI schema additions: every operation documents the errors it can answer with, in the
shape DRF sends them ({"detail": "…"}, or field errors for 400)."""

from __future__ import annotations

_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
_FIELD_ERRORS = {
    "type": "object",
    "additionalProperties": {"oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]},
}
_ERRORS = {
    "400": ("入力内容に誤りがあります（項目ごとの理由）", _FIELD_ERRORS),
    "401": ("認証されていません（トークンがない、または無効）", _DETAIL),
    "403": ("この操作を行う権限がありません", _DETAIL),
    "404": ("見つかりません（他の自治体のデータを含む）", _DETAIL),
    "405": ("このメソッドは使えません", _DETAIL),
    "429": ("リクエストが多すぎます。しばらくしてから再度お試しください", _DETAIL),
}


def document_error_responses(result, generator, request, public):
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            wanted = {"401", "403", "405", "429"}
            if method in ("post", "put", "patch") or operation.get("parameters"):
                wanted.add("400")
            if "{" in str(operation.get("operationId", "")) or any(
                p.get("in") == "path" for p in operation.get("parameters", [])
            ):
                wanted.add("404")
            if any(p.get("name") == "page" for p in operation.get("parameters", [])):
                wanted.add("404")  # a page out of range
            for status in sorted(wanted):
                if status in operation["responses"]:
                    continue
                description, schema = _ERRORS[status]
                operation["responses"][status] = {
                    "description": description,
                    "content": {"application/json": {"schema": schema}},
                }
    return result
