"""Case transitions are declared in one table (enrollment/cases/transitions.py): the services
refuse a move it does not declare, and the case page offers what it allows."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest

from enrollment.cases import services, transitions
from enrollment.cases.views import detail_actions
from enrollment.models import OPEN_STATES, CaseEvent, CaseState, ReminderCase
from tests.cases.test_case_rules import open_from
from tests.linking.helpers import resident

pytestmark = pytest.mark.django_db

SERVICES = Path(services.__file__)


def test_every_state_change_in_the_services_is_a_declared_action():
    declared = {row.action for row in transitions.TRANSITIONS}
    used = set()
    for node in ast.walk(ast.parse(SERVICES.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_move":
            action = node.args[2]
            assert isinstance(action, ast.Constant), f"line {node.lineno}: the action must be a literal"
            used.add(action.value)
    assert used and used <= declared, used - declared
    for row in transitions.TRANSITIONS:
        assert row.target in CaseState.values and row.sources <= set(CaseState.values)


def test_a_move_the_table_does_not_declare_is_refused_and_leaves_no_event(municipality, clerk):
    resident(municipality)
    open_from(municipality)
    case = ReminderCase.objects.get()
    assert case.state == CaseState.LETTER_QUEUED
    events = CaseEvent.objects.count()
    # Straight from "letter queued" to approved ex officio withdrawal: never.
    with pytest.raises(
        services.CaseRefused, match="今の状態（勧奨通知 印刷待ち）からは「職権喪失の承認」にできません"
    ):
        services._move(case, CaseState.EX_OFFICIO_APPROVED, "ex_officio_approved", user=clerk)
    case.refresh_from_db()
    assert case.state == CaseState.LETTER_QUEUED and CaseEvent.objects.count() == events
    # A closed case takes no further step.
    services.case_close(case=case, reason="other", note="テスト", user=clerk)
    case.refresh_from_db()
    with pytest.raises(services.CaseRefused):
        services._move(case, CaseState.RESPONDED, "response_recorded", user=clerk)


@pytest.mark.parametrize("state", OPEN_STATES)
def test_the_case_page_offers_exactly_what_the_table_allows(municipality, clerk, state):
    resident(municipality)
    open_from(municipality)
    case = ReminderCase.objects.get()
    case.state = state
    actions = detail_actions(clerk, case, date(2026, 12, 1))
    assert actions.second == (state == CaseState.LETTER_SENT) == transitions.allowed(state, "second_queued")
    assert actions.respond == transitions.allowed(state, "response_recorded")
    assert actions.close == (state not in transitions.EX_OFFICIO_STAGES)
