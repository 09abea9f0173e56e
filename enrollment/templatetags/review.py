"""Template tags of the review pages: marks on the characters that differ, signed weights."""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join

from enrollment.linking.diff import diff_segments
from enrollment.linking.forms import REASON_LABELS

register = template.Library()


@register.simple_tag
def diff_marks(value, other, mode="chars"):
    """`value` (normalised) with `<mark class="diff-mark">` on the characters that differ from
    `other`; every piece of text is escaped. An empty value shows as —. `mode`: see
    `enrollment.linking.diff.diff_segments` ("chars", "words", "fixed")."""
    segments = diff_segments(value, other, mode=mode or "chars")
    if not segments:
        return "—"
    return format_html_join(
        "",
        "{}",
        (
            (format_html('<mark class="diff-mark">{}</mark>', s.text) if s.changed else s.text,)
            for s in segments
        ),
    )


@register.filter
def signed(weight) -> str:
    """+12.3 / −4.5 / 0.0: a weight with its sign (a real minus sign, read as マイナス)."""
    try:
        number = float(weight)
    except (TypeError, ValueError):
        return ""
    if abs(number) < 0.05:
        return "0.0"
    return f"{'+' if number > 0 else '−'}{abs(number):.1f}"


@register.filter
def reason_label(code: str) -> str:
    """The Japanese label of a decision's reason code (the engine's or a remembered decision's)."""
    return REASON_LABELS.get(code, code)


@register.filter
def points(score) -> str:
    """A score to one decimal, with a real minus sign: 39.8 / −17.4."""
    try:
        number = float(score)
    except (TypeError, ValueError):
        return "—"
    return f"{'−' if number < 0 else ''}{abs(number):.1f}"
