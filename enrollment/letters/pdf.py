"""PDF mechanics without Django: HTML → PDF with WeasyPrint, optional worker processes, and the
composition of a batch from variant bodies and personal overlays with pypdf.

Why composition: a bilingual reminder is two dense pages, ~0.25 s of WeasyPrint CPU time. Letters
of a batch differ only in address, names, number and issue date, so each distinct text (a
*variant*: kind, language, deadline, …) is laid out once as a *body*, and every letter gets a
one-page *overlay* with its personal data (drawn by overlay.py, < 1 ms). The final PDF draws the body page as a shared
Form XObject under the overlay: each letter page is real text (pdftotext, search and screen readers
see it), and the file holds every body once.
"""

from __future__ import annotations

import hashlib
import io
import multiprocessing
import os
import threading
import time
import zlib
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cache

from .overlay import DrawnOverlays, SubsetFont

A4_PT = (595.275591, 841.889764)


@dataclass(frozen=True)
class RenderJob:
    html: str
    css: str
    anchors: bool = False  # also return, per page, the ids of elements that start on it


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    page_anchors: tuple[frozenset[str], ...] = field(default=())


@cache
def _font_config():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@cache
def _stylesheet(css: str):
    from weasyprint import CSS

    return CSS(string=css, font_config=_font_config())


def render_document(html: str, css: str):
    """A laid-out WeasyPrint Document (for tests that inspect fonts or page boxes)."""
    from weasyprint import HTML

    return HTML(string=html).render(stylesheets=[_stylesheet(css)], font_config=_font_config())


def render_job(job: RenderJob) -> Rendered:
    document = render_document(job.html, job.css)
    anchors = tuple(frozenset(page.anchors) for page in document.pages) if job.anchors else ()
    return Rendered(document.write_pdf(), anchors)


def render_jobs(jobs: Sequence[RenderJob], workers: int = 1) -> Iterator[Rendered]:
    """Render every job, yielding results in order as they are ready: in `workers` processes
    when there is more than one job to share, so the caller can compose while they work.

    A daemonic process (a Celery prefork child) may not start processes: then, and for
    workers <= 1, the jobs run here one after the other.
    """
    workers = min(workers, len(jobs))
    if workers <= 1 or multiprocessing.current_process().daemon:
        yield from (render_job(job) for job in jobs)
        return
    context = multiprocessing.get_context("spawn")  # no fork of a process holding DB connections
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=exit_with_parent, initargs=(os.getpid(),)
    ) as pool:
        yield from pool.map(render_job, jobs)


def exit_with_parent(parent_pid: int, interval: float = 0.5) -> None:
    """Pool initializer: end this worker process when the process that started it is gone. A
    pool's workers wait for work forever, so a Celery worker killed (kill -9, the OOM killer)
    while rendering would otherwise leave them behind, rendering on and holding their memory."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


# --- composition ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Body:
    """Where one variant's pages are in its bodies PDF (0-based page indexes). The last
    `enclosure` pages are an enclosure (the reply form): it starts on a sheet of its own and
    gets an overlay page of its own (the person's name and the letter number)."""

    pages: tuple[int, ...]
    enclosure: int = 0

    @property
    def letter_pages(self) -> tuple[int, ...]:
        return self.pages[: len(self.pages) - self.enclosure]

    @property
    def enclosure_pages(self) -> tuple[int, ...]:
        return self.pages[len(self.pages) - self.enclosure :]

    @property
    def overlay_pages(self) -> int:
        return 2 if self.enclosure else 1


def _font_program(font):
    """The embedded font file stream of a font dictionary (Type0 via its descendant), or None."""
    descriptor = font.get("/FontDescriptor")
    if descriptor is None:
        for descendant in font.get("/DescendantFonts", []):
            descriptor = descendant.get_object().get("/FontDescriptor")
            if descriptor is not None:
                break
    if descriptor is None:
        return None
    descriptor = descriptor.get_object()
    for key in ("/FontFile3", "/FontFile2", "/FontFile"):
        if key in descriptor:
            return descriptor[key].get_object()
    return None


def _tag_of(data: bytes) -> str:
    """Six capital letters from the subset's own bytes: equal subsets share a tag, different
    subsets never do (by chance one in 26^6 per pair), whichever file or batch they come from."""
    number = int.from_bytes(hashlib.sha256(data).digest()[:8], "big")
    letters = []
    for _ in range(6):
        number, rest = divmod(number, 26)
        letters.append(chr(ord("A") + rest))
    return "".join(letters)


def _retag_fonts(reader) -> None:
    """Give every embedded font subset a subset tag (the 6 letters before '+') made from the
    subset's content. WeasyPrint derives the tag from the font's name, so every source PDF
    (bodies, overlay chunks, the cover, another batch joined into one file) would otherwise carry
    different subsets under the same name, which print RIPs that cache fonts by name mix up."""
    from pypdf.generic import NameObject

    seen: set[int] = set()

    def rename(obj, tag: str) -> None:
        font = obj.get_object()
        for key in ("/BaseFont", "/FontName"):
            name = font.get(key)
            if name is not None and "+" in name:
                font[NameObject(key)] = NameObject(f"/{tag}+{name.split('+', 1)[1]}")
        for descendant in font.get("/DescendantFonts", []):
            rename(descendant, tag)
        if font.get("/FontDescriptor") is not None:
            rename(font["/FontDescriptor"], tag)

    for page in reader.pages:
        fonts = page.get("/Resources", {}).get_object().get("/Font")
        if fonts is None:
            continue
        for ref in fonts.get_object().values():
            ident = getattr(ref, "idnum", None) or id(ref.get_object())
            if ident in seen:
                continue
            seen.add(ident)
            program = _font_program(ref.get_object())
            if program is not None:
                rename(ref, _tag_of(program._data))


@cache
def _raw_object_class():
    from pypdf.generic import PdfObject

    class RawObject(PdfObject):
        """An object written as given: pages and content streams of a batch are many and simple,
        and pypdf's generic objects cost more to build and write than everything else."""

        def __init__(self, data: bytes) -> None:
            self.data = data

        def write_to_stream(self, stream, encryption_key=None) -> None:
            stream.write(self.data)

    return RawObject


def _ref(obj) -> str:
    return f"{obj.idnum} 0 R"


class Composer:
    """Builds the batch PDF page by page from source PDFs (bodies, overlays, cover) and drawn
    overlays (overlay.py). Letter pages are written as plain objects and joined to the page tree
    at the end; a cover comes first (`add_pages`), joining finished batches uses `add_pages` only."""

    def __init__(self, *, title: str, duplex: bool) -> None:
        from pypdf import PdfWriter

        self.writer = PdfWriter()
        self.writer.add_metadata({"/Title": title, "/Creator": "NHI Portal"})
        self.duplex = duplex
        self._readers: dict[int, tuple[bytes, object]] = {}
        self._forms: dict[tuple[int, int], tuple] = {}
        self._plain: dict[tuple[int, int], tuple] = {}
        self._resources: dict[tuple[int, int], object] = {}
        self._kids: list = []
        self._pages_ref = self.writer._root_object.raw_get("/Pages")
        self._media_box = f"[0 0 {A4_PT[0]} {A4_PT[1]}]"
        self._blank_resources = None

    def source(self, pdf: bytes):
        """Open a source PDF (once per composition); its font subsets get content-made tags."""
        from pypdf import PdfReader

        key = id(pdf)
        if key not in self._readers:
            reader = PdfReader(io.BytesIO(pdf))
            _retag_fonts(reader)
            self._readers[key] = (pdf, reader)  # keep pdf alive: its id stays unique
        return self._readers[key][1]

    def _add(self, data: bytes):
        return self.writer._add_object(_raw_object_class()(data))

    def _indirect(self, obj):
        """A cloned value as an indirect reference in the writer."""
        from pypdf.generic import IndirectObject

        return obj if isinstance(obj, IndirectObject) else self.writer._add_object(obj)

    def _append(self, resources, contents: str = "") -> None:
        """A new letter page: its resources and contents (" /Contents …"), as a plain object."""
        page = (f"<< /Type /Page /Parent {_ref(self._pages_ref)} /MediaBox {self._media_box}"
                f" /Resources {_ref(resources)}{contents} >>")  # fmt: skip
        self._kids.append(self._add(page.encode()))

    def _stream(self, data: bytes):
        compressed = zlib.compress(data)
        return self._add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n%b\nendstream"
                         % (len(compressed), compressed))  # fmt: skip

    def _form(self, source, index: int):
        """Page `index` of `source` as a Form XObject, and a stream that draws it: both shared by
        every letter of the variant."""
        from pypdf.generic import NameObject, RectangleObject, StreamObject

        key = (id(source), index)
        if key not in self._forms:
            page = source.pages[index]
            contents = page["/Contents"].get_object()
            if not isinstance(contents, StreamObject):
                raise RuntimeError("expected one content stream per page (WeasyPrint output)")
            form = contents.clone(self.writer, force_duplicate=True).get_object()
            form[NameObject("/Type")] = NameObject("/XObject")
            form[NameObject("/Subtype")] = NameObject("/Form")
            form[NameObject("/BBox")] = RectangleObject(page.mediabox)
            form[NameObject("/Resources")] = page["/Resources"].clone(self.writer)
            form_ref = form.indirect_reference or self.writer._add_object(form)
            self._forms[key] = (form_ref, self._stream(b"q /NhiBody Do Q\n"))
        return self._forms[key]

    def _plain_page(self, source, index: int) -> None:
        """A new page showing page `index` of `source` as it is (pages 2+ of a letter)."""
        key = (id(source), index)
        if key not in self._plain:
            page = source.pages[index]
            self._plain[key] = (
                self._indirect(page.raw_get("/Contents").clone(self.writer)),
                self._indirect(page.raw_get("/Resources").clone(self.writer)),
            )
        contents, resources = self._plain[key]
        self._append(resources, f" /Contents {_ref(contents)}")

    def add_pages(self, source, indexes: Sequence[int]) -> None:
        """Append pages of a stand-alone document (the cover sheet, or finished batches joined
        into one file); letter pages come after."""
        if self._kids:
            raise RuntimeError("add_pages after letter pages")
        for index in indexes:
            self.writer.add_page(source.pages[index])
        if self.duplex and len(indexes) % 2:
            self.writer.add_blank_page(*A4_PT)

    def _stamped(self, overlays, index: int, bodies_source, body_index: int) -> None:
        """A new page: overlay page `index` (laid out by WeasyPrint) drawn over body page
        `body_index` (a shared form)."""
        from pypdf.generic import DictionaryObject, NameObject

        form_ref, draw_ref = self._form(bodies_source, body_index)
        page = overlays.pages[index]
        # WeasyPrint shares one resources dictionary between pages: copy it, or every letter
        # would show the last letter's body.
        resources = DictionaryObject(page["/Resources"].clone(self.writer).get_object())
        xobjects = DictionaryObject(resources.get("/XObject", DictionaryObject()).get_object())
        xobjects[NameObject("/NhiBody")] = form_ref
        resources[NameObject("/XObject")] = xobjects
        contents = self._indirect(page.raw_get("/Contents").clone(self.writer))
        self._append(self.writer._add_object(resources), f" /Contents [{_ref(draw_ref)} {_ref(contents)}]")

    def add_letters(self, overlays, letters: Sequence[tuple[object, Body]]) -> None:
        """Each letter (its bodies source and Body, in order) takes the next overlay page (of a
        WeasyPrint document) over the first page of its body, then the other pages; an
        enclosure starts a new sheet with the letter's second overlay page over its first page."""
        needed = sum(body.overlay_pages for _, body in letters)
        if needed > len(overlays.pages):
            raise RuntimeError(f"{len(overlays.pages)} overlay pages for {needed}")
        self._letters(
            letters, lambda index, source, body_index: self._stamped(overlays, index, source, body_index)
        )

    def add_drawn_letters(self, drawn: DrawnOverlays, letters: Sequence[tuple[object, Body]]) -> None:
        """As `add_letters`, with overlay pages drawn by overlay.py (one font subset for all)."""
        from pypdf.generic import DictionaryObject, NameObject

        needed = sum(body.overlay_pages for _, body in letters)
        if needed > len(drawn.streams):
            raise RuntimeError(f"{len(drawn.streams)} overlay pages for {needed}")
        font = self._font(drawn.font)

        def stamped(index: int, source, body_index: int) -> None:
            form_ref, draw_ref = self._form(source, body_index)
            key = (font.idnum, form_ref.idnum)
            if key not in self._resources:
                self._resources[key] = self.writer._add_object(DictionaryObject({
                    NameObject("/Font"): DictionaryObject({NameObject("/F1"): font}),
                    NameObject("/XObject"): DictionaryObject({NameObject("/NhiBody"): form_ref}),
                }))  # fmt: skip
            contents = self._stream(drawn.streams[index])
            self._append(self._resources[key], f" /Contents [{_ref(draw_ref)} {_ref(contents)}]")

        self._letters(letters, stamped)

    def add_drawn_pages(self, drawn: DrawnOverlays) -> None:
        """Drawn overlay pages alone, without a body (to compare them with WeasyPrint's)."""
        from pypdf.generic import DictionaryObject, NameObject

        font = self._font(drawn.font)
        resources = self.writer._add_object(
            DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})
        )
        for stream in drawn.streams:
            self._append(resources, f" /Contents {_ref(self._stream(stream))}")

    def _letters(self, letters: Sequence[tuple[object, Body]], stamped) -> None:
        index = 0
        for bodies_source, body in letters:
            parts = [body.letter_pages] + ([body.enclosure_pages] if body.enclosure else [])
            for part in parts:
                stamped(index, bodies_source, part[0])
                index += 1
                for page_index in part[1:]:
                    self._plain_page(bodies_source, page_index)
                self._pad(len(part))

    def _font(self, font: SubsetFont):
        """The font dictionaries of a drawn overlay's subset, named with a tag made from the
        subset's bytes like every other subset of the file."""
        from pypdf.generic import (
            ArrayObject,
            DictionaryObject,
            FloatObject,
            NameObject,
            NumberObject,
            TextStringObject,
        )

        name = NameObject(f"/{_tag_of(font.data)}+{font.name}")
        file_data = zlib.compress(font.data)
        font_file = self._add(b"<< /Length %d /Filter /FlateDecode /Subtype /OpenType >>\nstream\n%b\nendstream"
                              % (len(file_data), file_data))  # fmt: skip
        to_unicode = self._stream(font.to_unicode)
        n = NumberObject
        widths = ArrayObject()
        for gid in sorted(font.widths):
            if gid - 1 not in font.widths:
                run = ArrayObject()
                widths += [n(gid), run]
            run.append(FloatObject(font.widths[gid]))
        descriptor = self.writer._add_object(DictionaryObject({
            NameObject("/Type"): NameObject("/FontDescriptor"),
            NameObject("/FontName"): name,
            NameObject("/FontFamily"): TextStringObject(font.family),
            NameObject("/Flags"): n(4),
            NameObject("/FontBBox"): ArrayObject([n(0), n(font.descent), FloatObject(max(font.widths.values(), default=0)), n(font.ascent)]),
            NameObject("/ItalicAngle"): n(0),
            NameObject("/Ascent"): n(font.ascent),
            NameObject("/Descent"): n(font.descent),
            NameObject("/CapHeight"): n(font.ascent),
            NameObject("/StemV"): n(80),
            NameObject("/StemH"): n(80),
            NameObject("/FontFile3"): font_file,
        }))  # fmt: skip
        cid_font = self.writer._add_object(DictionaryObject({
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/CIDFontType0"),
            NameObject("/BaseFont"): name,
            NameObject("/CIDSystemInfo"): DictionaryObject({
                NameObject("/Registry"): TextStringObject("Adobe"),
                NameObject("/Ordering"): TextStringObject("Identity"),
                NameObject("/Supplement"): n(0),
            }),
            NameObject("/CIDToGIDMap"): NameObject("/Identity"),
            NameObject("/W"): widths,
            NameObject("/FontDescriptor"): descriptor,
        }))  # fmt: skip
        return self.writer._add_object(DictionaryObject({
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type0"),
            NameObject("/BaseFont"): name,
            NameObject("/Encoding"): NameObject("/Identity-H"),
            NameObject("/DescendantFonts"): ArrayObject([cid_font]),
            NameObject("/ToUnicode"): to_unicode,
        }))  # fmt: skip

    def _pad(self, pages: int) -> None:
        if self.duplex and pages % 2:
            if self._blank_resources is None:
                self._blank_resources = self._add(b"<< >>")
            self._append(self._blank_resources)

    def write(self) -> bytes:
        from pypdf.generic import NameObject, NumberObject, TextStringObject

        if self._kids:
            pages = self._pages_ref.get_object()
            pages["/Kids"].extend(self._kids)
            pages[NameObject("/Count")] = NumberObject(pages["/Count"] + len(self._kids))
            self._kids = []
        self.writer._root_object[NameObject("/Lang")] = TextStringObject("ja")
        out = io.BytesIO()
        self.writer.write(out)
        return out.getvalue()
