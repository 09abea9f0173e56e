"""Importers register here (in their app's `ready()`), one per ImportKind; the intake service
looks them up, so the shared base never imports the apps above it."""

from __future__ import annotations

from collections.abc import Callable
from typing import BinaryIO, Protocol

from nhi_portal.intake.errors import RowProblem
from nhi_portal.intake.table import CsvSource

Progress = Callable[[int], None]  # called with the number of rows read so far


class Importer(Protocol):
    kind: str
    what: str  # Japanese name of the file kind, used in messages (e.g. 「住民基本台帳」)

    def open(self, stream: BinaryIO, *, batch) -> CsvSource:
        """Open the file and check its header (raise FileRejected). May set batch.annex."""

    def save(self, source: CsvSource, *, batch, state: dict, progress: Progress) -> list[RowProblem]:
        """Read, validate and write every row inside the import transaction; return the row
        problems and put the number of rows read in state["rows"]."""

    def finish(self, *, batch, state: dict) -> dict:
        """After the rows are written, still inside the transaction: return the summary counts."""


_IMPORTERS: dict[str, Importer] = {}


def register(importer: Importer) -> None:
    _IMPORTERS[importer.kind] = importer


def get_importer(kind: str) -> Importer:
    try:
        return _IMPORTERS[kind]
    except KeyError:
        raise LookupError(f"no importer registered for kind {kind!r}") from None


def registered_kinds() -> list[str]:
    return list(_IMPORTERS)
