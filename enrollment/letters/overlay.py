"""Overlay pages drawn directly into PDF, without a layout engine.

An overlay page holds a few lines of personal data at fixed places: the postal code and address
lines and the addressee in the window, the letter number (twice), the person concerned in the
対象者 box, and on a reply form's overlay the letter number and the name. Laying those out with
WeasyPrint cost ~12–17 ms a page (CSS cascade, box layout, drawing); here each line is shaped
with HarfBuzz (uharfbuzz: the same shaping engine Pango uses under WeasyPrint, so kerning of Latin
names is the same) in Noto Sans CJK JP, the one font of the overlay, and written at the position
WeasyPrint's box model gives it (templates/letters/overlay.css: absolutely placed boxes, a
line height in mm, half-leading above the text). One subset of the font (HarfBuzz's subsetter,
glyph ids kept, as WeasyPrint embeds it) is embedded per chunk of pages, with widths and a
ToUnicode map, so the text is real text for search, copy and screen readers.

`overlay_pages` returns None for a chunk holding a letter it cannot draw exactly as WeasyPrint
would: an address line wider than the window (WeasyPrint would wrap it; `check_address` holds such
a letter, but its preview must still show it) or a character the font lacks (WeasyPrint would
fall back to another font; such a letter is held too). The caller then lays out that chunk
with WeasyPrint, as before. tests/letters/test_overlay.py compares word boxes and page images of
both ways.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from .address import PT_PER_MM
from .content import LayoutConfig
from .languages import NOTO_CJK_JP

A4_PT = (595.275591, 841.889764)
FONT_NAME = "Noto-Sans-CJK-JP"  # as WeasyPrint names it (pdffonts, the font tests)
_SPACES = re.compile(r"\s+")
# Tables a PDF renderer does not read (shaping is done): WeasyPrint drops the same ones.
_DROP_TABLES = ("BASE", "DSIG", "EBDT", "EBLC", "EBSC", "GPOS", "GSUB", "JSTF", "LTSH", "PCLT", "SVG ")


@dataclass(frozen=True)
class Glyphs:
    """One shaped line: glyph ids, advances and offsets in font units, and the text of each
    glyph's cluster (for ToUnicode)."""

    gids: tuple[int, ...]
    advances: tuple[int, ...]
    x_offsets: tuple[int, ...]
    y_offsets: tuple[int, ...]
    texts: tuple[str, ...]

    @property
    def width(self) -> int:
        return sum(self.advances)


class OverlayFont:
    """Noto Sans CJK JP as fontconfig resolves it for WeasyPrint, opened once per process."""

    def __init__(self) -> None:
        import uharfbuzz as hb

        from .fonts import resolve

        face = resolve(NOTO_CJK_JP)
        self.blob = hb.Blob.from_file_path(face.path)
        self.face = hb.Face(self.blob, face.index)
        self.font = hb.Font(self.face)
        self.upem = self.face.upem
        extents = self.font.get_font_extents("ltr")
        self.ascent, self.descent = extents.ascender, -extents.descender  # font units, both > 0
        self._nominal = frozenset(self.face.unicodes)  # code points the face maps

    def has(self, text: str) -> bool:
        return all(ord(c) in self._nominal or c == " " for c in text)

    def advance(self, gid: int) -> int:
        return self.font.get_glyph_h_advance(gid)

    def shape(self, text: str) -> Glyphs:
        """Shape `text` as Pango does: split into script runs (Latin apart from the rest, spaces,
        digits and punctuation staying with the run before), each shaped with language ja."""
        import uharfbuzz as hb

        gids, advances, xs, ys, texts = [], [], [], [], []
        for run in _script_runs(text):
            buffer = hb.Buffer()
            buffer.add_str(run)
            buffer.guess_segment_properties()
            buffer.language = "ja"
            hb.shape(self.font, buffer)
            infos, positions = buffer.glyph_infos, buffer.glyph_positions
            clusters = [info.cluster for info in infos]  # code point offsets into `run`, rising
            # A cluster's text runs to the start of the next cluster; its first glyph carries it.
            ends, start = [0] * len(clusters), len(run)
            for i in range(len(clusters) - 1, -1, -1):
                ends[i] = start
                if i == 0 or clusters[i - 1] != clusters[i]:
                    start = clusters[i]
            for i, (info, pos) in enumerate(zip(infos, positions, strict=True)):
                gids.append(info.codepoint)
                advances.append(pos.x_advance)
                xs.append(pos.x_offset)
                ys.append(pos.y_offset)
                first = i == 0 or clusters[i - 1] != clusters[i]
                texts.append(run[clusters[i] : ends[i]] if first else "")
        return Glyphs(tuple(gids), tuple(advances), tuple(xs), tuple(ys), tuple(texts))


def _latin(char: str) -> bool:
    return char.isalpha() and ord(char) < 0x2E80


def _common(char: str) -> bool:
    return not char.isalpha()


def _script_runs(text: str) -> list[str]:
    runs: list[str] = []
    kind = None
    for char in text:
        this = None if _common(char) else _latin(char)
        if runs and (this is None or this == kind or kind is None):
            runs[-1] += char
            if kind is None:
                kind = this
        else:
            runs.append(char)
            kind = this
    return runs


@cache
def _font() -> OverlayFont:
    return OverlayFont()


# --- the overlay's boxes (templates/letters/overlay.css and _stamp.html / _overlay.html) ---------


@dataclass(frozen=True)
class Line:
    """One line of text: its box's left edge and top in mm, width of the box (for right
    alignment), font size in pt, line height in mm, colour (grey level)."""

    text: str
    left_mm: float
    top_mm: float
    size_pt: float
    line_mm: float
    box_width_mm: float = 0.0
    right: bool = False
    wrap_width_mm: float = 0.0  # pre-line box: a longer line would wrap in WeasyPrint
    grey: float = 0.0


def _collapse(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def overlay_lines(o: dict, g: dict, layout: LayoutConfig) -> list[list[Line]]:
    """The pages (one, or two with a reply form) of one letter's overlay, as lines."""
    left, width = g["text_left"], g["text_width"]
    page = []
    window = [f"〒{o['postal_code']}", *o["address_lines"]]
    for i, text in enumerate(window):
        page.append(Line(_collapse(text), left, g["text_top"] + i * g["address_line_mm"],
                         layout.address_font_pt, g["address_line_mm"], wrap_width_mm=width))  # fmt: skip
    page.append(Line(_collapse(o["name_line"]), left, g["name_top"], o["name_pt"], g["name_line_mm"]))
    page.append(Line(o["letter_number"], g["issuer_left"], g["issuer_top"], 9.5, g["issuer_row"],
                     box_width_mm=g["issuer_width"], right=True))  # fmt: skip
    if o["subject_name"]:
        page.append(Line(_collapse(f"{o['subject_name']} 様"), g["subject_name_left"],
                         g["subject_name_top"], o["subject_pt"], g["subject_slot"]))  # fmt: skip
    page.append(Line(o["letter_number"], g["margin_side"], g["footer_top"], 7.5, 3.0, grey=0x44 / 255))
    pages = [page]
    if o["form"]:
        pages.append(
            [
                Line(o["letter_number"], g["form_slot_left"], g["form_number_top"], 11, g["subject_slot"]),
                Line(
                    _collapse(o["form_name"]),
                    g["form_slot_left"],
                    g["form_name_top"],
                    o["form_name_pt"],
                    g["subject_slot"],
                ),
            ]
        )
    return pages


def _drawable(lines: Sequence[Line], font: OverlayFont) -> bool:
    for line in lines:
        if not font.has(line.text) or _shown(line.text).vertical:
            return False
        if line.wrap_width_mm:
            width_pt = _shown(line.text).width / font.upem * line.size_pt
            if width_pt > line.wrap_width_mm * PT_PER_MM:
                return False
    return True


def _number(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text if text != "-0" else "0"


@dataclass(frozen=True)
class ShownText:
    """A shaped text as a TJ array (glyph codes and kerning in 1/1000 em, so the same at every
    size), its width in font units, and its glyphs (id, nominal advance, text) for the font
    dictionaries."""

    tj: str
    width: int
    glyphs: tuple[tuple[int, int, str], ...]
    vertical: bool  # a glyph moved up or down: not drawn here (never in Latin or CJK text)


@lru_cache(maxsize=65536)  # lines repeat (towns, buildings); bounded for long-lived workers
def _shown(text: str) -> ShownText:
    font = _font()
    glyphs = font.shape(text)
    per_mille = 1000 / font.upem
    items: list[str] = []
    entries = []
    for gid, advance, dx, text_of in zip(
        glyphs.gids, glyphs.advances, glyphs.x_offsets, glyphs.texts, strict=True
    ):
        nominal = font.advance(gid)
        entries.append((gid, nominal, text_of))
        if dx:
            items.append(_number(-dx * per_mille))
        items.append(f"<{gid:04x}>")
        shift = advance - nominal - dx
        if shift:
            items.append(_number(-shift * per_mille))
    return ShownText("".join(items), glyphs.width, tuple(entries), any(glyphs.y_offsets))


def _show(line: Line, font: OverlayFont, used: dict[int, tuple[int, str]]) -> bytes:
    """The content-stream operators that draw one line (text position from the CSS box model:
    the baseline sits half the leading plus the ascent below the line box's top)."""
    shown = _shown(line.text)
    scale = line.size_pt / font.upem
    height = (font.ascent + font.descent) * scale
    baseline_pt = line.top_mm * PT_PER_MM + (line.line_mm * PT_PER_MM - height) / 2 + font.ascent * scale
    x = line.left_mm * PT_PER_MM
    if line.right:
        x += line.box_width_mm * PT_PER_MM - shown.width * scale
    for gid, nominal, text in shown.glyphs:
        if gid not in used or (text and not used[gid][1]):
            used[gid] = (nominal, text)
    colour = f"{_number(line.grey)} g" if line.grey else "0 g"
    y = A4_PT[1] - baseline_pt
    return (f"{colour} BT /F1 {_number(line.size_pt)} Tf 1 0 0 1 {_number(x)} {_number(y)} Tm "
            f"[{shown.tj}] TJ ET\n").encode()  # fmt: skip


def overlay_pages(overlays: Sequence[dict], layout: LayoutConfig, g: dict) -> list[list[Line]] | None:
    """The overlay pages of these letters, in order (see `overlay_lines`); None when one of them
    cannot be drawn exactly as WeasyPrint would lay it out (see the module docstring)."""
    font = _font()
    pages = [page for o in overlays for page in overlay_lines(o, g, layout)]
    return pages if all(_drawable(page, font) for page in pages) else None


@dataclass(frozen=True)
class SubsetFont:
    """An embedded subset of the overlay font: what a PDF writer needs for its dictionaries
    (Type0, Identity-H, CIDFontType0 with the subset as FontFile3/OpenType, as WeasyPrint
    embeds the same font)."""

    data: bytes  # the subset font file (OpenType, CFF outlines, glyph ids kept)
    widths: dict[int, float]  # glyph id → advance in 1/1000 em
    to_unicode: bytes  # the ToUnicode CMap
    ascent: int  # 1/1000 em
    descent: int  # 1/1000 em, negative
    family: str = NOTO_CJK_JP
    name: str = FONT_NAME


@dataclass(frozen=True)
class DrawnOverlays:
    """Overlay pages drawn: one content stream per page (uncompressed), all using `font` as /F1."""

    streams: tuple[bytes, ...]
    font: SubsetFont


def draw_overlays(pages: Sequence[Sequence[Line]]) -> DrawnOverlays:
    """Shape and place the lines of these pages (from `overlay_pages`); one font subset for all."""
    font = _font()
    used: dict[int, tuple[int, str]] = {}
    streams = tuple(b"".join(_show(line, font, used) for line in page) for page in pages)
    per_mille = 1000 / font.upem
    subset = SubsetFont(
        data=_subset(font, sorted(used)),
        widths={gid: round(nominal * per_mille, 3) for gid, (nominal, _) in used.items()},
        to_unicode=b"\n".join(_to_unicode(used)),
        ascent=round(font.ascent * per_mille),
        descent=-round(font.descent * per_mille),
    )
    return DrawnOverlays(streams, subset)


def _subset(font: OverlayFont, gids: Sequence[int]) -> bytes:
    """The font with only these glyphs (ids kept, so the content stream's codes stay valid)."""
    import uharfbuzz as hb

    subset_input = hb.SubsetInput()
    subset_input.glyph_set.update({0, *gids})
    subset_input.flags = (
        hb.SubsetFlags.RETAIN_GIDS
        | hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED
        | hb.SubsetFlags.DESUBROUTINIZE
        | hb.SubsetFlags.NO_HINTING
    )
    subset_input.drop_table_tag_set.update({_tag(name) for name in _DROP_TABLES})
    subset = hb.subset(font.face, subset_input)
    if subset is None:
        raise RuntimeError("HarfBuzz could not subset Noto Sans CJK JP")
    return subset.blob.data


def _tag(name: str) -> int:
    return int.from_bytes(name.encode("ascii"), "big")


def _to_unicode(used: dict[int, tuple[int, str]]) -> list[bytes]:
    lines = [
        b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap",
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def",
        b"1 begincodespacerange", b"<0000> <ffff>", b"endcodespacerange",
    ]  # fmt: skip
    items = [(gid, text) for gid, (_, text) in sorted(used.items()) if text]
    for start in range(0, len(items), 100):
        batch = items[start : start + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        lines += [f"<{gid:04x}> <{text.encode('utf-16-be').hex()}>".encode() for gid, text in batch]
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return lines
