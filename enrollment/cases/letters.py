"""The Django side of letters: who a case's letter goes to, numbering, the letter content handed
to the renderer (enrollment.letters), and the office as sender."""

from __future__ import annotations

import re
from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from enrollment.letters import (
    LayoutConfig,
    LetterContent,
    LetterKind,
    Sender,
    check_letter,
    language_for_nationality,
)
from enrollment.models import CaseKind, Letter, LetterStatus, ReminderCase, Resident

_BUILDING_SPLIT = re.compile(r"^(.*?\d+(?:[-－]\d+)*(?:号|番地?)?)[\s\u3000]+(.+)$")


def layout() -> LayoutConfig:
    return LayoutConfig(
        window_left_mm=settings.NHI_LETTER_WINDOW_LEFT_MM,
        window_top_mm=settings.NHI_LETTER_WINDOW_TOP_MM,
        window_width_mm=settings.NHI_LETTER_WINDOW_WIDTH_MM,
        window_height_mm=settings.NHI_LETTER_WINDOW_HEIGHT_MM,
    )


def sender_for(municipality) -> Sender:
    hours = municipality.opening_hours or ""
    times = re.findall(r"(\d{1,2})[時:：](\d{2})?", hours)
    opens, closes = ("8:30", "17:15")
    if len(times) >= 2:
        opens = f"{times[0][0]}:{times[0][1] or '00'}"
        closes = f"{times[1][0]}:{times[1][1] or '00'}"
    postal = municipality.postal_code
    if len(postal) == 7 and postal.isdigit():
        postal = f"{postal[:3]}-{postal[3:]}"
    return Sender(
        municipality_name=municipality.name,
        department=municipality.department,
        postal_code=postal,
        address=municipality.address,
        phone=municipality.phone,
        opens=opens,
        closes=closes,
        issuer=municipality.mayor_title or municipality.name,
    )


def address_lines(address: str) -> tuple[str, ...]:
    """The register address on window lines: the block address, then the building and room."""
    text = " ".join(address.split())
    match = _BUILDING_SPLIT.match(text)
    if match:
        return (match[1], match[2])
    return (text,)


def addressee_for(resident: Resident) -> tuple[Resident, str]:
    """The head of household (世帯主) receives NHI letters; (addressee, subject name or '')."""
    head = None
    if resident.household_head_code and resident.household_head_code != resident.resident_code:
        head = (
            Resident.objects.for_municipality(resident.municipality_id)
            .filter(resident_code=resident.household_head_code, status="resident")
            .first()
        )
    if head is None:
        return resident, resident.display_name
    return head, resident.display_name


def next_number(municipality, year: int) -> str:
    prefix = f"{municipality.lg_code}-{year}-"
    last = (
        Letter.objects.filter(municipality=municipality, number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    sequence = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{sequence:06d}"


def content_of(
    letter: Letter, *, issue_date: date | None = None, deadline: date | None = None
) -> LetterContent:
    """What the renderer needs. A letter not yet sent shows the deadline it will have if sent on
    the issue date."""
    from enrollment.cases.deadlines import deadline_for

    issue = issue_date or letter.issue_date or timezone.localdate()
    case = letter.case
    return LetterContent(
        kind=LetterKind(letter.kind),
        letter_number=letter.number,
        issue_date=issue,
        deadline=deadline or letter.deadline or deadline_for(issue, second=letter.second),
        postal_code=letter.postal_code,
        address_lines=tuple(letter.address_lines),
        addressee_name=letter.addressee_name,
        subject_name=letter.subject_name,
        nationality=case.resident.nationality,
        language=letter.language or "ja",
        second=letter.second,
        first_letter_date=letter.first_letter_date,
        ex_officio_notice=letter.ex_officio_notice,
        lost_employee_insurance=letter.lost_employee_insurance,
    )


def letter_queue(*, case: ReminderCase, second: bool = False) -> Letter:
    """Create the case's next letter (queued for printing, or held with the reason when its
    address or content cannot be printed)."""
    resident = case.resident
    addressee, subject = addressee_for(resident)
    first = None
    if second:
        first = case.letters.filter(second=False, sent_on__isnull=False).order_by("-sent_on").first()
    language = language_for_nationality(resident.nationality) or "ja"
    for _attempt in range(5):
        try:
            with transaction.atomic():
                letter = Letter.objects.create(
                    municipality_id=case.municipality_id,
                    case=case,
                    kind=case.kind,
                    second=second,
                    number=next_number(case.municipality, timezone.localdate().year),
                    language=language,
                    addressee_name=addressee.display_name,
                    subject_name=subject if addressee.pk != resident.pk else "",
                    postal_code=addressee.postal_code or resident.postal_code,
                    address_lines=list(address_lines(addressee.address or resident.address)),
                    ex_officio_notice=case.kind == CaseKind.WITHDRAWAL,
                    lost_employee_insurance=case.lost_employee_insurance,
                    first_letter_date=first.sent_on if first else None,
                )
            break
        except IntegrityError:  # two letters numbered at once: take the next number
            continue
    problems = check_letter(content_of(letter), layout())
    if problems:
        letter.status = LetterStatus.HELD
        letter.hold_reason = "／".join(problems)
        letter.save(update_fields=["status", "hold_reason"])
    return letter
