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
from enrollment.models import (
    CaseKind,
    CloseReason,
    Letter,
    LetterStatus,
    LetterType,
    ReminderCase,
    Resident,
    Response,
)

_BUILDING_SPLIT = re.compile(r"^(.*?\d+(?:[-－]\d+)*(?:号|番地?)?)[\s\u3000]+(.+)$")


def layout() -> LayoutConfig:
    """The sheet as the print room prints it: on both sides (a bilingual letter is one sheet,
    front and back), unless NHI_LETTER_DUPLEX is set False."""
    return LayoutConfig(
        window_left_mm=settings.NHI_LETTER_WINDOW_LEFT_MM,
        window_top_mm=settings.NHI_LETTER_WINDOW_TOP_MM,
        window_width_mm=settings.NHI_LETTER_WINDOW_WIDTH_MM,
        window_height_mm=settings.NHI_LETTER_WINDOW_HEIGHT_MM,
        duplex=getattr(settings, "NHI_LETTER_DUPLEX", True),
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
        office_latin=municipality.office_name_latin,
        counter=municipality.counter,
        address_latin=municipality.address_latin,
        counter_latin=municipality.counter_latin,
        hours=hours,
        hours_latin=municipality.opening_hours_latin or f"Mon–Fri {opens}–{closes}",
        interpreter=municipality.interpreter_service,
        interpreter_latin=municipality.interpreter_service_latin,
        prepayment=municipality.prepayment_allowed,
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
    if letter.kind == LetterType.WELCOME:
        deadline = None  # a welcome letter asks for nothing by a date
    else:
        deadline = deadline or letter.deadline or deadline_for(issue, second=letter.second)
    return LetterContent(
        kind=LetterKind(letter.kind),
        letter_number=letter.number,
        issue_date=issue,
        deadline=deadline,
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


def letter_queue(*, case: ReminderCase, second: bool = False, kind: str | None = None) -> Letter:
    """Create the case's next letter (queued for printing, or held with the reason when its
    address or content cannot be printed). `kind` defaults to the case's reminder."""
    kind = kind or case.kind
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
                    kind=kind,
                    second=second,
                    number=next_number(case.municipality, timezone.localdate().year),
                    language=language,
                    addressee_name=addressee.display_name,
                    subject_name=subject if addressee.pk != resident.pk else "",
                    postal_code=addressee.postal_code or resident.postal_code,
                    address_lines=list(address_lines(addressee.address or resident.address)),
                    ex_officio_notice=kind == CaseKind.WITHDRAWAL,
                    lost_employee_insurance=case.lost_employee_insurance and kind == CaseKind.ENROLLMENT,
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
    # Its body laid out by the letters worker before anyone previews it.
    from enrollment.cases.printing_tasks import warm_letter_bodies_soon  # printing imports this module

    warm_letter_bodies_soon(case.municipality_id)
    return letter


def closed_as_enrolled(case: ReminderCase) -> bool:
    """The case closed because the person enrolled: the ledger shows it, the person said so (a
    recorded reply), or a clerk closed it as enrolled."""
    if case.kind != CaseKind.ENROLLMENT or case.is_open:
        return False
    if case.close_reason == CloseReason.ENROLLED:
        return True
    return case.close_reason == CloseReason.RESPONSE and case.response == Response.ENROLLED


def welcome_letter_queue(*, case: ReminderCase) -> Letter | None:
    """加入のお知らせ: when an enrollment case closes because the person enrolled, a welcome
    letter (the eligibility certificate, premiums and how to pay, whom to ask) is queued like
    the reminders. Once per case; nothing for any other closing. Called from the case-closing
    path (enrollment.cases.services._close)."""
    if not closed_as_enrolled(case) or case.letters.filter(kind=LetterType.WELCOME).exists():
        return None
    letter = letter_queue(case=case, kind=LetterType.WELCOME)
    case.events.create(
        municipality_id=case.municipality_id, action="welcome_queued", from_state=case.state,
        to_state=case.state, note=letter.number,
    )  # fmt: skip
    return letter


class ReplyRefused(ValueError):
    """Why a reply form cannot be recorded (Japanese, shown to the clerk)."""


def reply_refusal(letter: Letter) -> str | None:
    """Why this letter's reply form cannot be recorded (None = it can): known before any input."""
    if letter.kind != LetterType.WITHDRAWAL:
        return "返信用紙があるのは資格喪失届の勧奨の通知書だけです。"
    if letter.reply_received_on:
        return f"この通知書の返信用紙は{letter.reply_received_on:%Y-%m-%d}に受け付けています。"
    if letter.status not in (LetterStatus.SENT, LetterStatus.RETURNED) or letter.sent_on is None:
        return "返信用紙を受け付けられるのは送付済みの通知書だけです。"
    if not letter.case.is_open:
        return "このケースはすでに完了しています。返信用紙は基幹系での処理にだけ使ってください。"
    return None


@transaction.atomic
def reply_form_record(
    *,
    letter: Letter,
    user,
    received_on: date,
    insurer: str,
    acquired_on: date,
    insurance_number: str = "",
    employer: str = "",
) -> Letter:
    """返信用紙の受付: the resident sent back the reply form of a withdrawal reminder (資格喪失届
    by post) with the new insurer and a copy of its certificate. The form is kept on the letter
    and the case closes as answered — withdrew — like a notice filed at the counter. The clerk
    then ends the NHI period in the core system; a later ledger import confirms it."""
    from enrollment.cases.services import CaseRefused, case_record_response

    letter = Letter.objects.select_for_update().select_related("case").get(pk=letter.pk)
    if refusal := reply_refusal(letter):
        raise ReplyRefused(refusal)
    if received_on < letter.sent_on or received_on > timezone.localdate():
        raise ReplyRefused(f"受付日は送付日（{letter.sent_on:%Y-%m-%d}）から今日までの日付にしてください。")
    letter.reply_received_on = received_on
    letter.reply = {
        "insurer": insurer.strip(),
        "insurance_number": insurance_number.strip(),
        "acquired_on": acquired_on.isoformat(),
        "employer": employer.strip(),
        "recorded_by": user.get_username() if user is not None else "",
    }
    letter.save(update_fields=["reply_received_on", "reply"])
    try:
        case_record_response(
            case=letter.case,
            response=Response.WITHDREW,
            note=f"返信用紙（資格喪失届）を受付：{letter.number}、受付日 {received_on:%Y-%m-%d}",
            user=user,
        )
    except CaseRefused as refusal:
        raise ReplyRefused(str(refusal)) from None
    return letter
