"""Per-row cleaning used by the people importers: every cell is cleaned once, problems are
collected as RowProblems, and repeated values (dates, codes) are parsed once per file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from nhi_portal.intake.errors import ERROR, RowProblem
from nhi_portal.intake.values import clean_text


class RowContext:
    """Collects the problems of one row while its cells are read."""

    __slots__ = ("bad_fields", "line", "problems")

    def __init__(self, line: int) -> None:
        self.line = line
        self.problems: list[RowProblem] = []
        self.bad_fields: list[str] = []

    def add(self, field: str, column: str, raw: str, reason: str, severity: str = ERROR) -> None:
        self.problems.append(RowProblem(self.line, column, raw, reason, severity, field))
        if severity == ERROR and field not in self.bad_fields:
            self.bad_fields.append(field)

    @property
    def has_errors(self) -> bool:
        return bool(self.bad_fields)


def cell(ctx: RowContext, field: str, column: str, raw: str) -> str:
    """Clean one cell; invisible characters (warning) and control characters (error) are reported."""
    cleaned = clean_text(raw)
    for reason, severity in cleaned.problems:
        ctx.add(field, column, raw, reason, severity)
    return cleaned.value


class CachedParser:
    """Parse a repeated value once per file (dates, sexes, codes repeat many times)."""

    def __init__(self, parse: Callable[[str], tuple[object, str | None]]) -> None:
        self._parse = parse
        self._cache: dict[str, tuple[object, str | None]] = {}

    def __call__(self, value: str):
        hit = self._cache.get(value)
        if hit is None:
            hit = self._parse(value)
            if len(self._cache) < 200_000:
                self._cache[value] = hit
        return hit


def today() -> date:
    from django.utils import timezone

    return timezone.localdate()
