"""What an import can say about a file: a rejection (nothing imported) or row problems."""

from __future__ import annotations

from dataclasses import dataclass


class FileRejected(Exception):
    """The whole file is refused; nothing of it is imported. `reason` is Japanese, for the clerk."""

    def __init__(self, reason: str, *, line: int | None = None, column: str | None = None) -> None:
        self.reason = reason
        self.line = line
        self.column = column
        super().__init__(self.message())

    def message(self, filename: str | None = None) -> str:
        where = []
        if filename:
            where.append(f"ファイル「{filename}」")
        if self.line is not None:
            where.append(f"{self.line}行目")
        if self.column:
            where.append(f"列「{self.column}」")
        prefix = "、".join(where)
        return f"{prefix}: {self.reason}" if prefix else self.reason


ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class RowProblem:
    """One problem in one cell: `line N, column C: value — reason`. An error makes the value
    unusable (stored empty, raw kept); a warning means the value was cleaned and is usable."""

    line: int
    column: str
    value: str
    reason: str
    severity: str = ERROR
    field: str = ""  # the model field the column feeds, for "never auto-match on a bad field"

    def as_text(self) -> str:
        shown = self.value if len(self.value) <= 60 else self.value[:57] + "…"
        return f"{self.line}行目、列「{self.column}」: 「{shown}」 — {self.reason}"
