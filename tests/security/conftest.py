"""Shared data of the security tests: one small municipality with every kind of object the URLs
take (batch, ISA record, decision, resident, case, letters, print batch, export, job), the five
personas of 小金井市 and a clerk of 千代田区, each with a signed-in client. Built once per module
and rolled back at its end; each test runs in its own savepoint inside it."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest
from django.db import transaction
from django.test import Client

from enrollment.cases import services as case_services
from enrollment.models import ExOfficioExport, Letter, LetterStatus, PrintBatch, ReminderCase
from nhi_portal.models import Job
from tests.conftest import ensure_roles, signed_in
from tests.factories import MunicipalityFactory, ResidentFactory, UserFactory
from tests.linking.helpers import decision_of, isa_batch, match

PERSONAS = ("anonymous", "clerk", "supervisor", "auditor", "administrator", "other")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
ROLE_OF = {"clerk": "clerk", "supervisor": "supervisor", "auditor": "auditor",
           "administrator": "administrator", "other": "clerk"}  # fmt: skip


def build_world() -> dict:
    ensure_roles()
    home = MunicipalityFactory()
    other = MunicipalityFactory(lg_code="131016", name="千代田区")
    users = {
        persona: UserFactory(
            username=f"sweep_{persona}",
            municipality=other if persona == "other" else home,
            role=ROLE_OF[persona],
        )
        for persona in PERSONAS
        if persona != "anonymous"
    }
    person = ResidentFactory(municipality=home, postal_code="1840004")
    linked = isa_batch(home, [{}])
    match(linked)
    case_services.cases_open(municipality=home)
    case = ReminderCase.objects.get(municipality=home, resident=person)
    letter = case.letters.get()
    held = Letter.objects.create(
        municipality=home, case=case, kind=case.kind, number="HELD-1", addressee_name="NGUYEN VAN AN",
        status=LetterStatus.HELD, hold_reason="郵便番号がありません",
    )  # fmt: skip
    for _ in range(2):  # twins: their record waits for review
        ResidentFactory(municipality=home, name_alpha="TRAN THI BINH", birth_date=date(1995, 1, 3), sex="F")
    waiting = isa_batch(home, [{"name": "TRAN THI BINH", "birth_date": date(1995, 1, 3), "sex": "F"}],
                        month=date(2026, 11, 1))  # fmt: skip
    match(waiting)
    decision = decision_of(waiting)
    assert decision.status == "pending_review"
    export = ExOfficioExport.objects.create(
        municipality=home, file="exports/sweep.csv", sha256="0" * 64, created_by=users["supervisor"]
    )
    print_batch = PrintBatch.objects.create(
        municipality=home, kind="enrollment", status=PrintBatch.Status.READY, pdf="letters/sweep.pdf",
        sha256="0" * 64, issue_date=date(2026, 11, 2),
    )  # fmt: skip
    return {
        "users": users,
        "objects": {
            "job": Job.objects.create(kind="import", municipality=home, title="取込 sweep"),
            "batch": linked.pk,
            "record": decision_of(linked).isa_record_id,
            "decision": decision.pk,
            "case": case.pk,
            "letter": letter.pk,
            "held_letter": held.pk,
            "resident": person.pk,
            "export": export.pk,
            "print_batch": print_batch.pk,
            "admin_user": users["administrator"].pk,
            "other_user": users["other"].pk,
            "municipality": home.pk,
        },
    }


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            data = build_world()
            data["objects"] = {k: getattr(v, "pk", v) for k, v in data["objects"].items()}
            data["clients"] = {}
            for persona, user in data["users"].items():
                client = signed_in(user)
                client.raise_request_exception = False
                data["clients"][persona] = client
            yield data
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def quiet():
    """Thousands of expected 403/404/405 answers: no warning with a traceback for each."""
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


@pytest.fixture
def stored_files(settings):
    """The export's CSV and the print batch's PDF, where private storage looks in this test."""
    root = Path(settings.PRIVATE_STORAGE_DIR)
    for name, content in (("exports/sweep.csv", b"a,b\r\n"), ("letters/sweep.pdf", b"%PDF-1.4\n%%EOF\n")):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)


def client_for(world, persona: str) -> Client:
    if persona == "anonymous":
        return Client(raise_request_exception=False)
    return world["clients"][persona]
