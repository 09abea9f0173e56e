"""What may be attached to a notice (添付資料): PDF, JPEG or PNG files, checked by their first
bytes as well as their name, at most NOTICE_DOCUMENT_MAX_BYTES each. No Django here."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePath

MAX_BYTES = 10 * 1024 * 1024
MAX_PER_NOTICE = 10

# extension → (content type, the bytes such a file starts with)
KINDS: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
}


@dataclass(frozen=True)
class CheckedDocument:
    original_name: str
    extension: str
    content_type: str
    content: bytes
    sha256: str


def document_check(name: str, content: bytes) -> CheckedDocument | str:
    """The checked document, or why it cannot be attached (Japanese, for the clerk)."""
    shown = PurePath(name).name[:255] or "（名前のないファイル）"
    extension = PurePath(shown).suffix.lower()
    if extension not in KINDS:
        return f"{shown}：添付できるのはPDF・JPEG・PNGのファイルだけです。スキャンした書類はPDFで保存して選んでください。"
    if not content:
        return f"{shown}：ファイルが空です。内容のあるファイルを選んでください。"
    if len(content) > MAX_BYTES:
        return f"{shown}：ファイルが大きすぎます（{MAX_BYTES // (1024 * 1024)}MBまで）。解像度を下げて保存し直してください。"
    content_type, starts = KINDS[extension]
    if not content.startswith(starts):
        return f"{shown}：ファイルの中身が{extension[1:].upper()}ではありません。元のファイルを保存し直して選んでください。"
    return CheckedDocument(shown, extension, content_type, content, hashlib.sha256(content).hexdigest())
