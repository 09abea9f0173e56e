"""Detect a CSV file's encoding and transcode it to UTF-8 in one streaming pass: UTF-8 (with or
without BOM), CP932/Shift_JIS, or UTF-16 (Excel's 「Unicode テキスト」: UTF-16LE with BOM; BE with
BOM and LE without BOM are recognised as well). Anything else — binary data, mixed encodings, a BOM
in the middle (two files glued together), bytes no encoding explains — rejects the file with the
line where it happens. Every check runs in C or numpy, so a 1,000,000-row file takes about a
second."""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from nhi_portal.intake.errors import FileRejected

UTF8_BOM = b"\xef\xbb\xbf"
BLOCK = 8 << 20
_CONTROL_BYTES = bytes(c for c in range(0x01, 0x20) if c not in (0x09, 0x0A, 0x0D))
_KEEP_LINE_CHARS = {ord("\t"): " ", ord("\r"): " ", ord("\n"): " "}
_EMPTY = "ファイルが空です。中身のあるCSVファイルを選んでください。"
_MIXED_UTF8_FIRST = (
    "途中からUTF-8として読めなくなります。文字コードが混在しています"
    "（UTF-8とShift_JISなど）。一つの文字コードで保存し直してください。"
)


@dataclass(frozen=True)
class Decoded:
    data: bytes  # UTF-8, without BOM
    encoding: str  # what the file was: "utf-8", "utf-8-sig" or "cp932"

    @property
    def text(self) -> str:
        return self.data.decode("utf-8")


class _Lines:
    """Counts lines of the blocks already read, to name the line of a problem."""

    def __init__(self) -> None:
        self.before = 0

    def at(self, block: bytes, offset: int) -> int:
        return self.before + block.count(b"\n", 0, offset) + 1


def _reject_binary(block: bytes, lines: _Lines, first: bool) -> None:
    nul = block.find(b"\x00")
    if nul >= 0:
        raise FileRejected(
            "CSVではなくバイナリデータのようです（Excelファイルや圧縮ファイルではありませんか）。"
            "CSV形式で保存したファイルを選んでください。",
            line=lines.at(block, nul),
        )
    if first:
        sample = block[:65536]
        controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
        if sample and controls > max(8, len(sample) // 20):
            raise FileRejected(
                "CSVではなくバイナリデータのようです（制御文字が多すぎます）。CSV形式で保存したファイルを選んでください。"
            )


def _reject_inner_bom(text: str, lines: _Lines, *, at_line_start: bool) -> None:
    """A BOM at the start of a line means a second file was glued on. One inside a value is
    only an invisible character (cell cleaning removes it, with a warning)."""
    at = text.find("\ufeff")
    while at >= 0:
        if (at == 0 and at_line_start) or (at > 0 and text[at - 1] == "\n"):
            raise FileRejected(
                "ファイルの途中にBOM（先頭を示す印）があります。複数のファイルをつなげていませんか。一つずつ取り込んでください。",
                line=lines.before + text.count("\n", 0, at) + 1,
            )
        at = text.find("\ufeff", at + 1)


def _reject_utf8_lines_in_cp932(block: bytes, lines: _Lines) -> None:
    """A line that is valid UTF-8 with kana/kanji inside a Shift_JIS file means the file mixes
    encodings (real Shift_JIS Japanese is practically never valid UTF-8). numpy finds the bytes
    shaped like a UTF-8 CJK character; only those lines are decoded to check."""
    raw = np.frombuffer(block, dtype=np.uint8)
    if raw.size < 3:
        return
    lead = (raw[:-2] - np.uint8(0xE3)) <= 6  # 0xE3-0xE9 (uint8 wraps below 0xE3)
    cont = (raw >= 0x80) & (raw < 0xC0)
    candidates = np.flatnonzero(lead & cont[1:-1] & cont[2:])
    checked_until = -1
    for position in candidates.tolist():
        if position < checked_until:
            continue
        start = block.rfind(b"\n", 0, position) + 1
        end = block.find(b"\n", position)
        end = len(block) if end < 0 else end
        checked_until = end
        try:
            decoded = block[start:end].decode("utf-8")
        except UnicodeDecodeError:
            continue
        if any(ord(ch) >= 0x0800 for ch in decoded):
            raise FileRejected(
                "Shift_JISのファイルにUTF-8の行が混ざっています。文字コードを一つにそろえて保存し直してください。",
                line=lines.at(block, start),
            )


class _MixedCheck:
    """Runs the UTF-8-inside-Shift_JIS check on whole lines only: a block boundary can split a
    Shift_JIS character, and half of one can look like UTF-8."""

    def __init__(self) -> None:
        self.carry = b""
        self.lines = _Lines()

    def skip(self, block: bytes) -> None:
        self.check(block, only_track=True)

    def check(self, block: bytes, *, only_track: bool = False) -> None:
        data = self.carry + block
        cut = data.rfind(b"\n") + 1
        whole, self.carry = data[:cut], data[cut:]
        if whole and not only_track:
            _reject_utf8_lines_in_cp932(whole, self.lines)
        self.lines.before += whole.count(b"\n")

    def finish(self) -> None:
        if self.carry:
            _reject_utf8_lines_in_cp932(self.carry, self.lines)


class _Utf16AsUtf8:
    """A UTF-16 file read as UTF-8 bytes (the BOM dropped), so the UTF-8 checks that follow see
    the same text a UTF-8 file would give. `bytes_read` counts the file's own bytes (progress)."""

    def __init__(self, stream: BinaryIO, codec: str) -> None:
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder(codec)("strict")
        self.bytes_read = 0
        self._lines = 0  # line breaks decoded so far, to name the line of a broken character

    def read(self, size: int) -> bytes:
        block = self._stream.read(size)
        self.bytes_read += len(block)
        try:
            text = self._decoder.decode(block, final=not block)
        except UnicodeDecodeError:
            raise FileRejected(
                "UTF-16として読めない文字があります（ファイルが途中で切れているか、壊れています）。"
                "ExcelでCSV UTF-8（コンマ区切り）形式で保存し直してください。",
                line=self._lines + 1,
            ) from None
        self._lines += text.count("\n")
        return text.encode("utf-8")


def utf16_codec(head: bytes) -> str | None:
    """'utf-16' for a file starting with a UTF-16 BOM; 'utf-16-le' for UTF-16LE without BOM, told
    by its shape (a NUL after each ASCII byte, rarely before one, and printable lines); None otherwise."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    sample = head[: 4096 - len(head[:4096]) % 2]
    if len(sample) < 8:
        return None
    odd, even = sample[1::2], sample[0::2]
    # ASCII (digits, commas, line ends) is a byte and a NUL in UTF-16LE; a NUL comes first only
    # for the few characters U+xx00 (一 is U+4E00).
    if odd.count(0) * 10 < len(odd) or even.count(0) * 10 > odd.count(0):
        return None
    text = sample.decode("utf-16-le", errors="ignore")  # the sample may cut a surrogate pair
    if "\n" not in text or not text.translate(_KEEP_LINE_CHARS).isprintable():
        return None
    return "utf-16-le"


class Utf8Blocks:
    """Iterate a file as UTF-8 byte blocks (no BOM), checking each block as it is read. After
    the iteration `encoding` says what the file was; the first block with a non-ASCII byte
    decides between UTF-8 and CP932 (ASCII is the same in both)."""

    def __init__(self, stream: BinaryIO, *, block_size: int = BLOCK) -> None:
        self._stream = stream
        self._block_size = block_size
        self.encoding = "utf-8"
        self.bytes_read = 0

    def __iter__(self) -> Iterator[bytes]:
        stream = self._stream
        stream.seek(0)
        head = stream.read(4)
        stream.seek(0)
        if not head:
            raise FileRejected(_EMPTY)
        utf16 = utf16_codec(stream.read(4096))
        stream.seek(0)
        has_bom = head.startswith(UTF8_BOM)
        if utf16:
            # Read as UTF-8 from here on; the label says what the file was.
            stream = utf16_stream = _Utf16AsUtf8(stream, utf16)
            self.encoding = "utf-16-be" if head.startswith(b"\xfe\xff") else "utf-16-le"
        elif has_bom:
            stream.read(len(UTF8_BOM))
            self.bytes_read = len(UTF8_BOM)
            self.encoding = "utf-8-sig"
        lines = _Lines()
        # None: only ASCII seen so far (UTF-8 and CP932 agree on it)
        encoding: str | None = "utf-8-sig" if has_bom or utf16 else None
        decoder = codecs.getincrementaldecoder("utf-8")("strict") if has_bom or utf16 else None
        first = True
        meaningful = False
        at_line_start = False  # the file's own first line may start with a BOM (skipped above)
        mixed = _MixedCheck()
        while block := stream.read(self._block_size):
            self.bytes_read = utf16_stream.bytes_read if utf16 else self.bytes_read + len(block)
            _reject_binary(block, lines, first)
            first = False
            meaningful = meaningful or bool(block.strip())
            if encoding is None and block.isascii():
                lines.before += block.count(b"\n")
                at_line_start = block.endswith(b"\n")
                mixed.skip(block)
                yield block
                continue
            if encoding is None:
                encoding, decoder, text = _choose_encoding(block, lines)
                self.encoding = encoding
            else:
                try:
                    text = decoder.decode(block)
                except UnicodeDecodeError as exc:
                    if encoding == "cp932":
                        raise _undecodable(lines.at(block, exc.start)) from None
                    raise FileRejected(_MIXED_UTF8_FIRST, line=lines.at(block, exc.start)) from None
            _reject_inner_bom(text, lines, at_line_start=at_line_start)
            at_line_start = block.endswith(b"\n")
            if encoding == "cp932":
                mixed.check(block)
                out = text.encode("utf-8")
            else:
                out = block
            lines.before += block.count(b"\n")
            yield out
        if encoding == "cp932":
            mixed.finish()
        if decoder is not None:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                raise FileRejected(
                    "ファイルの最後の文字が途中で切れています。ファイルを最後まで受け取り直してください。",
                    line=lines.before + 1,
                ) from None
        if not meaningful:
            raise FileRejected(_EMPTY)


def transcode_to_utf8(stream: BinaryIO) -> Decoded:
    """The whole file as UTF-8 (small files and tests; importers stream with Utf8Blocks)."""
    blocks = Utf8Blocks(stream)
    data = b"".join(blocks)
    return Decoded(data=data, encoding=blocks.encoding)


def _choose_encoding(block: bytes, lines: _Lines):
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        return "utf-8", decoder, decoder.decode(block)
    except UnicodeDecodeError as exc:
        if not block[: exc.start].isascii():
            raise FileRejected(_MIXED_UTF8_FIRST, line=lines.at(block, exc.start)) from None
    decoder = codecs.getincrementaldecoder("cp932")("strict")
    try:
        return "cp932", decoder, decoder.decode(block)
    except UnicodeDecodeError as exc:
        raise _undecodable(lines.at(block, exc.start)) from None


def _undecodable(line: int) -> FileRejected:
    return FileRejected(
        "文字コードを判別できません（UTF-8でもShift_JISでもない文字があります）。UTF-8またはShift_JISで保存し直してください。",
        line=line,
    )


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Small inputs and tests: (text, encoding)."""
    decoded = transcode_to_utf8(io.BytesIO(data))
    return decoded.text, decoded.encoding
