"""Case rules: opening from matched records and pension lists, letters, responses, deadlines,
second reminders, ex officio withdrawal with a second person's approval, returned mail, and
closing when the ledger shows the person enrolled or withdrew. Each change is one transaction
with its CaseEvent."""

from __future__ import annotations

import hashlib
import io
import logging
from collections import Counter
from datetime import date

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from enrollment.cases import transitions
from enrollment.cases.deadlines import add_months, deadline_for
from enrollment.cases.letters import letter_queue, welcome_letter_queue
from enrollment.models import (
    OPEN_STATES,
    Annex,
    CaseEvent,
    CaseIntake,
    CaseKind,
    CaseState,
    CloseReason,
    ExOfficioExport,
    Letter,
    LetterStatus,
    LinkStatus,
    MatchDecision,
    NhiMembership,
    ReminderCase,
    Resident,
    ResidentStatus,
    Response,
)
from nhi_portal import csvsafe
from nhi_portal.intake.bulk import analyze_after_commit

logger = logging.getLogger(__name__)


class CaseRefused(ValueError):
    """Why the portal refuses a case action (Japanese, shown to the clerk)."""


def _event(case: ReminderCase, action: str, *, user=None, before: str = "", note: str = "") -> None:
    CaseEvent.objects.create(
        case=case, municipality_id=case.municipality_id, actor=user, action=action, from_state=before,
        to_state=case.state, note=note,
    )  # fmt: skip


def _move(
    case: ReminderCase, state: str, action: str, *, user=None, note: str = "", fields=()
) -> ReminderCase:
    before = case.state
    if refused := transitions.refusal(before, action, state):
        raise CaseRefused(refused)
    case.state = state
    case.save(update_fields=["state", *fields])
    _event(case, action, user=user, before=before, note=note)
    return case


def insured_codes(municipality_id: int, codes, on: date) -> set[str]:
    """Which of these resident codes are active NHI insured on `on`."""
    return set(
        NhiMembership.objects.for_municipality(municipality_id)
        .filter(resident_code__in=list(codes), acquired_date__lte=on)
        .filter(Q(lost_date__isnull=True) | Q(lost_date__gt=on))
        .values_list("resident_code", flat=True)
    )


_SOURCES = {
    1: "isa_1",
    2: "isa_2",
    3: "isa_3",
    Annex.PENSION_CAT2_LOST: "pension_cat2",
    Annex.PENSION_CAT13_LOST: "pension_cat13",
}
_GONE = {
    ResidentStatus.MOVED_OUT: CaseIntake.SkipReason.MOVED_OUT,
    ResidentStatus.DIED: CaseIntake.SkipReason.DIED,
    ResidentStatus.LEFT_JAPAN: CaseIntake.SkipReason.LEFT_JAPAN,
}


def cases_open(*, municipality, batch=None, today: date | None = None) -> Counter:
    """Open or update cases from every decided record not yet taken in. Records still waiting
    for review are left for a later run. Returns counts by outcome (and skip reason)."""
    today = today or timezone.localdate()
    decisions = (
        MatchDecision.objects.for_municipality(municipality.pk)
        .filter(status__in=[LinkStatus.LINKED, LinkStatus.NOT_RESIDENT])
        .exclude(Exists(CaseIntake.objects.filter(isa_record_id=OuterRef("isa_record_id"))))
        .select_related("isa_record")
        .order_by("isa_record_id")
    )
    if batch is not None:
        decisions = decisions.filter(batch=batch)
    counts: Counter = Counter()
    while chunk := list(decisions[:2000]):  # each pass takes its records in, so the next pass moves on
        residents = Resident.objects.in_bulk([d.linked_resident_id for d in chunk if d.linked_resident_id])
        insured = insured_codes(municipality.pk, [r.resident_code for r in residents.values()], today)
        with transaction.atomic():
            for decision in chunk:
                counts[_take_in(decision, residents.get(decision.linked_resident_id), insured)] += 1
    if counts:
        analyze_after_commit(ReminderCase, CaseIntake)
    logger.info("cases_open %s: %s", municipality.lg_code, dict(counts))
    return counts


def _take_in(decision: MatchDecision, resident: Resident | None, insured: set[str]) -> str:
    record = decision.isa_record
    intake = CaseIntake(
        municipality_id=decision.municipality_id, isa_record=record, decision=decision, resident=resident
    )

    def skip(reason: str) -> str:
        intake.outcome, intake.skip_reason = CaseIntake.Outcome.SKIPPED, reason
        intake.save()
        return f"skipped:{reason}"

    if resident is None:
        return skip(CaseIntake.SkipReason.NOT_RESIDENT)
    if resident.status in _GONE:
        return skip(_GONE[resident.status])
    is_insured = resident.resident_code in insured
    if record.annex == Annex.PENSION_CAT13_LOST:
        if not is_insured:
            return skip(CaseIntake.SkipReason.NOT_INSURED)
        kind = CaseKind.WITHDRAWAL
    else:
        if is_insured:
            return skip(CaseIntake.SkipReason.ALREADY_INSURED)
        kind = CaseKind.ENROLLMENT
    case = (
        ReminderCase.objects.select_for_update()
        .filter(municipality_id=decision.municipality_id, resident=resident, kind=kind, state__in=OPEN_STATES)
        .first()
    )
    if case is not None:
        intake.outcome, intake.case = CaseIntake.Outcome.ATTACHED, case
        intake.save()
        _event(case, "record_attached", before=case.state, note=f"ISA記録 #{record.pk}")
        return "attached"
    case = ReminderCase.objects.create(
        municipality_id=decision.municipality_id,
        resident=resident,
        kind=kind,
        source=_SOURCES.get(record.annex, "isa"),
        lost_employee_insurance=record.annex in (Annex.SEPARATION, Annex.PENSION_CAT2_LOST),
    )
    _event(case, "opened", note=f"ISA記録 #{record.pk}" if record.annex < 20 else f"年金一覧 #{record.pk}")
    intake.outcome, intake.case = CaseIntake.Outcome.OPENED, case
    intake.save()
    letter_queue(case=case)
    _move(case, CaseState.LETTER_QUEUED, "letter_queued")
    return "opened"


@transaction.atomic
def letters_mark_sent(*, letters, sent_on: date, user) -> int:
    """The letters went into the post on `sent_on`. The deadline that counts is the one printed
    on the paper (counted from the issue date); it must still leave the resident at least a
    month (first reminder) or 14 days (second) from the sending date, or the letter has to be
    printed again — the ex officio condition depends on it. Letters of cases closed since
    printing stay 'printed' and do not move their case."""
    letters = list(letters.select_related("case").select_for_update(of=("self",)))
    late = [
        letter.number
        for letter in letters
        if letter.status == LetterStatus.PRINTED
        and _printed_deadline(letter) < deadline_for(sent_on, second=letter.second)
    ]
    if late:
        raise CaseRefused(
            f"印刷した回答期限まで、送付日から{'14日' if letters[0].second else '1か月'}を切る通知書があります"
            f"（{late[0]} ほか{len(late) - 1}通）。送付日を見直すか、印刷し直してください。"
        )
    count = 0
    for letter in letters:
        if letter.status != LetterStatus.PRINTED or not letter.case.is_open:
            continue
        letter.status, letter.sent_on = LetterStatus.SENT, sent_on
        letter.deadline = _printed_deadline(letter)
        letter.save(update_fields=["status", "sent_on", "deadline"])
        case = letter.case
        case.deadline = letter.deadline
        state = CaseState.SECOND_SENT if letter.second else CaseState.LETTER_SENT
        _move(
            case,
            state,
            "letter_sent",
            user=user,
            note=f"{letter.number}、期限 {letter.deadline:%Y-%m-%d}",
            fields=["deadline"],
        )
        count += 1
    return count


def _printed_deadline(letter: Letter) -> date:
    """The deadline printed on the letter: counted from its issue date (set when printed)."""
    return letter.deadline or deadline_for(letter.issue_date or timezone.localdate(), second=letter.second)


@transaction.atomic
def case_record_response(*, case: ReminderCase, response: str, note: str, user) -> ReminderCase:
    """A reply from the resident (at the counter, by phone, by post). A reply that settles the
    case closes it; "other" leaves it for the clerk."""
    case = ReminderCase.objects.select_for_update().get(pk=case.pk)
    if not case.is_open:
        raise CaseRefused("このケースは完了しています。")
    if response not in Response.values:
        raise CaseRefused("回答の種類を選んでください。")
    case.response, case.response_note, case.responded_at = response, note, timezone.now()
    _move(case, CaseState.RESPONDED, "response_recorded", user=user, note=note,
          fields=["response", "response_note", "responded_at"])  # fmt: skip
    if response != Response.OTHER:
        _close(case, CloseReason.RESPONSE, user=user, note=Response(response).label)
    return case


def _close(case: ReminderCase, reason: str, *, user=None, note: str = "") -> ReminderCase:
    case.closed_at, case.close_reason, case.close_note = timezone.now(), reason, note
    Letter.objects.filter(case=case, status__in=[LetterStatus.QUEUED, LetterStatus.HELD]).update(
        status=LetterStatus.CANCELLED
    )
    case = _move(
        case,
        CaseState.CLOSED,
        "closed",
        user=user,
        note=note,
        fields=["closed_at", "close_reason", "close_note"],
    )
    welcome_letter_queue(case=case)  # only when it closed because the person enrolled
    return case


@transaction.atomic
def case_close(*, case: ReminderCase, reason: str, note: str, user) -> ReminderCase:
    case = ReminderCase.objects.select_for_update().get(pk=case.pk)
    if not case.is_open:
        raise CaseRefused("このケースはすでに完了しています。")
    if case.state in transitions.EX_OFFICIO_STAGES:
        raise CaseRefused(
            "職権喪失の手続中のケースは完了にできません。差し戻すか、基幹系への出力で完了させてください。"
        )
    if reason not in CloseReason.values or reason == CloseReason.EX_OFFICIO:
        raise CaseRefused("完了の理由を選んでください。")
    if reason == CloseReason.OTHER and not note.strip():
        raise CaseRefused("理由が「その他」のときは内容を書いてください。")
    return _close(case, reason, user=user, note=note)


def second_reminder_refusal(case: ReminderCase, today: date) -> str | None:
    """Why a second reminder may not be queued now (None = it may)."""
    if not transitions.allowed(case.state, "second_queued"):
        return "再勧奨できるのは、勧奨通知を送付して回答を待っているケースだけです。"
    if case.deadline is None or case.deadline >= today:
        deadline = f"（{case.deadline:%Y-%m-%d}）" if case.deadline else ""
        return f"回答期限{deadline}がまだ過ぎていません。期限の翌日から再勧奨できます。"
    return None


@transaction.atomic
def case_queue_second(*, case: ReminderCase, user, today: date | None = None) -> Letter:
    """再勧奨: only after the first reminder's deadline has passed without a reply."""
    case = ReminderCase.objects.select_for_update().get(pk=case.pk)
    if refusal := second_reminder_refusal(case, today or timezone.localdate()):
        raise CaseRefused(refusal)
    letter = letter_queue(case=case, second=True)
    _move(case, CaseState.SECOND_QUEUED, "second_queued", user=user)
    return letter


def ex_officio_refusal(case: ReminderCase, today: date) -> str | None:
    """Why ex officio withdrawal may not be proposed for this case (None = it may). The law's
    conditions (DOMAIN §3): a reminder sent at least a month before a deadline that has passed,
    which said that ex officio withdrawal may follow; here also the second reminder's deadline."""
    if case.kind != CaseKind.WITHDRAWAL:
        return "職権喪失を提案できるのは資格喪失届の勧奨だけです。"
    if not transitions.allowed(case.state, "ex_officio_proposed"):
        return "職権喪失を提案できるのは、再勧奨を送付して回答がないケースだけです。"
    if case.deadline is None or case.deadline >= today:
        return "再勧奨の回答期限がまだ過ぎていません。"
    sent = list(case.letters.filter(status=LetterStatus.SENT).order_by("sent_on"))
    first = next((letter for letter in sent if not letter.second), None)
    if first is None or not first.ex_officio_notice:
        return "送付した勧奨通知に職権による資格喪失の記載がないため、職権喪失は提案できません。"
    # The law asks for a date at least one month after sending (DOMAIN §3); the open-day rule only
    # ever moves a deadline later, so the legal minimum is the test here.
    if first.deadline is None or first.deadline < add_months(first.sent_on, 1):
        return "勧奨通知の回答期限が送付から1か月以上ではないため、職権喪失は提案できません。"
    if not all(letter.ex_officio_notice for letter in sent if letter.second):
        return "再勧奨の通知に職権による資格喪失の記載がありません。"
    return None


def pension_loss_date(case: ReminderCase) -> date | None:
    """The date the pension list gives for the person's change of category (for a withdrawal case:
    the day they became an employee insured, category 2), from the newest list that fed the case.
    The clerk proposing ex officio withdrawal starts from it as the loss date (資格喪失年月日)."""
    return (
        CaseIntake.objects.filter(case=case, isa_record__annex=Annex.PENSION_CAT13_LOST)
        .exclude(isa_record__event_date__isnull=True)
        .order_by("-isa_record__event_date")
        .values_list("isa_record__event_date", flat=True)
        .first()
    )


def loss_date_refusal(case: ReminderCase, loss_date: date | None, today: date) -> str | None:
    """Why this loss date cannot be used (None = it can)."""
    if loss_date is None:
        return "資格喪失年月日を入力してください（年金の一覧の資格喪失年月日、または年金WMで確認した日）。"
    if loss_date > today:
        return "資格喪失年月日に未来の日付は入力できません。"
    acquired = (
        NhiMembership.objects.for_municipality(case.municipality_id)
        .filter(resident_code=case.resident.resident_code, lost_date__isnull=True)
        .values_list("acquired_date", flat=True)
        .first()
    )
    if acquired and loss_date < acquired:
        return f"資格喪失年月日が国保の資格取得日（{acquired:%Y-%m-%d}）より前です。日付を確かめてください。"
    return None


@transaction.atomic
def case_propose_ex_officio(
    *, case: ReminderCase, user, note: str, today: date | None = None, loss_date: date | None = None
) -> ReminderCase:
    """職権喪失の提案, with the loss date (資格喪失年月日): the one given, or the pension list's."""
    today = today or timezone.localdate()
    case = ReminderCase.objects.select_for_update().get(pk=case.pk)
    refusal = ex_officio_refusal(case, today)
    if refusal:
        raise CaseRefused(refusal)
    loss_date = loss_date or pension_loss_date(case)
    if refusal := loss_date_refusal(case, loss_date, timezone.localdate()):
        raise CaseRefused(refusal)
    case.proposed_by, case.proposed_at, case.loss_date = user, timezone.now(), loss_date
    note = f"資格喪失年月日 {loss_date:%Y-%m-%d}" + (f"。{note}" if note else "")
    return _move(case, CaseState.EX_OFFICIO_PROPOSED, "ex_officio_proposed", user=user, note=note,
                 fields=["proposed_by", "proposed_at", "loss_date"])  # fmt: skip


def ex_officio_approval_refusal(case: ReminderCase, user) -> str | None:
    """Why this user may not approve (None = may). Permission is checked by the view as well."""
    if not transitions.allowed(case.state, "ex_officio_approved"):
        return "承認できるのは職権喪失の承認待ちのケースだけです。"
    if case.proposed_by_id == user.pk:
        return "提案した本人は承認できません。別の監督者が承認してください。"
    if not user.has_perm("portal.approve_ex_officio"):
        return "職権喪失を承認できるのは監督者だけです。"
    return None


@transaction.atomic
def case_approve_ex_officio(*, case: ReminderCase, user, reason: str) -> ReminderCase:
    """A supervisor — never the person who proposed it — approves, with a written reason."""
    case = ReminderCase.objects.select_for_update().get(pk=case.pk)
    if refusal := ex_officio_approval_refusal(case, user):
        raise CaseRefused(refusal)
    if not reason.strip():
        raise CaseRefused("承認の理由を書いてください。")
    case.approved_by, case.approved_at, case.approval_reason = user, timezone.now(), reason.strip()
    return _move(case, CaseState.EX_OFFICIO_APPROVED, "ex_officio_approved", user=user, note=reason.strip(),
                 fields=["approved_by", "approved_at", "approval_reason"])  # fmt: skip


@transaction.atomic
def case_reject_ex_officio(*, case: ReminderCase, user, reason: str) -> ReminderCase:
    case = ReminderCase.objects.select_for_update().get(pk=case.pk)
    if not transitions.allowed(case.state, "ex_officio_rejected"):
        raise CaseRefused("差し戻せるのは職権喪失の承認待ちのケースだけです。")
    if not reason.strip():
        raise CaseRefused("差し戻す理由を書いてください。")
    case.proposed_by, case.proposed_at = None, None
    return _move(case, CaseState.SECOND_SENT, "ex_officio_rejected", user=user, note=reason.strip(),
                 fields=["proposed_by", "proposed_at"])  # fmt: skip


EXPORT_HEADER = [
    "case_id",
    "resident_code",
    "insured_number",
    "name",
    "birth_date",
    "loss_date",  # 資格喪失年月日
    "approved_at",
    "approved_by",  # the approver's name (氏名), as on the approval
    "reason",
]


def staff_name(user) -> str:
    """A member of staff as a paper names them: the full name, the login name only without one."""
    return user.staff_name if user is not None else ""


@transaction.atomic
def ex_officio_export(*, municipality, user) -> ExOfficioExport:
    """The approved ex officio withdrawals, as a CSV for the NHI core system; the cases close."""
    cases = list(
        ReminderCase.objects.for_municipality(municipality.pk)
        .select_for_update(of=("self",))
        .filter(state=CaseState.EX_OFFICIO_APPROVED)
        .select_related("resident", "approved_by")
        .order_by("pk")
    )
    if not cases:
        raise CaseRefused("出力する承認済みの職権喪失はありません。")
    numbers = dict(
        NhiMembership.objects.for_municipality(municipality.pk)
        .filter(resident_code__in=[c.resident.resident_code for c in cases], lost_date__isnull=True)
        .values_list("resident_code", "insured_number")
    )
    buffer = io.StringIO()
    writer = csvsafe.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_HEADER)
    for case in cases:
        resident = case.resident
        writer.writerow([
            case.pk, resident.resident_code, numbers.get(resident.resident_code, ""), resident.display_name,
            resident.birth_date.isoformat() if resident.birth_date else "",
            case.loss_date.isoformat() if case.loss_date else "",
            timezone.localtime(case.approved_at).isoformat(timespec="seconds"),
            staff_name(case.approved_by), case.approval_reason,
        ])  # fmt: skip
    data = buffer.getvalue().encode("utf-8-sig")
    export = ExOfficioExport.objects.create(
        municipality=municipality,
        created_by=user,
        case_count=len(cases),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    export.file.save(f"ex_officio_{export.pk}.csv", ContentFile(data), save=True)
    for case in cases:
        case.export = export
        case.save(update_fields=["export"])
        _close(case, CloseReason.EX_OFFICIO, user=user, note=f"出力 #{export.pk}")
    return export


@transaction.atomic
def letter_record_returned(*, letter: Letter, user, returned_on: date, note: str = "") -> Letter:
    """返戻: the post brought the letter back. The case becomes 'address unknown' for investigation."""
    letter = Letter.objects.select_for_update().select_related("case").get(pk=letter.pk)
    if letter.status != LetterStatus.SENT:
        raise CaseRefused("返戻を記録できるのは送付済みの通知書だけです。")
    if returned_on > timezone.localdate() or (letter.sent_on and returned_on < letter.sent_on):
        raise CaseRefused("返戻日は送付日から今日までの日付にしてください。")
    letter.status, letter.returned_on, letter.return_note = LetterStatus.RETURNED, returned_on, note
    letter.save(update_fields=["status", "returned_on", "return_note"])
    case = letter.case
    if case.is_open:
        _move(
            case,
            CaseState.ADDRESS_UNKNOWN,
            "mail_returned",
            user=user,
            note=f"{letter.number} {note}".strip(),
        )
    return letter


def cases_close_by_ledger(*, municipality, today: date | None = None) -> Counter:
    """After a ledger import: an enrollment case whose person is now insured closes (enrolled);
    a withdrawal case whose person is no longer insured closes (withdrew)."""
    today = today or timezone.localdate()
    counts: Counter = Counter()
    open_cases = (
        ReminderCase.objects.for_municipality(municipality.pk)
        .filter(state__in=OPEN_STATES)
        .exclude(state=CaseState.EX_OFFICIO_APPROVED)
        .select_related("resident")
    )
    cases = list(open_cases)
    insured = insured_codes(municipality.pk, {c.resident.resident_code for c in cases}, today)
    with transaction.atomic():
        for case in cases:
            now_insured = case.resident.resident_code in insured
            if case.kind == CaseKind.ENROLLMENT and now_insured:
                _close(ReminderCase.objects.select_for_update().get(pk=case.pk), CloseReason.ENROLLED,
                       note="国保台帳で加入を確認")  # fmt: skip
                counts["enrolled"] += 1
            elif case.kind == CaseKind.WITHDRAWAL and not now_insured:
                _close(ReminderCase.objects.select_for_update().get(pk=case.pk), CloseReason.WITHDREW,
                       note="国保台帳で資格喪失を確認")  # fmt: skip
                counts["withdrew"] += 1
    return counts
