"""The REST API against its own OpenAPI schema (schemathesis 4.x), signed in as each role.

The schema is the one the portal serves at /api/schema/; requests go through the WSGI
application in process (no server), authenticated with each persona's DRF token. For every
operation and role, generated requests must never get a server error and every answer must
match the schema where the schema describes it (content type, body, headers); invalid requests
(negative mode) must never get a server error either; without the token the API refuses.

The error statuses the API answers with are documented in the schema too (checked at the end).

Bounded for CI: a few examples per operation and role; the seeded ids are always tried.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import api_key
from tests.intake.helpers import run_import
from tests.receipts.helpers import assess, pay

pytestmark = pytest.mark.django_db

CORPUS_DIR = Path(__file__).resolve().parents[1] / "corpus"
ROLES = ["clerk", "supervisor", "auditor", "administrator"]
POSITIVE_EXAMPLES = 10
NEGATIVE_EXAMPLES = 6
CONFORMANCE = [
    not_a_server_error,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
BOUNDED = settings(
    max_examples=POSITIVE_EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _operations() -> list[tuple[str, str]]:
    """(method, path) of every operation, from the generator that serves /api/schema/."""
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    return [(method.upper(), path) for path, item in paths.items() for method in item]


OPERATIONS = _operations()


@pytest.fixture
def wsgi_app():
    """Django's WSGI handler, kept inside the test's transaction: like a server it would close
    the database connection after each request (the test client keeps it open the same way)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def token_headers(user) -> dict[str, str]:
    return {"Authorization": f"Token {api_key(user)}"}


def served_schema(app, headers):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", app, headers=headers)
    assert schema.app is app
    return schema


def read(name: str) -> bytes:
    return (CORPUS_DIR / "isa" / name).read_bytes()


@pytest.fixture
def seeded(municipality, clerk):
    """Ids the detail operations find: a batch with ISA records and issues and a rejected batch,
    both uploaded by the clerk; a household's assessments and a payment; a linkage export preview."""
    from arrears.rules import LinkageParameters
    from arrears.services import linkage_preview
    from receipts.models import Assessment

    needs_attention = run_import(municipality, read("dates.csv"), filename="dates.csv", user=clerk)
    rejected = run_import(municipality, read("png_image.csv"), filename="png.csv", user=clerk)
    assess(municipality)
    payment = pay(municipality, instalment=1, amount=10_000, on=date(2025, 6, 30))
    export = linkage_preview(user=clerk, params=LinkageParameters(date(2026, 11, 1)))
    notice = _a_notice(municipality, clerk)
    return {
        "/api/immigration-notices/{id}/": [notice.pk],
        "/api/batches/{id}/": [needs_attention.pk, rejected.pk],
        "/api/isa-records/{id}/": list(needs_attention.isa_records.values_list("pk", flat=True)[:2]),
        "/api/assessments/{id}/": list(Assessment.objects.values_list("pk", flat=True)[:2]),
        "/api/payments/{id}/": [payment.pk],
        "/api/linkage-exports/{id}/": [export.pk],
    }


def _a_notice(municipality, clerk):
    """A draft notice to the immigration bureau (enrollment.notices)."""
    from enrollment.notices import services as notice_services
    from enrollment.notices.defaults import notice_settings_setup
    from tests.factories import NhiMembershipFactory, ResidentFactory

    settings_row, _ = notice_settings_setup(municipality=municipality, bureau_name="東京出入国在留管理局長")
    subject = ResidentFactory(municipality=municipality, resident_code="77700000001")
    NhiMembershipFactory(municipality=municipality, resident_code=subject.resident_code)
    data = notice_services.DraftInput(
        grounds=list(settings_row.grounds.all()[:1]),
        facts=[notice_services.FactInput(date(2026, 10, 20), "高額療養費の支給申請を受け付けた。")],
    )
    return notice_services.notice_create(resident=subject, user=clerk, data=data)


def test_the_served_schema_lists_every_operation(wsgi_app, clerk):
    schema = served_schema(wsgi_app, token_headers(clerk))
    served = {(op.ok().method.upper(), op.ok().path) for op in schema.get_all_operations()}
    assert served == set(OPERATIONS)
    assert ("POST", "/api/batches/upload/") in served


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
@pytest.mark.parametrize("role", ROLES)
def test_the_api_keeps_to_its_schema(role, method, path, request, wsgi_app, seeded):
    headers = token_headers(request.getfixturevalue(role))
    operation = served_schema(wsgi_app, headers)[path][method]

    explicit = [operation.Case(path_parameters={"id": pk}) for pk in seeded.get(path, [])]
    for case in explicit or [operation.Case()]:
        assert case.call().status_code in (401, 403), "answered without the token"
    for case in explicit:
        case.call_and_validate(headers=headers, checks=CONFORMANCE)

    @BOUNDED
    @given(case=operation.as_strategy(GenerationMode.POSITIVE))
    def valid_requests(case):
        case.call_and_validate(headers=headers, checks=CONFORMANCE)

    @settings(BOUNDED, max_examples=NEGATIVE_EXAMPLES)
    @given(case=operation.as_strategy(GenerationMode.NEGATIVE))
    def invalid_requests(case):
        case.call_and_validate(headers=headers, checks=[not_a_server_error])

    valid_requests()
    invalid_requests()


# --- known gaps between the API and its schema ------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/batches/", "/api/batches/{id}/"])
def test_a_batch_received_without_a_user_keeps_to_the_schema(path, wsgi_app, clerk, municipality):
    batch = run_import(municipality, read("dates.csv"), filename="from_the_inbox.csv")
    headers = token_headers(clerk)
    operation = served_schema(wsgi_app, headers)[path]["GET"]
    case = operation.Case(path_parameters={"id": batch.pk}) if "{id}" in path else operation.Case()
    case.call_and_validate(headers=headers, checks=[response_schema_conformance])


UNDOCUMENTED = [
    ("auditor", "GET", "/api/batches/", {}, 403),
    ("clerk", "GET", "/api/batches/{id}/", {"path_parameters": {"id": 2**31 - 1}}, 404),
    ("clerk", "GET", "/api/batches/", {"query": {"page": 10**6}}, 404),
    ("clerk", "GET", "/api/batches/", {"query": {"kind": "zzz"}}, 400),
    (None, "GET", "/api/isa-records/", {}, 401),
]


@pytest.mark.parametrize(
    ("role", "method", "path", "parts", "status"),
    UNDOCUMENTED,
    ids=[f"{status} {method} {path}" for _, method, path, _, status in UNDOCUMENTED],
)
def test_every_status_the_api_answers_is_documented(
    role, method, path, parts, status, request, wsgi_app, clerk
):
    operation = served_schema(wsgi_app, token_headers(clerk))[path][method]
    headers = token_headers(request.getfixturevalue(role)) if role else {}
    case = operation.Case(**parts)
    response = case.call(headers=headers)
    assert response.status_code == status  # the API answers as it should; the schema does not say so
    case.validate_response(response, checks=[status_code_conformance])


@pytest.mark.parametrize("field", ["annex", "data_month"])
def test_the_upload_schema_does_not_offer_null(field, clerk):
    """A multipart form cannot send null (only the text "null"), so the schema must not allow it."""
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=token_headers(clerk)["Authorization"])
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    body = schema["paths"]["/api/batches/upload/"]["post"]["requestBody"]["content"]["multipart/form-data"][
        "schema"
    ]
    name = body["$ref"].rsplit("/", 1)[1]
    prop = schema["components"]["schemas"][name]["properties"][field]
    assert not prop.get("nullable", False)
    assert "null" not in str(prop.get("type", ""))
