"""The nightly batch's case step: open cases from the new decisions and close those the ledger
shows settled; the letters are then waiting to be printed (each queued letter has asked the
letters worker to lay its body out ahead: `letters.letter_queue`)."""

from __future__ import annotations

from enrollment.cases.services import cases_close_by_ledger, cases_open


def cases_step(*, run) -> str:
    opened = cases_open(municipality=run.municipality)
    closed = cases_close_by_ledger(municipality=run.municipality)
    skipped = sum(n for key, n in opened.items() if key.startswith("skipped"))
    return (
        f"ケース作成 {opened.get('opened', 0):,}件、既存ケースに追加 {opened.get('attached', 0):,}件、"
        f"ケース不要 {skipped:,}件、台帳により完了 {closed.get('enrolled', 0) + closed.get('withdrew', 0):,}件"
    )
