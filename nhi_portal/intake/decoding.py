"""Detect a CSV file's encoding by reading it once as a stream: UTF-8 (with or without BOM) or
CP932/Shift_JIS. Anything else — binary data, UTF-16, mixed encodings, a BOM in the middle
(two files glued together), bytes no encoding explains — rejects the file with the line where
it happens. Streaming keeps memory flat for a 4,000,000-row register."""

from __future__ import annotations

import codecs
import io
from typing import BinaryIO

from nhi_portal.intake.errors import FileRejected

UTF8_BOM = b"\xef\xbb\xbf"
BLOCK = 1 << 20
_CONTROL_BYTES = bytes(c for c in range(0x01, 0x20) if c not in (0x09, 0x0A, 0x0D))


class _LineCounter:
    def __init__(self) -> None:
        self.lines_before = 0

    def line_at(self, block: bytes, offset: int) -> int:
        return self.lines_before + block.count(b"\n", 0, offset) + 1


def _reject_binary(block: bytes, counter: _LineCounter, first: bool) -> None:
    nul = block.find(b"\x00")
    if nul >= 0:
        raise FileRejected(
            "CSVではなくバイナリデータのようです（Excelファイルや圧縮ファイルではありませんか）。"
            "CSV形式で保存したファイルを選んでください。",
            line=counter.line_at(block, nul),
        )
    if first:
        sample = block[:65536]
        controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
        if sample and controls > max(8, len(sample) // 20):
            raise FileRejected(
                "CSVではなくバイナリデータのようです（制御文字が多すぎます）。CSV形式で保存したファイルを選んでください。"
            )


def detect_encoding(stream: BinaryIO) -> str:
    """Return "utf-8-sig", "utf-8" or "cp932"; the stream is left at its start."""
    head = stream.read(4)
    stream.seek(0)
    if not head:
        raise FileRejected("ファイルが空です。中身のあるCSVファイルを選んでください。")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRejected(
            "UTF-16で保存されたファイルは読めません。UTF-8またはShift_JISで保存し直してください。"
        )
    has_bom = head.startswith(UTF8_BOM)
    try:
        _check_utf8(stream, skip_bom=has_bom)
        encoding = "utf-8-sig" if has_bom else "utf-8"
    except _NotUtf8 as exc:
        if has_bom or not exc.prefix_ascii:
            raise FileRejected(
                "途中からUTF-8として読めなくなります。文字コードが混在しています"
                "（UTF-8とShift_JISなど）。一つの文字コードで保存し直してください。",
                line=exc.line,
            ) from None
        stream.seek(0)
        _check_cp932(stream)
        encoding = "cp932"
    stream.seek(0)
    return encoding


class _NotUtf8(Exception):
    def __init__(self, line: int, prefix_ascii: bool) -> None:
        self.line = line
        self.prefix_ascii = prefix_ascii


def _check_utf8(stream: BinaryIO, *, skip_bom: bool) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    counter = _LineCounter()
    all_ascii = True
    first = True
    meaningful = False
    if skip_bom:
        stream.read(len(UTF8_BOM))
    while block := stream.read(BLOCK):
        _reject_binary(block, counter, first)
        try:
            text = decoder.decode(block)
        except UnicodeDecodeError as exc:
            prefix_ascii = all_ascii and block[: exc.start].isascii()
            raise _NotUtf8(counter.line_at(block, exc.start), prefix_ascii) from None
        _reject_inner_bom(text, counter, block)
        meaningful = meaningful or bool(text.strip())
        all_ascii = all_ascii and block.isascii()
        counter.lines_before += block.count(b"\n")
        first = False
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise _NotUtf8(counter.lines_before + 1, all_ascii) from None
    if not meaningful:
        raise FileRejected("ファイルが空です。中身のあるCSVファイルを選んでください。")


def _reject_inner_bom(text: str, counter: _LineCounter, block: bytes) -> None:
    at = text.find("\ufeff")
    if at >= 0:
        line = counter.lines_before + text.count("\n", 0, at) + 1
        raise FileRejected(
            "ファイルの途中にBOM（先頭を示す印）があります。複数のファイルをつなげていませんか。一つずつ取り込んでください。",
            line=line,
        )


def _check_cp932(stream: BinaryIO) -> None:
    decoder = codecs.getincrementaldecoder("cp932")("strict")
    counter = _LineCounter()
    carry = b""
    first = True
    while block := stream.read(BLOCK):
        _reject_binary(block, counter, first)
        first = False
        data = carry + block
        cut = data.rfind(b"\n") + 1
        whole, carry = data[:cut], data[cut:]
        _check_cp932_lines(whole, decoder, counter)
    if carry:
        _check_cp932_lines(carry, decoder, counter)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise FileRejected(
            "ファイルの最後の文字が途中で切れています。ファイルを最後まで受け取り直してください。",
            line=counter.lines_before + 1,
        ) from None


def _check_cp932_lines(data: bytes, decoder, counter: _LineCounter) -> None:
    try:
        text = decoder.decode(data)
    except UnicodeDecodeError as exc:
        raise FileRejected(
            "文字コードを判別できません（UTF-8でもShift_JISでもない文字があります）。"
            "UTF-8またはShift_JISで保存し直してください。",
            line=counter.line_at(data, exc.start),
        ) from None
    _reject_inner_bom(text, counter, data)
    if not data.isascii():
        # A line that is valid UTF-8 with Japanese characters inside a Shift_JIS file means the
        # file mixes encodings: real Shift_JIS Japanese text is practically never valid UTF-8.
        for number, raw in enumerate(data.split(b"\n")):
            if raw.isascii():
                continue
            try:
                decoded = raw.decode("utf-8")
            except UnicodeDecodeError:
                continue
            if any(ord(ch) >= 0x0800 for ch in decoded):
                raise FileRejected(
                    "Shift_JISのファイルにUTF-8の行が混ざっています。文字コードを一つにそろえて保存し直してください。",
                    line=counter.lines_before + number + 1,
                )
    counter.lines_before += data.count(b"\n")


def open_text(stream: BinaryIO) -> tuple[io.TextIOWrapper, str]:
    """Detect the encoding and return a text stream for the csv module (newline='')."""
    encoding = detect_encoding(stream)
    return io.TextIOWrapper(stream, encoding=encoding, newline=""), encoding


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Convenience for small inputs and tests: (text, encoding)."""
    text_stream, encoding = open_text(io.BytesIO(data))
    return text_stream.read(), encoding
