"""Template helpers for the review page's "why is this record here" section (_review_why.html):
the readings of a record with their probabilities and letters, and the learned model behind it."""

from __future__ import annotations

from django import template

from enrollment.matching.decision import ACTION_LABELS_JA, NO_LETTER

register = template.Library()


@register.filter
def percent(value) -> str:
    """0.99953 → "99.95%"; tiny and near-certain values keep their meaning ("<0.01%", ">99.99%")."""
    if value is None or value == "":
        return "—"
    number = 100 * float(value)
    if 0 < number < 0.01:
        return "0.01%未満"
    if 99.99 < number < 100:
        return "99.99%超"
    return f"{number:.2f}%".replace(".00%", "%")


@register.simple_tag
def record_readings(explanation: dict) -> list[dict]:
    """The explanation's readings with the candidate number each refers to (候補N), most likely
    first, and whether it sends a letter."""
    numbers = {c["resident_id"]: n for n, c in enumerate((explanation or {}).get("candidates", []), start=1)}
    rows = []
    for reading in (explanation or {}).get("readings", []):
        resident_id = reading.get("resident_id")
        rows.append({
            "who": f"候補{numbers[resident_id]}" if resident_id in numbers else (
                f"住民 #{resident_id}" if resident_id else "この市区町村の住民ではない（候補者の誰でもない）"),
            "probability": reading.get("probability"),
            "action_label": reading.get("action_label") or ACTION_LABELS_JA.get(reading.get("action", ""), ""),
            "letter": reading.get("action", NO_LETTER) != NO_LETTER,
        })  # fmt: skip
    return rows


@register.simple_tag
def field_weights(explanation: dict) -> list[dict]:
    """The best candidate's per-field contributions with the learned m and u behind each weight."""
    candidates = (explanation or {}).get("candidates", [])
    if not candidates:
        return []
    return [c for c in candidates[0].get("comparisons", []) if "m" in c]
