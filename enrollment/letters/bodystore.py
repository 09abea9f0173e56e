"""Laid-out letter bodies kept on disk, shared by every process (web workers, Celery workers).

A body is the part of a letter without personal data (see render.py): its text depends only on
the variant (kind, language, dates, …), the layout, the sender and the municipality's wording.
Laying one out costs ~0.5 s, more than a preview may take, so bodies are kept in a directory
(`NHI_LETTER_BODY_DIR`) where any process finds those another laid out — a print batch, or the
warm-up that lays out today's variants of the queued letters (`warm_bodies`). Nothing personal
is stored.

A key is a digest of the variant and its setting *and of the engine itself* (its code, templates,
catalogues and the WeasyPrint version): after an upgrade or a catalogue edit no stale body is
reused. Files are written atomically (a reader sees a whole file or none); `prune` removes those
not written for `max_age_days`.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from .pdf import Body

_ENGINE_DIR = Path(__file__).resolve().parent
_TEMPLATES_DIR = _ENGINE_DIR.parents[1] / "templates" / "letters"


@cache
def engine_version() -> str:
    """A digest of everything a body's text and layout come from besides its key."""
    import weasyprint

    digest = hashlib.sha256(weasyprint.__version__.encode())
    files = [*_ENGINE_DIR.glob("*.py"), *_ENGINE_DIR.glob("catalogues/*.json"), *_TEMPLATES_DIR.glob("*")]
    for path in sorted(files):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


class BodyStore:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def _key(self, variant, setting: tuple) -> str:
        text = repr((engine_version(), variant, *setting))
        return hashlib.sha256(text.encode()).hexdigest()

    def load(self, variants: Iterable, setting: tuple) -> dict:
        """{variant: (pdf, Body)} for the variants stored; variants sharing a PDF share its bytes."""
        found, pdfs = {}, {}
        for variant in variants:
            try:
                meta = json.loads((self.directory / f"{self._key(variant, setting)}.json").read_text())
                name = meta["pdf"]
                if name not in pdfs:
                    pdfs[name] = (self.directory / name).read_bytes()
                found[variant] = (pdfs[name], Body(tuple(meta["pages"]), meta["enclosure"]))
            except (OSError, ValueError, KeyError):
                continue
        return found

    def save(self, pdf: bytes, bodies: dict, setting: tuple) -> None:
        """Store one laid-out document and where each of its variants' bodies is in it."""
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{hashlib.sha256(pdf).hexdigest()[:40]}.pdf"
        if (self.directory / name).exists():
            os.utime(self.directory / name)  # kept as long as an index names it (prune)
        else:
            self._write(name, pdf)
        for variant, body in bodies.items():
            meta = {"pdf": name, "pages": list(body.pages), "enclosure": body.enclosure}
            self._write(f"{self._key(variant, setting)}.json", json.dumps(meta).encode())

    def _write(self, name: str, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, self.directory / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def prune(self, max_age_days: float = 14) -> int:
        """Remove files not written for `max_age_days` (an index first, then the PDF it names is
        old too); returns how many."""
        if not self.directory.is_dir():
            return 0
        limit = time.time() - max_age_days * 86400
        removed = 0
        for path in self.directory.iterdir():
            try:
                if path.stat().st_mtime < limit:
                    path.unlink()
                    removed += 1
            except OSError:
                continue
        return removed


def body_store() -> BodyStore | None:
    """The store named by the NHI_LETTER_BODY_DIR setting; None when it is not set."""
    from django.conf import settings

    directory = getattr(settings, "NHI_LETTER_BODY_DIR", None)
    return BodyStore(directory) if directory else None
