"""Figures of the enrollment work for the dashboard and the supervisor page, counted in the database
with a fixed number of queries and always scoped to the user's municipality: this month's matching,
cases, letters and replies; the monthly funnel (ISA records → matched → letters → enrolled); the age
of the review queue; each member of staff's workload."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, Min, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from enrollment.linking.forms import REASON_LABELS
from enrollment.models import (
    OPEN_STATES,
    CaseEvent,
    CaseIntake,
    CaseKind,
    CaseState,
    CloseReason,
    Letter,
    LinkStatus,
    MatchDecision,
    MatchEvent,
    PrintBatch,
    ReminderCase,
    Response,
)
from nhi_portal import charts
from nhi_portal.models import LANDED_STATUSES, ImportBatch, ImportKind
from nhi_portal.scoping import for_user
from nhi_portal.selectors import add_months, local_start, month_range, month_start, week_bounds

FUNNEL_MONTHS = 12
AWAITING_REPLY = [CaseState.LETTER_SENT, CaseState.SECOND_SENT]
REVIEW_ACTIONS = [
    MatchEvent.Action.CONFIRMED,
    MatchEvent.Action.CHOSEN,
    MatchEvent.Action.NOT_RESIDENT,
    MatchEvent.Action.OVERTURNED,
]


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def percent_text(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _sent_letter() -> Exists:
    """The case was sent a letter (a letter's sending date is set when it goes into the post; a
    closed case's letters are never sent, so a sent letter always came before the case's end)."""
    return Exists(Letter.objects.filter(case=OuterRef("pk"), sent_on__isnull=False))


def enrolled_q(prefix: str = "") -> Q:
    """An enrollment reminder that ended with the person enrolled: the ledger showed it, or the
    person said so."""
    return Q(**{f"{prefix}kind": CaseKind.ENROLLMENT}) & (
        Q(**{f"{prefix}close_reason": CloseReason.ENROLLED}) | Q(**{f"{prefix}response": Response.ENROLLED})
    )


# This month -------------------------------------------------------------------------------------------


@dataclass
class EnrollmentMonth:
    month: date
    week: tuple[date, date]
    matched: int
    review: int
    not_resident: int
    cases_opened: int
    letters_printed: int
    letters_sent: int
    responses: int
    enrolled_after_letter: int
    deadlines_this_week: int
    overdue: int
    returned: int
    address_unknown: int
    conversion_sent: int  # enrollment cases first sent a letter in the last 12 months …
    conversion_enrolled: int  # … and of those, the ones that enrolled
    conversion_since: date

    @property
    def decided(self) -> int:
        return self.matched + self.review + self.not_resident

    @property
    def conversion_rate(self) -> float | None:
        return ratio(self.conversion_enrolled, self.conversion_sent)

    @property
    def conversion_text(self) -> str:
        return percent_text(self.conversion_rate)


def enrollment_month(*, user, today: date) -> EnrollmentMonth:
    """This month's work in three queries: matching decisions made this month (by their present
    status), cases and replies, letters."""
    month = month_start(today)
    start, end = month_range(month)
    monday, sunday = week_bounds(today)
    decisions = (
        MatchDecision.objects.for_user(user)
        .filter(decided_at__gte=start, decided_at__lt=end)
        .aggregate(
            matched=Count("id", filter=Q(status=LinkStatus.LINKED)),
            review=Count("id", filter=Q(status=LinkStatus.PENDING_REVIEW)),
            not_resident=Count("id", filter=Q(status=LinkStatus.NOT_RESIDENT)),
        )
    )
    since = add_months(month, -(FUNNEL_MONTHS - 1))
    first_sent_since = Exists(
        Letter.objects.filter(case=OuterRef("pk"), second=False, sent_on__gte=since, sent_on__isnull=False)
    )
    in_month = Q(closed_at__gte=start, closed_at__lt=end)
    cases = ReminderCase.objects.for_user(user).aggregate(
        opened=Count("id", filter=Q(opened_at__gte=start, opened_at__lt=end)),
        responses=Count("id", filter=Q(responded_at__gte=start, responded_at__lt=end)),
        enrolled=Count("id", filter=in_month & enrolled_q() & Q(_sent_letter())),
        due=Count("id", filter=Q(state__in=AWAITING_REPLY, deadline__gte=monday, deadline__lte=sunday)),
        overdue=Count("id", filter=Q(state__in=AWAITING_REPLY, deadline__lt=today)),
        address_unknown=Count("id", filter=Q(state=CaseState.ADDRESS_UNKNOWN)),
        conversion_sent=Count("id", filter=Q(kind=CaseKind.ENROLLMENT) & Q(first_sent_since)),
        conversion_enrolled=Count("id", filter=enrolled_q() & Q(first_sent_since)),
    )
    letters = Letter.objects.for_user(user).aggregate(
        printed=Count("id", filter=Q(issue_date__gte=month, issue_date__lte=today)),
        sent=Count("id", filter=Q(sent_on__gte=month, sent_on__lte=today)),
        returned=Count("id", filter=Q(returned_on__gte=month, returned_on__lte=today)),
    )
    return EnrollmentMonth(
        month=month,
        week=(monday, sunday),
        matched=decisions["matched"],
        review=decisions["review"],
        not_resident=decisions["not_resident"],
        cases_opened=cases["opened"],
        letters_printed=letters["printed"],
        letters_sent=letters["sent"],
        responses=cases["responses"],
        enrolled_after_letter=cases["enrolled"],
        deadlines_this_week=cases["due"],
        overdue=cases["overdue"],
        returned=letters["returned"],
        address_unknown=cases["address_unknown"],
        conversion_sent=cases["conversion_sent"],
        conversion_enrolled=cases["conversion_enrolled"],
        conversion_since=since,
    )


# The monthly funnel -----------------------------------------------------------------------------------


@dataclass
class FunnelMonth:
    month: date
    records: int = 0  # rows of the month's ISA files
    matched: int = 0  # records linked to a resident (automatically or by review)
    letters: int = 0  # people (cases) from those records who were sent a letter
    enrolled: int = 0  # … and then enrolled

    @property
    def conversion_text(self) -> str:
        return percent_text(ratio(self.enrolled, self.letters))


@dataclass
class Funnel:
    months: list[FunnelMonth]
    chart: charts.Chart
    total: FunnelMonth = field(default_factory=lambda: FunnelMonth(date.min))

    @property
    def first(self) -> date:
        return self.months[0].month

    @property
    def last(self) -> date:
        return self.months[-1].month


def _isa_batches(user):
    return ImportBatch.objects.for_user(user).filter(
        kind=ImportKind.ISA, status__in=LANDED_STATUSES, data_month__isnull=False
    )


def isa_months(*, user) -> list[date]:
    """The months of ISA data held, newest first."""
    return list(_isa_batches(user).order_by("-data_month").values_list("data_month", flat=True).distinct())


def funnel(*, user, today: date) -> Funnel:
    """For each of the last 12 months of ISA data (ending with the newest month held, as the files
    arrive a month late): the month's records, how many were linked to a resident, how many of
    those people were sent a letter, and how many then enrolled. Three queries."""
    records = dict(
        _isa_batches(user)
        .filter(data_month__lte=month_start(today))
        .order_by()
        .values("data_month")
        .annotate(n=Sum("rows_total"))
        .values_list("data_month", "n")
    )
    last = max(records, default=month_start(today))
    months = [add_months(last, -i) for i in range(FUNNEL_MONTHS - 1, -1, -1)]
    rows = {m: FunnelMonth(m, records=records.get(m, 0) or 0) for m in months}
    cohort = Q(batch__kind=ImportKind.ISA, batch__status__in=LANDED_STATUSES, batch__data_month__gte=months[0],
               batch__data_month__lte=last)  # fmt: skip
    for month, n in (
        MatchDecision.objects.for_user(user)
        .filter(cohort, status=LinkStatus.LINKED)
        .order_by()
        .values("batch__data_month")
        .annotate(n=Count("id"))
        .values_list("batch__data_month", "n")
    ):
        rows[month].matched = n
    sent = Exists(Letter.objects.filter(case=OuterRef("case"), sent_on__isnull=False))
    for month, letters, enrolled in (
        CaseIntake.objects.for_user(user)
        .filter(
            case__isnull=False,
            isa_record__batch__kind=ImportKind.ISA,
            isa_record__batch__status__in=LANDED_STATUSES,
            isa_record__batch__data_month__gte=months[0],
            isa_record__batch__data_month__lte=last,
        )
        .order_by()
        .values("isa_record__batch__data_month")
        .annotate(
            letters=Count("case", distinct=True, filter=Q(sent)),
            enrolled=Count("case", distinct=True, filter=Q(sent) & enrolled_q("case__")),
        )
        .values_list("isa_record__batch__data_month", "letters", "enrolled")
    ):
        rows[month].letters, rows[month].enrolled = letters, enrolled
    ordered = [rows[m] for m in months]
    total = FunnelMonth(date.min)
    for row in ordered:
        for name in ("records", "matched", "letters", "enrolled"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    chart = charts.bar_chart(
        [f"{m.month.month}月" for m in ordered],
        [
            ("ISA記録", [m.records for m in ordered]),
            ("住民と照合", [m.matched for m in ordered]),
            ("通知書を送付", [m.letters for m in ordered]),
            ("加入", [m.enrolled for m in ordered]),
        ],
        percent=False,
        first_column="ISAデータの月",
        row_labels=[f"{m.month.year}年{m.month.month}月" for m in ordered],
    )
    return Funnel(ordered, chart, total)


# The pension lists' way --------------------------------------------------------------------------------

PENSION_KINDS = (ImportKind.PENSION_CAT2_LOST, ImportKind.PENSION_CAT13_LOST)


@dataclass
class PensionRow:
    """One of the Japan Pension Service's lists over the funnel's 12 months: its records, those
    linked to a resident, the people who got a case, were sent a reminder, and settled (enrolled
    for category-2 lost; withdrew — by their own notice or ex officio — for category-1/3 lost)."""

    kind: str
    label: str
    reminder: str  # the reminder the list leads to
    settled_label: str
    records: int = 0
    matched: int = 0
    cases: int = 0
    letters: int = 0
    settled: int = 0
    ex_officio: int = 0

    @property
    def settled_text(self) -> str:
        return percent_text(ratio(self.settled, self.letters))


def pension_funnel(*, user, since: date) -> list[PensionRow]:
    """The two pension lists since `since` (the funnel's first month): three queries."""
    rows = {
        ImportKind.PENSION_CAT2_LOST: PensionRow(
            ImportKind.PENSION_CAT2_LOST, "第2号被保険者資格喪失者一覧", "加入勧奨（③-1）", "加入"
        ),
        ImportKind.PENSION_CAT13_LOST: PensionRow(
            ImportKind.PENSION_CAT13_LOST,
            "第1号・第3号被保険者資格喪失一覧",
            "資格喪失届の勧奨（③-2）",
            "資格喪失",
        ),
    }
    landed = {"status__in": LANDED_STATUSES, "data_month__gte": since}
    for kind, n in (
        ImportBatch.objects.for_user(user)
        .filter(kind__in=PENSION_KINDS, **landed)
        .order_by()
        .values("kind")
        .annotate(n=Sum("rows_total"))
        .values_list("kind", "n")
    ):
        rows[kind].records = n or 0
    for kind, n in (
        MatchDecision.objects.for_user(user)
        .filter(batch__kind__in=PENSION_KINDS, status=LinkStatus.LINKED,
                **{f"batch__{key}": value for key, value in landed.items()})
        .order_by()
        .values("batch__kind")
        .annotate(n=Count("id"))
        .values_list("batch__kind", "n")
    ):  # fmt: skip
        rows[kind].matched = n
    sent = Exists(Letter.objects.filter(case=OuterRef("case"), sent_on__isnull=False))
    withdrew = Q(case__close_reason__in=[CloseReason.WITHDREW, CloseReason.EX_OFFICIO]) | Q(
        case__response=Response.WITHDREW
    )
    for kind, cases, letters, enrolled, left, ex_officio in (
        CaseIntake.objects.for_user(user)
        .filter(case__isnull=False, isa_record__batch__kind__in=PENSION_KINDS,
                **{f"isa_record__batch__{key}": value for key, value in landed.items()})
        .order_by()
        .values("isa_record__batch__kind")
        .annotate(
            cases=Count("case", distinct=True),
            letters=Count("case", distinct=True, filter=Q(sent)),
            enrolled=Count("case", distinct=True, filter=Q(sent) & enrolled_q("case__")),
            left=Count("case", distinct=True, filter=Q(sent) & withdrew),
            ex_officio=Count("case", distinct=True, filter=Q(case__close_reason=CloseReason.EX_OFFICIO)),
        )
        .values_list("isa_record__batch__kind", "cases", "letters", "enrolled", "left", "ex_officio")
    ):  # fmt: skip
        row = rows[kind]
        row.cases, row.letters, row.ex_officio = cases, letters, ex_officio
        row.settled = enrolled if kind == ImportKind.PENSION_CAT2_LOST else left
    return list(rows.values())


# The review queue's age ----------------------------------------------------------------------------------

AGE_BANDS = [
    (0, 7, "7日未満"),
    (7, 14, "7〜13日"),
    (14, 30, "14〜29日"),
    (30, 60, "30〜59日"),
    (60, None, "60日以上"),
]


@dataclass
class AgeBand:
    label: str
    count: int
    low: int
    high: int | None


@dataclass
class ReviewAgeing:
    bands: list[AgeBand]
    total: int
    oldest: date | None
    chart: charts.Chart
    by_reason: list[tuple[str, int]] = field(default_factory=list)

    longest_days: int | None = None  # how long the oldest item has waited

    @property
    def over_30(self) -> int:
        return sum(b.count for b in self.bands if b.low >= 30)


def review_ageing(*, user, today: date, reasons: bool = False) -> ReviewAgeing:
    """Records waiting for review by how long they have waited (since the matching decision), in
    one query; with `reasons`, a second query counts them by the reason they need review."""
    queue = MatchDecision.objects.for_user(user).filter(status=LinkStatus.PENDING_REVIEW)
    counts = {}
    for index, (low, high, _label) in enumerate(AGE_BANDS):
        condition = Q(decided_at__lt=local_start(today - timedelta(days=low - 1))) if low else Q()
        if high is not None:
            condition &= Q(decided_at__gte=local_start(today - timedelta(days=high - 1)))
        counts[f"band{index}"] = Count("id", filter=condition) if condition else Count("id")
    figures = queue.aggregate(total=Count("id"), oldest=Min("decided_at"), **counts)
    bands = [
        AgeBand(label, figures[f"band{index}"], low, high)
        for index, (low, high, label) in enumerate(AGE_BANDS)
    ]
    chart = charts.bar_chart(
        [b.label for b in bands],
        [("審査待ち", [b.count for b in bands])],
        percent=False,
        first_column="待っている日数",
    )
    oldest = timezone.localtime(figures["oldest"]).date() if figures["oldest"] else None
    result = ReviewAgeing(
        bands, figures["total"], oldest, chart, longest_days=(today - oldest).days if oldest else None
    )
    if reasons:
        result.by_reason = [
            (REASON_LABELS.get(reason, reason), n)
            for reason, n in queue.order_by()
            .values_list("reason")
            .annotate(n=Count("id"))
            .order_by("-n", "reason")
        ]
    return result


# Each member of staff's workload ---------------------------------------------------------------------------


@dataclass
class StaffLoad:
    user: object
    roles: str
    open_cases: int = 0  # open cases this person handled last
    case_actions_week: int = 0
    case_actions_month: int = 0
    responses_month: int = 0
    reviews_week: int = 0
    reviews_month: int = 0
    letters_printed_month: int = 0
    files_month: int = 0

    @property
    def idle(self) -> bool:
        return not any(
            (self.open_cases, self.case_actions_month, self.reviews_month, self.letters_printed_month,
             self.files_month)
        )  # fmt: skip


@dataclass
class Workload:
    month: date
    week: tuple[date, date]
    staff: list[StaffLoad]
    unhandled_open_cases: int  # open cases nobody has acted on yet (only the system)
    total: StaffLoad


def workload(*, user, today: date) -> Workload:
    """Per member of staff: open cases they handled last (cases are not assigned; the last person
    to act on a case is the one a colleague would ask), case actions this week and month, replies
    recorded, review decisions (supervisors), letters printed and files imported this month. Seven
    queries whatever the number of staff or cases."""
    month = month_start(today)
    start, end = month_range(month)
    monday, sunday = week_bounds(today)
    week_start = local_start(monday)
    User = get_user_model()
    people = list(
        User.objects.filter(municipality_id=user.municipality_id, is_active=True)
        .prefetch_related("groups")
        .order_by("username")
        if user.municipality_id
        else User.objects.none()
    )
    rows = {}
    for person in people:
        person._roles_cache = {g.name for g in person.groups.all()}  # from the prefetch: no query each
        rows[person.pk] = StaffLoad(person, person.role_labels)

    def row(user_id) -> StaffLoad | None:
        return rows.get(user_id)

    for actor, week, month_n, responses in (
        for_user(CaseEvent.objects.all(), user)
        .filter(actor__isnull=False, at__gte=min(start, week_start), at__lt=end)
        .order_by()
        .values("actor")
        .annotate(
            week=Count("id", filter=Q(at__gte=week_start)),
            month=Count("id", filter=Q(at__gte=start)),
            responses=Count("id", filter=Q(at__gte=start, action="response_recorded")),
        )
        .values_list("actor", "week", "month", "responses")
    ):
        if r := row(actor):
            r.case_actions_week, r.case_actions_month, r.responses_month = week, month_n, responses
    for actor, week, month_n in (
        for_user(MatchEvent.objects.all(), user)
        .filter(actor__isnull=False, action__in=REVIEW_ACTIONS, at__gte=min(start, week_start), at__lt=end)
        .order_by()
        .values("actor")
        .annotate(week=Count("id", filter=Q(at__gte=week_start)), month=Count("id", filter=Q(at__gte=start)))
        .values_list("actor", "week", "month")
    ):
        if r := row(actor):
            r.reviews_week, r.reviews_month = week, month_n
    last_actor = Subquery(
        CaseEvent.objects.filter(case=OuterRef("pk"), actor__isnull=False)
        .order_by("-at", "-id")
        .values("actor")[:1]
    )
    unhandled = 0
    for actor, n in (
        ReminderCase.objects.for_user(user)
        .filter(state__in=OPEN_STATES)
        .annotate(last_actor=last_actor)
        .order_by()
        .values("last_actor")
        .annotate(n=Count("id"))
        .values_list("last_actor", "n")
    ):
        if actor is None:
            unhandled += n
        elif r := row(actor):
            r.open_cases = n
    for creator, n in (
        PrintBatch.objects.for_user(user)
        .filter(created_at__gte=start, created_at__lt=end, created_by__isnull=False)
        .order_by()
        .values("created_by")
        .annotate(n=Sum("letter_count"))
        .values_list("created_by", "n")
    ):
        if r := row(creator):
            r.letters_printed_month = n or 0
    for uploader, n in (
        ImportBatch.objects.for_user(user)
        .filter(created_at__gte=start, created_at__lt=end, uploaded_by__isnull=False)
        .order_by()
        .values("uploaded_by")
        .annotate(n=Count("id"))
        .values_list("uploaded_by", "n")
    ):
        if r := row(uploader):
            r.files_month = n
    staff = [r for r in rows.values() if not r.idle or r.user.has_role("clerk", "supervisor")]
    total = StaffLoad(None, "合計")
    for r in staff:
        for name in ("open_cases", "case_actions_week", "case_actions_month", "responses_month", "reviews_week",
                     "reviews_month", "letters_printed_month", "files_month"):  # fmt: skip
            setattr(total, name, getattr(total, name) + getattr(r, name))
    return Workload(month, (monday, sunday), staff, unhandled, total)


@dataclass
class Approvals:
    waiting: int
    oldest: date | None


def approvals_waiting(*, user) -> Approvals:
    """Ex officio withdrawals proposed and waiting for a second person's approval (one query)."""
    figures = (
        ReminderCase.objects.for_user(user)
        .filter(state=CaseState.EX_OFFICIO_PROPOSED)
        .aggregate(n=Count("id"), oldest=Min("proposed_at"))
    )
    oldest = figures["oldest"]
    return Approvals(figures["n"], timezone.localtime(oldest).date() if oldest else None)
