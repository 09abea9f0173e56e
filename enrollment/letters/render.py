"""Letters → PDF: the batch pipeline (variant bodies + personal overlays → one PDF), previews,
the cover sheet and the envelope test sheet.

Templates: templates/letters/ (document.html with _body.html and _overlay.html, body.css,
overlay.css, cover.html, test_sheet.html). Contexts: `context.py`. PDF mechanics: `pdf.py`.
"""

from __future__ import annotations

import os
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from django.template.loader import render_to_string

from .address import max_address_lines, normalize_postal_code
from .bodystore import BodyStore, body_store
from .content import LayoutConfig, LetterContent, LetterKind, Sender, content_problems
from .context import (
    Catalogues,
    Overrides,
    Variant,
    body_context,
    geometry,
    overlay_context,
    overrides_key,
    variant_of,
)
from .languages import LANGUAGES, format_date
from .overlay import draw_overlays, overlay_pages
from .pdf import Body, Composer, RenderJob, render_job, render_jobs


class LetterError(ValueError):
    """The letter's content is inconsistent (see `content_problems`); nothing was rendered."""

    def __init__(self, letter_number: str, problems: list[str]) -> None:
        super().__init__(f"{letter_number}: {'; '.join(problems)}")
        self.letter_number = letter_number
        self.problems = problems


@dataclass(frozen=True)
class BatchInfo:
    """What the cover sheet (表紙, not mailed) of a print batch shows."""

    batch_number: str
    printed_on: date
    note: str = ""


def sort_for_mailing(letters: Iterable[LetterContent]) -> list[LetterContent]:
    """Postal-code order (then letter number), the order bulk-mail discounts ask for."""
    return sorted(
        letters, key=lambda lt: (normalize_postal_code(lt.postal_code) or "999-9999", lt.letter_number)
    )


# --- rendering -----------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _css(layout: LayoutConfig) -> str:
    context = {"g": geometry(layout), "layout": layout}
    return render_to_string("letters/overlay.css", context) + render_to_string("letters/body.css", context)


@lru_cache(maxsize=8)
def _overlay_css(layout: LayoutConfig) -> str:
    """Overlay documents match only their own few rules: a quarter of an overlay page's cost was
    computing styles against the body's stylesheet and laying out its page-number margin boxes."""
    return render_to_string("letters/overlay.css", {"g": geometry(layout), "layout": layout})


def _job(layout: LayoutConfig, *, overlays: Sequence[dict] = (), bodies: Sequence[dict] = ()) -> RenderJob:
    html = render_to_string(
        "letters/document.html", {"overlays": overlays, "bodies": bodies, "g": geometry(layout)}
    )
    return RenderJob(html, _css(layout) if bodies else _overlay_css(layout), anchors=bool(bodies))


def _body_contexts(variants: Sequence[Variant], sender: Sender, overrides: Overrides | None) -> list[dict]:
    catalogues = Catalogues(overrides)
    return [body_context(v, sender, catalogues, anchor=f"v{i}") for i, v in enumerate(variants)]


def _bodies_from(rendered, variants: Sequence[Variant]) -> dict[Variant, Body]:
    """Which pages of a rendered document belong to which variant's body (and its enclosure)."""
    starts: dict[str, int] = {}
    for index, anchors in enumerate(rendered.page_anchors):
        for anchor in anchors:
            starts.setdefault(anchor, index)
    bounds = [starts[f"v{i}"] for i in range(len(variants))] + [len(rendered.page_anchors)]
    bodies = {}
    for i, v in enumerate(variants):
        pages = tuple(range(bounds[i], bounds[i + 1]))
        form = starts.get(f"fv{i}")
        bodies[v] = Body(pages, enclosure=bounds[i + 1] - form if form is not None else 0)
    return bodies


# Bodies (no personal data in them) per variant, with the PDF that holds them: a preview, or a
# batch re-run after holding a few letters, reuses them. Key: (variant, layout, sender, overrides).
_BODY_CACHE: OrderedDict[tuple, tuple[bytes, Body]] = OrderedDict()
_BODY_CACHE_SIZE = 512
_BODIES_PER_JOB = 8


def _not_cached(variants: Sequence[Variant], setting: tuple, store: BodyStore | None) -> list[Variant]:
    """The variants whose body neither this process nor (when set) the shared store holds."""
    missing = [v for v in variants if (v, *setting) not in _BODY_CACHE]
    if missing and store is not None:
        for variant, entry in store.load(missing, setting).items():
            _BODY_CACHE[(variant, *setting)] = entry
        missing = [v for v in missing if (v, *setting) not in _BODY_CACHE]
    return missing


def _keep(rendered, group: Sequence[Variant], setting: tuple, store: BodyStore | None) -> None:
    bodies = _bodies_from(rendered, group)
    for variant, body in bodies.items():
        _BODY_CACHE[(variant, *setting)] = (rendered.pdf, body)
    if store is not None:
        store.save(rendered.pdf, bodies, setting)


def warm_bodies(
    letters: Sequence[LetterContent],
    layout: LayoutConfig,
    sender: Sender,
    *,
    overrides: Overrides | None = None,
    workers: int | None = None,
) -> int:
    """Lay out, ahead of any preview or batch, the bodies of these letters' variants that no
    process has laid out yet, and keep them in the shared store (`NHI_LETTER_BODY_DIR`) so that
    any process's first preview of them only draws the overlay. Letters with inconsistent
    content are skipped (their preview says why). Returns how many bodies were laid out;
    without a store (NHI_LETTER_BODY_DIR unset) there is nothing to share, and it does nothing."""
    setting = (layout, sender, overrides_key(overrides))
    store = body_store()
    if store is None:
        return 0
    store.prune()
    variants = list(dict.fromkeys(variant_of(lt) for lt in letters if not content_problems(lt)))
    missing = _not_cached(variants, setting, store)
    groups = [missing[i : i + _BODIES_PER_JOB] for i in range(0, len(missing), _BODIES_PER_JOB)]
    jobs = [_job(layout, bodies=_body_contexts(group, sender, overrides)) for group in groups]
    for group, rendered in zip(
        groups, render_jobs(jobs, default_workers(len(jobs)) if workers is None else workers), strict=True
    ):
        _keep(rendered, group, setting, store)
    while len(_BODY_CACHE) > _BODY_CACHE_SIZE:
        _BODY_CACHE.popitem(last=False)
    return len(missing)


def _check(letters: Sequence[LetterContent]) -> None:
    for letter in letters:
        if problems := content_problems(letter):
            raise LetterError(letter.letter_number, problems)


def default_workers(jobs: int) -> int:
    """Worker processes for a batch: one per core (up to 4) when there are several WeasyPrint
    jobs (groups of bodies to lay out, overlay chunks that could not be drawn directly); a single
    job is done in this process, as starting a worker (imports, fonts) costs about a second."""
    if jobs <= 1:
        return 1
    return max(1, min(4, os.cpu_count() or 1))


def render_letters(
    letters: Sequence[LetterContent],
    layout: LayoutConfig,
    sender: Sender,
    *,
    overrides: Overrides | None = None,
    cover: BatchInfo | None = None,
    sort: bool = False,
    workers: int | None = None,
) -> bytes:
    """Many letters as ONE PDF; each letter starts on a new page (a front page if `layout.duplex`),
    and a reply form on a sheet of its own.

    `sort=True` puts them in postal-code order first (`sort_for_mailing`); `cover` prepends a
    cover sheet (batch number, counts, sheets, page total); `workers` worker processes lay out the
    pages (default: `default_workers`). Raises LetterError, rendering nothing, if a letter's
    content is inconsistent. Addresses are not checked here: hold the letters `check_address`
    objects to.
    """
    if not letters:
        raise ValueError("no letters to render")
    _check(letters)
    if sort:
        letters = sort_for_mailing(letters)
    setting = (layout, sender, overrides_key(overrides))
    variants = list(dict.fromkeys(variant_of(letter) for letter in letters))
    store = body_store()
    missing = _not_cached(variants, setting, store)
    chunk = max(1, layout.chunk_size)
    starts = range(0, len(letters), chunk)
    overlays = [[overlay_context(lt, layout, sender) for lt in letters[i : i + chunk]] for i in starts]
    # Overlays are drawn directly (overlay.py), in this process as the batch is composed; a chunk
    # with a letter that cannot be drawn that way is laid out by WeasyPrint in a worker job.
    g = geometry(layout)
    drawn = [overlay_pages(chunk_overlays, layout, g) for chunk_overlays in overlays]

    # Bodies in groups, so that worker processes share them when a batch has many variants.
    groups = [missing[i : i + _BODIES_PER_JOB] for i in range(0, len(missing), _BODIES_PER_JOB)]
    jobs = [_job(layout, bodies=_body_contexts(group, sender, overrides)) for group in groups]
    jobs += [_job(layout, overlays=o) for o, pages in zip(overlays, drawn, strict=True) if pages is None]
    results = render_jobs(jobs, default_workers(len(jobs)) if workers is None else workers)
    for group in groups:
        _keep(next(results), group, setting, store)
    bodies = {}
    for v in variants:
        _BODY_CACHE.move_to_end((v, *setting))
        bodies[v] = _BODY_CACHE[(v, *setting)]
    while len(_BODY_CACHE) > _BODY_CACHE_SIZE:
        _BODY_CACHE.popitem(last=False)

    composer = Composer(title=_title(letters, cover), duplex=layout.duplex)
    _add_cover(composer, letters, cover, sender, layout, {v: body for v, (_, body) in bodies.items()})
    for pages, start in zip(drawn, starts, strict=True):  # composed while workers go on
        chunk_letters = []
        for letter in letters[start : start + chunk]:
            pdf, body = bodies[variant_of(letter)]
            chunk_letters.append((composer.source(pdf), body))
        if pages is None:
            composer.add_letters(composer.source(next(results).pdf), chunk_letters)
        else:
            composer.add_drawn_letters(draw_overlays(pages), chunk_letters)
    return composer.write()


def _title(letters: Sequence[LetterContent], cover: BatchInfo | None) -> str:
    return f"通知書 {cover.batch_number}" if cover else f"通知書 {letters[0].letter_number}"


def _add_cover(
    composer, letters, cover: BatchInfo | None, sender: Sender, layout: LayoutConfig, bodies
) -> None:
    if cover is None:
        return
    shapes = [sheet_shape(bodies[variant_of(lt)]) for lt in letters]
    pages = sum(_padded(len(b.letter_pages), layout) + _padded(b.enclosure, layout)
                for b in (bodies[variant_of(lt)] for lt in letters))  # fmt: skip
    rendered = render_job(_cover_job(letters, cover, sender, layout, pages, shapes))
    source = composer.source(rendered.pdf)
    composer.add_pages(source, range(len(source.pages)))


def _padded(pages: int, layout: LayoutConfig) -> int:
    return pages + (pages % 2 if layout.duplex else 0)


def sheet_shape(body: Body) -> str:
    """How a letter is printed, for the cover sheet (printed on both sides)."""
    shape = {1: "1枚（片面）", 2: "1枚（両面）"}.get(
        len(body.letter_pages), f"{len(body.letter_pages)}ページ"
    )
    if body.enclosure:
        shape += "＋返信用紙1枚"
    return shape


def render_letter(
    letter: LetterContent, layout: LayoutConfig, sender: Sender, *, overrides: Overrides | None = None
) -> bytes:
    """One letter as PDF (the clerk's preview): composed exactly as in a batch, from its
    variant's body (laid out once per process and kept) and a one-page overlay."""
    return render_letters([letter], layout, sender, overrides=overrides, workers=1)


# --- cover sheet and envelope test sheet ---------------------------------------------------------


def batch_summary(letters: Sequence[LetterContent], shapes: Sequence[str] = ()) -> dict:
    """The counts a cover sheet shows; `shapes` (one per letter, see `sheet_shape`) once the
    bodies are laid out."""
    kinds = Counter(letter.kind_label for letter in letters)
    languages = Counter(
        f"日本語と{LANGUAGES[letter.foreign_language].name_ja}" if letter.foreign_language else "日本語のみ"
        for letter in letters
    )
    postal = sorted(normalize_postal_code(letter.postal_code) or "" for letter in letters)
    return {
        "count": len(letters),
        "kinds": sorted(kinds.items()),
        "languages": sorted(languages.items()),
        "shapes": sorted(Counter(shapes).items()),
        "reply_forms": sum(1 for letter in letters if letter.reply_form),
        "welcome": sum(1 for letter in letters if letter.kind == LetterKind.WELCOME),
        "ex_officio": sum(1 for letter in letters if letter.ex_officio_notice),
        "postal_first": postal[0] if postal else "",
        "postal_last": postal[-1] if postal else "",
    }


def _cover_job(
    letters: Sequence[LetterContent],
    batch: BatchInfo,
    sender: Sender,
    layout: LayoutConfig,
    pages: int,
    shapes: Sequence[str] = (),
) -> RenderJob:
    html = render_to_string(
        "letters/cover.html",
        {
            "batch": batch,
            "printed_on": format_date(batch.printed_on, "ja"),
            "summary": batch_summary(letters, shapes),
            "pages": pages,
            "sender": sender,
            "duplex": layout.duplex,
        },
    )
    return RenderJob(html, _css(layout))


def render_cover_sheet(
    letters: Sequence[LetterContent], batch: BatchInfo, layout: LayoutConfig, sender: Sender
) -> bytes:
    """The cover sheet alone (without the page total, which only the batch knows)."""
    return render_job(_cover_job(letters, batch, sender, layout, 0)).pdf


def render_test_sheet(layout: LayoutConfig) -> bytes:
    """An A4 sheet with the window rectangle, the text area inside it, fold lines, crop marks and
    mm rulers: print it at actual size, fold it, hold it against the office's envelope stock."""
    left, top = layout.window_left_mm, layout.window_top_mm
    right, bottom = left + layout.window_width_mm, top + layout.window_height_mm
    crop_marks = [
        ("h", left - 8, top), ("v", left, top - 8), ("h", right + 2, top), ("v", right, top - 8),
        ("h", left - 8, bottom), ("v", left, bottom + 2), ("h", right + 2, bottom), ("v", right, bottom + 2),
    ]  # fmt: skip
    sample = LetterContent(
        kind=LetterKind.ENROLLMENT,
        letter_number="132101-2026-000000",
        issue_date=date(2026, 1, 1),
        deadline=date(2026, 2, 1),
        postal_code="1840004",
        address_lines=("東京都小金井市本町1丁目2番3号", "コーポ本町101"),
        addressee_name="NGUYEN VAN AN",
    )
    html = render_to_string(
        "letters/test_sheet.html",
        {
            "o": overlay_context(sample, layout, Sender("", "", "", "", "")),
            "layout": layout,
            "text_box": layout.text_box_mm,
            "crop_marks": crop_marks,
            "ticks_x": range(0, 211, 5),
            "ticks_y": range(0, 298, 5),
            "max_address_lines": max_address_lines(layout),
        },
    )
    return render_job(RenderJob(html, _overlay_css(layout))).pdf
