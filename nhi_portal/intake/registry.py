"""Importers register here (in their app's `ready()`), one per ImportKind; the intake service
looks them up, so the shared base never imports the apps above it."""

from __future__ import annotations

from typing import Protocol, TextIO

from nhi_portal.intake.table import Chunk, TableReader


class Importer(Protocol):
    kind: str
    what: str  # Japanese name of the file kind, used in messages (e.g. 「住民基本台帳」)

    def open(self, text: TextIO, *, batch) -> TableReader:
        """Check the header (raise FileRejected) and return the reader. May set batch.annex."""

    def save_chunk(self, chunk: Chunk, reader: TableReader, *, batch, state: dict) -> list:
        """Validate and write one chunk inside the import transaction; return RowProblems."""

    def finish(self, *, batch, state: dict) -> dict:
        """After the last chunk, still inside the transaction: return the summary counts."""


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
