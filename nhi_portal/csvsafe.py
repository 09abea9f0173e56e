"""Every CSV the portal hands out is written through `writer()`: cells that a spreadsheet would
run as a formula (=, +, -, @ at the start, also a tab or carriage return) get a leading
apostrophe. A test fails if any module outside this one calls csv.writer itself (the COPY
buffers of nhi_portal/intake/bulk.py excepted: they go to PostgreSQL, not to a person)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(_DANGEROUS) and not _is_number(text):
        return "'" + text
    return text


def neutralise(row: Iterable) -> list[str]:
    return [neutralise_cell(v) for v in row]


class SafeWriter:
    """csv.writer's interface; every row neutralised."""

    def __init__(self, stream, **fmt: Any) -> None:
        self._writer = csv.writer(stream, **fmt)

    def writerow(self, row: Iterable) -> Any:
        return self._writer.writerow(neutralise(row))

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for row in rows:
            self.writerow(row)


def writer(stream, **fmt: Any) -> SafeWriter:
    """The one way to write an export CSV (arguments as csv.writer's)."""
    return SafeWriter(stream, **fmt)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
