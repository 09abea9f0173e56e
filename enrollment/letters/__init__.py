"""Reminder letters (勧奨通知) as print-ready PDF: bilingual texts from editable catalogues, the
address in the window of a 長形3号 envelope, batches of thousands of letters in one PDF.

Pure data in (dataclasses from `content`), PDF bytes out; no ORM. See docs/letters/README.md.
"""

from .address import check_address, max_address_lines, normalize_postal_code, text_width_em
from .catalogue import CatalogueError, catalogue_problems, load_catalogue
from .content import KIND_LABELS_JA, LayoutConfig, LetterContent, LetterKind, Sender, content_problems
from .context import layout_problems
from .fonts import missing_fonts
from .languages import LANGUAGES, format_date, language_for_nationality
from .render import (
    BatchInfo,
    LetterError,
    batch_summary,
    render_cover_sheet,
    render_letter,
    render_letters,
    render_test_sheet,
    sort_for_mailing,
    warm_bodies,
)

__all__ = [
    "KIND_LABELS_JA",
    "LANGUAGES",
    "BatchInfo",
    "CatalogueError",
    "LayoutConfig",
    "LetterContent",
    "LetterError",
    "LetterKind",
    "Sender",
    "batch_summary",
    "catalogue_problems",
    "check_address",
    "check_letter",
    "content_problems",
    "format_date",
    "language_for_nationality",
    "layout_problems",
    "load_catalogue",
    "max_address_lines",
    "missing_fonts",
    "normalize_postal_code",
    "render_cover_sheet",
    "render_letter",
    "render_letters",
    "render_test_sheet",
    "sort_for_mailing",
    "text_width_em",
    "warm_bodies",
]


def check_letter(letter: LetterContent, layout: LayoutConfig) -> list[str]:
    """Every reason (Japanese) to hold this letter: its content and whether its address fits."""
    return content_problems(letter) + check_address(
        letter.address_lines, letter.postal_code, layout, name=letter.addressee_name
    )
