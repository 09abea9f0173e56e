"""How case, letter and notice values look on a page (表示用の語と色): the tone of a status tag (the
word is always beside the colour, docs/ui.md) and the Japanese name of a letter's second language.
The one place for these; the case, letter and immigration-notice pages all read it."""

from __future__ import annotations

from enrollment.models import CaseState, LetterStatus, NoticeState, PrintBatch

STATE_TONES = {
    CaseState.OPEN: "neutral",
    CaseState.LETTER_QUEUED: "info",
    CaseState.LETTER_SENT: "info",
    CaseState.SECOND_QUEUED: "warning",
    CaseState.SECOND_SENT: "warning",
    CaseState.EX_OFFICIO_PROPOSED: "primary",
    CaseState.EX_OFFICIO_APPROVED: "primary",
    CaseState.ADDRESS_UNKNOWN: "error",
    CaseState.RESPONDED: "success",
    CaseState.CLOSED: "neutral",
}
LETTER_TONES = {
    LetterStatus.QUEUED: "info",
    LetterStatus.HELD: "warning",
    LetterStatus.PRINTED: "info",
    LetterStatus.SENT: "success",
    LetterStatus.RETURNED: "error",
    LetterStatus.CANCELLED: "neutral",
}
BATCH_TONES = {
    PrintBatch.Status.RENDERING: "info",
    PrintBatch.Status.READY: "warning",  # waits for the clerk: print, post, mark sent
    PrintBatch.Status.SENT: "success",
    PrintBatch.Status.FAILED: "error",
}
NOTICE_TONES = {
    NoticeState.DRAFT: "neutral",
    NoticeState.SUBMITTED: "warning",
    NoticeState.APPROVED: "info",
    NoticeState.SENT: "success",
    NoticeState.REJECTED: "error",
    NoticeState.WITHDRAWN: "neutral",
}
LANGUAGE_LABELS = {
    "ja": "日本語のみ",
    "en": "英語",
    "vi": "ベトナム語",
    "id": "インドネシア語",
    "my": "ミャンマー語",
    "zh-Hans": "中国語（簡体字）",
    "ne": "ネパール語",
}


def state_tone(state: str) -> str:
    return STATE_TONES.get(state, "neutral")


def letter_tone(status: str) -> str:
    return LETTER_TONES.get(status, "neutral")


def batch_tone(status: str) -> str:
    return BATCH_TONES.get(status, "neutral")


def notice_tone(state: str) -> str:
    """The tag colour of an immigration notice's state (入管通知の状態)."""
    return NOTICE_TONES.get(state, "neutral")


def language_label(code: str | None) -> str:
    """The letter's second language in Japanese; no code means Japanese only."""
    return LANGUAGE_LABELS.get(code or "ja", code or "")
