"""CSV cells that a spreadsheet would run as a formula (=, +, -, @ at the start, also after a tab
or carriage return) are neutralised with a leading apostrophe — for every export."""

from __future__ import annotations

from collections.abc import Iterable

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(_DANGEROUS) and not _is_number(text):
        return "'" + text
    return text


def neutralise(row: Iterable) -> list[str]:
    return [neutralise_cell(v) for v in row]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
