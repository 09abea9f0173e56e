"""Nightly step: work out today's arrears once after the night's assessment and payment files are
in, so the arrears pages answer at once during the day (the result is cached with the data's
stamp, see selectors.households_in_arrears)."""

from __future__ import annotations

from django.utils import timezone

from arrears import selectors


def arrears_step(*, run) -> str:
    today = timezone.localdate()
    found = selectors.households_in_arrears(municipality_id=run.municipality_id, as_of=today)
    amount = sum(h.overdue_amount for h in found)
    return f"{today:%Y-%m-%d}現在の滞納世帯 {len(found):,}世帯、未納額 {amount:,}円"
