"""Reads of the case pages, always scoped to the user's municipality: the case list, the work
lists (what needs doing today), one case with its records, letters and history, the ex officio
exports, and a person's timeline (everything the portal knows about one resident, newest first)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from enrollment import presenters
from enrollment.models import (
    CaseEvent,
    CaseIntake,
    CaseKind,
    CaseState,
    CloseReason,
    ExOfficioExport,
    IsaRecord,
    Letter,
    LetterStatus,
    MatchDecision,
    MatchEvent,
    NhiMembership,
    ReminderCase,
    Resident,
    ResidentStatus,
    Response,
)

# Labels ---------------------------------------------------------------------------------------

SOURCE_LABELS = {
    "isa_1": "ISA 別紙1 入国",
    "isa_2": "ISA 別紙2 受入終了（離職）",
    "isa_3": "ISA 別紙3 在留資格変更",
    "pension_cat2": "年金 第2号被保険者資格喪失",
    "pension_cat13": "年金 第1号・第3号被保険者資格喪失",
}

# CaseEvent.action → what happened, in Japanese.
ACTION_LABELS = {
    "opened": "ケースを作成",
    "letter_printed": "通知書を印刷",
    "record_attached": "記録を追加",
    "letter_queued": "勧奨通知を印刷待ちに",
    "letter_sent": "通知書を送付",
    "second_queued": "再勧奨を印刷待ちに",
    "response_recorded": "回答を記録",
    "closed": "完了",
    "ex_officio_proposed": "職権喪失を提案",
    "ex_officio_approved": "職権喪失を承認",
    "ex_officio_rejected": "職権喪失の提案を差し戻し",
    "mail_returned": "返戻を記録",
    "welcome_queued": "加入のお知らせを印刷待ちに",
    "welcome_sent": "加入のお知らせを送付",
}

# Waiting for the resident's reply: the states a reply deadline belongs to.
AWAITING_REPLY = [CaseState.LETTER_SENT, CaseState.SECOND_SENT]


def state_label(value: str) -> str:
    return str(CaseState(value).label) if value in CaseState.values else value


def decorate_case(case: ReminderCase) -> ReminderCase:
    """Labels the templates show (they cannot look up a dict by a variable)."""
    case.state_tone = presenters.state_tone(case.state)
    case.source_label = SOURCE_LABELS.get(case.source, case.source)
    case.overdue = (
        case.state in AWAITING_REPLY and case.deadline is not None and case.deadline < timezone.localdate()
    )
    return case


def decorate_letter(letter: Letter) -> Letter:
    letter.status_tone = presenters.letter_tone(letter.status)
    letter.language_label = presenters.language_label(letter.language)
    return letter


def week_end(today: date) -> date:
    """Sunday of this week (a Japanese office week runs Monday to Sunday)."""
    return today + timedelta(days=6 - today.weekday())


# Cases -----------------------------------------------------------------------------------------


def _newest_letters() -> Prefetch:
    return Prefetch(
        "letters", queryset=Letter.objects.order_by("-created_at", "-id"), to_attr="newest_letters"
    )


def case_list(*, user) -> QuerySet[ReminderCase]:
    """Every case of the user's municipality with its person and letters (one query each)."""
    return (
        ReminderCase.objects.for_user(user)
        .select_related("resident")
        .prefetch_related(_newest_letters())
        .order_by("-opened_at", "-id")
    )


def case_get(*, user, pk: int) -> ReminderCase:
    return (
        ReminderCase.objects.for_user(user)
        .select_related("resident", "proposed_by", "approved_by", "export")
        .get(pk=pk)
    )


def case_letters(*, case: ReminderCase) -> list[Letter]:
    return [decorate_letter(letter) for letter in case.letters.order_by("created_at", "id")]


def case_intakes(*, case: ReminderCase) -> list[CaseIntake]:
    return list(
        case.intakes.select_related("isa_record", "isa_record__batch", "decision").order_by("at", "id")
    )


def case_events(*, case: ReminderCase) -> list[CaseEvent]:
    events = list(case.events.select_related("actor").order_by("-at", "-id"))
    for event in events:
        event.action_label = ACTION_LABELS.get(event.action, event.action)
        event.from_label = state_label(event.from_state) if event.from_state else ""
        event.to_label = state_label(event.to_state) if event.to_state else ""
    return events


def letter_get(*, case: ReminderCase, pk: int) -> Letter:
    return decorate_letter(case.letters.get(pk=pk))


def household_head_of(*, user, resident: Resident) -> Resident | None:
    """The head of the person's household, when it is someone else (letters go to them)."""
    code = resident.household_head_code
    if not code or code == resident.resident_code:
        return None
    return Resident.objects.for_user(user).filter(resident_code=code).first()


# Work lists ------------------------------------------------------------------------------------

WORKLIST_LIMIT = 50


@dataclass
class WorkList:
    """One list of cases on the work-list page, with how many there are in all."""

    key: str
    title: str
    hint: str
    cases: list[ReminderCase]
    total: int
    more_query: str = ""
    action: str = ""  # "second" / "propose": which step the list offers


@dataclass
class WorkLists:
    today: date
    lists: list[WorkList]
    letters_queued: list[dict]
    held_letters: list[Letter]
    held_total: int
    approved_total: int
    resident_ids: set[int] = field(default_factory=set)


def _work_list(queryset, *, key, title, hint, more_query="", action="") -> WorkList:
    cases = [decorate_case(c) for c in queryset[:WORKLIST_LIMIT]]
    total = len(cases) if len(cases) < WORKLIST_LIMIT else queryset.count()
    return WorkList(key, title, hint, cases, total, more_query, action)


def worklists(*, user, today: date | None = None, supervisor: bool = False) -> WorkLists:
    """What needs doing: deadlines today and passed, letters to print, returned mail, and the ex
    officio proposals waiting for a second person (shown to supervisors)."""
    today = today or timezone.localdate()
    cases = ReminderCase.objects.for_user(user).select_related("resident")
    by_deadline = cases.order_by("deadline", "id")
    lists = [
        _work_list(
            by_deadline.filter(state__in=AWAITING_REPLY, deadline=today),
            key="due-today",
            title="今日が回答期限",
            hint="今日までに回答がなければ、明日から期限切れの一覧に移ります。",
            more_query="deadline=today",
        ),
        _work_list(
            by_deadline.filter(state=CaseState.LETTER_SENT, deadline__lt=today),
            key="first-overdue",
            title="勧奨通知の回答期限切れ（再勧奨の対象）",
            hint="回答がないまま期限が過ぎました。再勧奨の通知を準備できます。",
            more_query="state=letter_sent&deadline=passed",
            action="second",
        ),
        _work_list(
            by_deadline.filter(state=CaseState.SECOND_SENT, kind=CaseKind.WITHDRAWAL, deadline__lt=today),
            key="second-overdue-withdrawal",
            title="再勧奨の回答期限切れ：資格喪失届（職権喪失の提案の対象）",
            hint="年金の記録で被用者保険の加入を確かめてから、職権喪失を提案してください。承認は別の監督者が行います。",
            more_query="state=second_sent&kind=withdrawal&deadline=passed",
            action="propose",
        ),
        _work_list(
            by_deadline.filter(state=CaseState.SECOND_SENT, kind=CaseKind.ENROLLMENT, deadline__lt=today),
            key="second-overdue-enrollment",
            title="再勧奨の回答期限切れ：加入勧奨",
            hint="電話や訪問で連絡を取るか、事情がわかれば理由を記録して完了にしてください。",
            more_query="state=second_sent&kind=enrollment&deadline=passed",
        ),
        _work_list(
            cases.filter(state=CaseState.ADDRESS_UNKNOWN).order_by("opened_at", "id"),
            key="returned",
            title="返戻あり（居所不明）",
            hint="通知書が宛所不明で戻りました。住民記録と実態を調べてください。",
            more_query="state=address_unknown",
        ),
    ]
    if supervisor:
        lists.append(
            _work_list(
                cases.filter(state=CaseState.EX_OFFICIO_PROPOSED)
                .select_related("proposed_by")
                .order_by("proposed_at", "id"),
                key="proposed",
                title="職権喪失の承認待ち",
                hint="提案した本人は承認できません。内容を確かめて承認するか、理由を書いて差し戻してください。",
                more_query="state=ex_officio_proposed",
            )
        )
    letters = Letter.objects.for_user(user)
    queued = (
        letters.filter(status=LetterStatus.QUEUED)
        .order_by()
        .values("kind", "second")
        .annotate(n=Count("id"))
        .order_by("kind", "second")
    )
    letters_queued = [
        {
            "kind": str(CaseKind(row["kind"]).label),
            "second": row["second"],
            "count": row["n"],
        }
        for row in queued
    ]
    held = (
        letters.filter(status=LetterStatus.HELD)
        .select_related("case", "case__resident")
        .order_by("created_at", "id")
    )
    held_letters = [decorate_letter(letter) for letter in held[:WORKLIST_LIMIT]]
    held_total = len(held_letters) if len(held_letters) < WORKLIST_LIMIT else held.count()
    approved_total = cases.filter(state=CaseState.EX_OFFICIO_APPROVED).count() if supervisor else 0
    shown = {c.resident_id for w in lists for c in w.cases} | {
        letter.case.resident_id for letter in held_letters
    }
    return WorkLists(today, lists, letters_queued, held_letters, held_total, approved_total, shown)


# Ex officio exports ----------------------------------------------------------------------------


def ex_officio_waiting(*, user) -> QuerySet[ReminderCase]:
    return (
        ReminderCase.objects.for_user(user)
        .filter(state=CaseState.EX_OFFICIO_APPROVED)
        .select_related("resident", "approved_by", "proposed_by")
        .order_by("approved_at", "id")
    )


def ex_officio_exports(*, user) -> QuerySet[ExOfficioExport]:
    return ExOfficioExport.objects.for_user(user).select_related("created_by").order_by("-created_at", "-id")


def export_resident_ids(*, export: ExOfficioExport) -> list[int]:
    return list(export.cases.values_list("resident_id", flat=True))


# People ----------------------------------------------------------------------------------------


def person_get(*, user, pk: int) -> Resident:
    return Resident.objects.for_user(user).select_related("first_batch").get(pk=pk)


def household(*, user, resident: Resident, limit: int = 30) -> tuple[Resident | None, list[Resident]]:
    """The head of the person's household and its other members (by the head's resident code)."""
    code = resident.household_head_code or resident.resident_code
    others = list(
        Resident.objects.for_user(user)
        .filter(Q(household_head_code=code) | Q(resident_code=code))
        .exclude(pk=resident.pk)
        .order_by("resident_code")[: limit + 1]
    )
    if code == resident.resident_code:
        head = resident
    else:
        head = next((p for p in others if p.resident_code == code), None)
    members = [p for p in others if p.resident_code != code][:limit]
    return head, members


@dataclass
class TimelineEntry:
    """One line of a person's timeline. `at` orders the lines; `day_only` entries show a date."""

    at: datetime
    day_only: bool
    category: str  # register / nhi / record / match / case / letter
    category_label: str
    tone: str
    title: str
    details: list[str] = field(default_factory=list)
    link_name: str = ""  # URL name of the thing, reversed in the template
    link_arg: int | None = None
    url: str = ""  # filled in by the view (it knows which pages the user may open)
    lang_en: str = ""  # a romanised name to mark lang="en"

    @property
    def sort_key(self):
        return (self.at, 0 if self.day_only else 1)


def _on_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _field_label(name: str) -> str:
    try:
        return str(Resident._meta.get_field(name).verbose_name)
    except Exception:  # a field the register no longer has
        return name


def _register_value(name: str, value) -> str:
    if value in (None, ""):
        return "（空欄）"
    if name == "status" and value in ResidentStatus.values:
        return str(ResidentStatus(value).label)
    if name == "sex":
        return {"M": "男", "F": "女"}.get(value, str(value))
    return str(value)


def _register_entries(resident: Resident) -> list[TimelineEntry]:
    entries = []
    if resident.first_batch is not None:
        batch = resident.first_batch
        entries.append(
            TimelineEntry(
                at=batch.imported_at or batch.created_at,
                day_only=False,
                category="register",
                category_label="住民記録",
                tone="neutral",
                title="住民記録の取込で初めて確認",
                details=[f"取込 #{batch.pk}"],
            )
        )
    for event in resident.events.select_related("batch").order_by("recorded_at", "id"):
        details = [
            f"{_field_label(name)}：{_register_value(name, old)} → {_register_value(name, new)}"
            for name, (old, new) in sorted((event.changes or {}).items())
        ]
        entries.append(
            TimelineEntry(
                at=event.recorded_at,
                day_only=False,
                category="register",
                category_label="住民記録",
                tone="neutral",
                title="住民記録の変更",
                details=[*details, f"取込 #{event.batch_id}"],
            )
        )
    return entries


def _nhi_entries(periods: list[NhiMembership]) -> list[TimelineEntry]:
    entries = []
    for period in periods:
        entries.append(
            TimelineEntry(
                at=_on_day(period.acquired_date),
                day_only=True,
                category="nhi",
                category_label="国保",
                tone="success",
                title="国保の資格を取得",
                details=[f"被保険者番号 {period.insured_number}"],
            )
        )
        if period.lost_date:
            entries.append(
                TimelineEntry(
                    at=_on_day(period.lost_date),
                    day_only=True,
                    category="nhi",
                    category_label="国保",
                    tone="warning",
                    title="国保の資格を喪失",
                    details=[
                        f"被保険者番号 {period.insured_number}",
                        *([f"喪失事由：{period.lost_reason}"] if period.lost_reason else []),
                    ],
                )
            )
    return entries


def _record_entry(decision: MatchDecision, intake: CaseIntake | None) -> TimelineEntry:
    record: IsaRecord = decision.isa_record
    source = "年金一覧" if record.is_pension else "ISA記録"
    details = [
        f"{record.event_label}：{record.event_date:%Y-%m-%d}" if record.event_date else "",
        f"{source}の取込 #{record.batch_id}"
        + (
            f"（{record.batch.data_month.year}年{record.batch.data_month.month}月分）"
            if record.batch.data_month
            else ""
        ),
    ]
    if intake is not None:
        outcome = intake.get_outcome_display()
        if intake.skip_reason:
            outcome += f"（{intake.get_skip_reason_display()}）"
        if intake.case_id:
            outcome += f" ケース #{intake.case_id}"
        details.append(f"ケース化：{outcome}")
    return TimelineEntry(
        at=_on_day(record.event_date) if record.event_date else decision.decided_at,
        day_only=record.event_date is not None,
        category="record",
        category_label=source,
        tone="info",
        title=f"{source}：{record.get_annex_display()}",
        details=[d for d in details if d],
        link_name="isa-record",
        link_arg=record.pk,
        lang_en=record.name,
    )


def _decision_entry(decision: MatchDecision) -> TimelineEntry:
    score = f"（スコア {decision.score:.1f}）" if decision.score is not None else ""
    details = [f"結果：{decision.get_status_display()}"]
    if decision.remembered:
        details.append("過去の審査の判断による照合")
    if decision.resolution:
        details.append(f"審査結果：{decision.get_resolution_display()}")
    return TimelineEntry(
        at=decision.decided_at,
        day_only=False,
        category="match",
        category_label="突合",
        tone="neutral",
        title=f"突合の判定：{decision.get_outcome_display()}{score}（ISA記録 #{decision.isa_record_id}）",
        details=details,
    )


def _match_entry(event: MatchEvent, resident_id: int) -> TimelineEntry:
    details = []
    if event.resident_before == resident_id and event.resident_after != resident_id:
        details.append("この人との照合を取り消し")
    elif event.resident_after == resident_id and event.resident_before not in (None, resident_id):
        details.append("別の住民からこの人に照合を変更")
    if event.note:
        details.append(f"メモ：{event.note}")
    return TimelineEntry(
        at=event.at,
        day_only=False,
        category="match",
        category_label="突合",
        tone="neutral",
        title=f"{event.get_action_display()}（ISA記録 #{event.decision.isa_record_id}）",
        details=[*details, f"担当：{event.actor.staff_name}" if event.actor_id else "担当：自動処理"],
        link_name="isa-record",
        link_arg=event.decision.isa_record_id,
    )


def _case_entry(event: CaseEvent, case: ReminderCase) -> TimelineEntry:
    details = []
    if event.from_state and event.from_state != event.to_state:
        details.append(f"{state_label(event.from_state)} → {state_label(event.to_state)}")
    elif event.to_state and not event.from_state:
        details.append(f"→ {state_label(event.to_state)}")
    if event.action == "response_recorded" and case.response:
        details.append(f"回答：{Response(case.response).label}")
    if event.note:
        details.append(f"メモ：{event.note}")
    details.append(f"担当：{event.actor.staff_name}" if event.actor_id else "担当：自動処理")
    return TimelineEntry(
        at=event.at,
        day_only=False,
        category="case",
        category_label="ケース",
        tone=presenters.state_tone(event.to_state),
        title=f"{case.get_kind_display()} #{case.pk}：{ACTION_LABELS.get(event.action, event.action)}",
        details=details,
        link_name="case-detail",
        link_arg=case.pk,
    )


def _letter_entries(letter: Letter) -> list[TimelineEntry]:
    decorate_letter(letter)
    name = f"{'加入のお知らせ' if letter.kind == 'welcome' else '再勧奨' if letter.second else '勧奨通知'} {letter.number}"
    created = [
        f"状態：{letter.get_status_display()}",
        f"併記する言語：{letter.language_label}",
        f"宛名：{letter.addressee_name}" + (f"（{letter.subject_name} 様分）" if letter.subject_name else ""),
    ]
    if letter.hold_reason:
        created.append(f"保留の理由：{letter.hold_reason}")
    entries = [
        TimelineEntry(
            at=letter.created_at,
            day_only=False,
            category="letter",
            category_label="通知書",
            tone=letter.status_tone,
            title=f"{name} を作成",
            details=created,
            link_name="case-detail",
            link_arg=letter.case_id,
        )
    ]
    if letter.sent_on:
        entries.append(
            TimelineEntry(
                at=_on_day(letter.sent_on),
                day_only=True,
                category="letter",
                category_label="通知書",
                tone="success",
                title=f"{name} を送付",
                details=[f"回答期限：{letter.deadline:%Y-%m-%d}"] if letter.deadline else [],
            )
        )
    if letter.returned_on:
        entries.append(
            TimelineEntry(
                at=_on_day(letter.returned_on),
                day_only=True,
                category="letter",
                category_label="通知書",
                tone="error",
                title=f"{name} が返戻",
                details=[f"メモ：{letter.return_note}"] if letter.return_note else [],
            )
        )
    return entries


@dataclass
class PersonTimeline:
    entries: list[TimelineEntry]
    periods: list[NhiMembership]
    cases: list[ReminderCase]
    record_ids: list[int]


def person_timeline(*, user, resident: Resident) -> PersonTimeline:
    """Everything about one person on one line, newest first: register changes, NHI periods,
    ISA and pension records matched to them with the matching history, cases and letters.
    A fixed number of queries, whatever the person's history."""
    municipality_id = resident.municipality_id
    periods = list(
        NhiMembership.objects.for_user(user)
        .filter(resident_code=resident.resident_code)
        .order_by("acquired_date", "id")
    )
    decisions = list(
        MatchDecision.objects.for_user(user)
        .filter(linked_resident=resident)
        .select_related("isa_record", "isa_record__batch")
        .order_by("isa_record_id")
    )
    intakes = {
        i.isa_record_id: i
        for i in CaseIntake.objects.for_user(user).filter(
            isa_record_id__in=[d.isa_record_id for d in decisions]
        )
    }
    match_events = (
        MatchEvent.objects.filter(municipality_id=municipality_id)
        .filter(
            Q(decision__in=[d.pk for d in decisions])
            | Q(resident_before=resident.pk)
            | Q(resident_after=resident.pk)
        )
        .select_related("actor", "decision")
        .order_by("at", "id")
    )
    cases = list(
        ReminderCase.objects.for_user(user)
        .filter(resident=resident)
        .prefetch_related(
            Prefetch("events", queryset=CaseEvent.objects.select_related("actor").order_by("at", "id")),
            Prefetch("letters", queryset=Letter.objects.order_by("created_at", "id")),
        )
        .order_by("-opened_at", "-id")
    )
    entries = _register_entries(resident)
    entries += _nhi_entries(periods)
    entries += [_record_entry(d, intakes.get(d.isa_record_id)) for d in decisions]
    entries += [_decision_entry(d) for d in decisions]
    entries += [_match_entry(e, resident.pk) for e in match_events]
    for case in cases:
        decorate_case(case)
        entries += [_case_entry(e, case) for e in case.events.all()]
        for letter in case.letters.all():
            entries += _letter_entries(letter)
    entries.sort(key=lambda e: e.sort_key, reverse=True)
    return PersonTimeline(entries, periods, cases, [d.isa_record_id for d in decisions])


def person_search(*, user, q: str = "", birth_date=None, limit: int = 50) -> list[Resident]:
    from enrollment.selectors import resident_search

    return list(resident_search(user=user, q=q, birth_date=birth_date, limit=limit))


# A batch's way into cases ----------------------------------------------------------------------


@dataclass(frozen=True)
class BatchCaseSummary:
    """What became of one matched batch's records for cases (shown under its matching result):
    decided and taken in (a case opened, attached, or no case and why), decided but not taken in
    yet, and still waiting for the supervisor's review."""

    opened: int
    attached: int
    skipped: dict[str, int]  # skip reason label → count
    waiting_intake: int  # decided (linked or not resident), not yet taken in
    pending_review: int

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    @property
    def taken_in(self) -> int:
        return self.opened + self.attached + self.skipped_total


def batch_case_summary(*, batch) -> BatchCaseSummary:
    """Two queries: the decisions by status (and whether taken in), the intakes by outcome."""
    from django.db.models import Exists, OuterRef

    decisions = (
        MatchDecision.objects.for_municipality(batch.municipality_id)
        .filter(batch=batch)
        .annotate(taken=Exists(CaseIntake.objects.filter(isa_record_id=OuterRef("isa_record_id"))))
        .values_list("status", "taken")
        .annotate(n=Count("id"))
        .order_by()
    )
    waiting = pending = 0
    for status, taken, n in decisions:
        if status == "pending_review":
            pending += n
        elif not taken:
            waiting += n
    intakes = (
        CaseIntake.objects.for_municipality(batch.municipality_id)
        .filter(isa_record__batch_id=batch.pk)
        .values_list("outcome", "skip_reason")
        .annotate(n=Count("id"))
        .order_by()
    )
    opened = attached = 0
    skipped: dict[str, int] = {}
    reasons = dict(CaseIntake.SkipReason.choices)
    for outcome, reason, n in intakes:
        if outcome == CaseIntake.Outcome.OPENED:
            opened += n
        elif outcome == CaseIntake.Outcome.ATTACHED:
            attached += n
        else:
            label = str(reasons.get(reason, reason))
            skipped[label] = skipped.get(label, 0) + n
    return BatchCaseSummary(
        opened=opened, attached=attached, skipped=skipped, waiting_intake=waiting, pending_review=pending
    )


def waiting_for_core_system(cases, *, insured_now: bool) -> ReminderCase | None:
    """The ex officio withdrawal handed to the NHI core system (基幹系) that the ledger does not show
    yet: the case is closed by the export, but until the core system processes it and the next
    ledger import shows the loss, the person is still 加入中 there. The person page says so."""
    if not insured_now:
        return None
    exported = [c for c in cases if c.close_reason == CloseReason.EX_OFFICIO and c.export_id]
    return max(exported, key=lambda c: c.closed_at or c.opened_at, default=None)
