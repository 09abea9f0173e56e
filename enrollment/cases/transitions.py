"""The case's state machine (勧奨ケースの状態遷移), declared once.

Every state change of a ReminderCase goes through `services._move`, which refuses a transition
this table does not declare; the case page reads the same table to decide which actions to
offer. Each row: the action (also the CaseEvent's `action`), the states it may start from, and
the state it leads to. Conditions beyond the state (deadlines, who may approve, what the letter
said) are the services' `*_refusal` functions.
"""

from __future__ import annotations

from dataclasses import dataclass

from enrollment.models import OPEN_STATES, CaseState

# A case in the ex officio procedure (職権喪失の手続中) is finished by the export or sent back by a
# supervisor; a clerk may not close it by hand.
EX_OFFICIO_STAGES = frozenset({CaseState.EX_OFFICIO_PROPOSED, CaseState.EX_OFFICIO_APPROVED})
_OPEN = frozenset(OPEN_STATES)


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    label: str  # Japanese, for the refusal message


TRANSITIONS: tuple[Transition, ...] = (
    Transition("letter_queued", frozenset({CaseState.OPEN}), CaseState.LETTER_QUEUED, "勧奨通知の印刷待ち"),
    # A printed letter may be posted whatever happened to its open case since it was queued.
    Transition("letter_sent", _OPEN, CaseState.LETTER_SENT, "勧奨通知の送付"),
    Transition("letter_sent", _OPEN, CaseState.SECOND_SENT, "再勧奨の送付"),
    Transition("second_queued", frozenset({CaseState.LETTER_SENT}), CaseState.SECOND_QUEUED, "再勧奨"),
    Transition("response_recorded", _OPEN, CaseState.RESPONDED, "回答の記録"),
    Transition("mail_returned", _OPEN, CaseState.ADDRESS_UNKNOWN, "返戻の記録"),
    Transition(
        "ex_officio_proposed",
        frozenset({CaseState.SECOND_SENT}),
        CaseState.EX_OFFICIO_PROPOSED,
        "職権喪失の提案",
    ),
    Transition(
        "ex_officio_approved",
        frozenset({CaseState.EX_OFFICIO_PROPOSED}),
        CaseState.EX_OFFICIO_APPROVED,
        "職権喪失の承認",
    ),
    Transition(
        "ex_officio_rejected",
        frozenset({CaseState.EX_OFFICIO_PROPOSED}),
        CaseState.SECOND_SENT,
        "職権喪失の差し戻し",
    ),
    # Closing: by a reply, by the clerk (not during the ex officio procedure: services.case_close),
    # by a ledger import, or by the ex officio export.
    Transition("closed", _OPEN, CaseState.CLOSED, "完了"),
)

_BY_ACTION: dict[str, list[Transition]] = {}
for _row in TRANSITIONS:
    _BY_ACTION.setdefault(_row.action, []).append(_row)


def allowed(state: str, action: str, target: str | None = None) -> bool:
    """May a case in `state` take `action` (towards `target`, when the action has several)?"""
    return any(
        state in row.sources and (target is None or row.target == target)
        for row in _BY_ACTION.get(action, ())
    )


def refusal(state: str, action: str, target: str) -> str | None:
    """Why the table refuses this move (None = declared)."""
    if allowed(state, action, target):
        return None
    rows = _BY_ACTION.get(action)
    what = rows[0].label if rows else action
    return f"このケースは今の状態（{CaseState(state).label}）からは「{what}」にできません。画面を開き直して状態を確かめてください。"
