"""The notice form (通知書・連絡票) as a PDF, rendered with WeasyPrint when the notice is approved
and kept: addressed to the bureau set for the municipality, with the person's items from the
register and the ledger, the grounds with their legal basis, the facts with their dates and the
list of attached documents. Its context is built from those sources only — never an ISA record."""

from __future__ import annotations

from datetime import date

from django.template.loader import render_to_string

from enrollment.letters.pdf import RenderJob, render_job
from enrollment.models import ImmigrationNotice
from enrollment.notices import selectors
from nhi_portal.domain.wareki import format_wareki


def _wareki(day: date | None) -> str:
    return format_wareki(day, with_western=False) if day else ""


def notice_context(notice: ImmigrationNotice, *, today: date, preview: bool = False) -> dict:
    municipality = notice.municipality
    settings_row = selectors.notice_settings(municipality_id=notice.municipality_id)
    items = selectors.person_items(resident=notice.resident, today=notice.issue_date or today)
    return {
        "notice": notice,
        "municipality": municipality,
        "bureau": settings_row,
        "sender_title": (settings_row.sender_title if settings_row else "") or municipality.mayor_title,
        "number": f"{settings_row.number_prefix if settings_row else '入管通知'} {notice.number}",
        "issue_date": notice.issue_date or today,
        "issue_wareki": _wareki(notice.issue_date or today),
        "items": items,
        "person": notice.resident,
        "grounds": list(notice.grounds.order_by("order", "id")),
        "facts": list(notice.facts.all()),
        "documents": list(notice.documents.all()),
        "writer": notice.created_by,
        "preview": preview,
    }


def render_notice_pdf(notice: ImmigrationNotice, *, today: date, preview: bool = False) -> bytes:
    """The notice form; `preview`: before approval, marked 見本 on every page and never sent."""
    context = notice_context(notice, today=today, preview=preview)
    html = render_to_string("enrollment/notices/notice_pdf.html", context)
    return render_job(RenderJob(html=html, css="")).pdf
