"""Review pages (突合結果の審査): the queue, one record beside its candidates with the actions
(confirm, choose another person, not resident), the register search, the ISA record page with
its history and the overturn form. Each action ends on the next record of the queue; with htmx
the main column is swapped and the URL pushed, without JavaScript the browser is redirected."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View
from django_htmx.http import HttpResponseClientRedirect, push_url

from enrollment import selectors
from enrollment.linking import forms, runs
from enrollment.linking.diff import differs
from enrollment.linking.earlier import earlier_not_resident, earlier_not_resident_month
from enrollment.linking.matcher import REMEMBERED_REASONS
from enrollment.linking.review import (
    ReviewRefused,
    candidate_ids,
    review_choose,
    review_confirm,
    review_not_resident,
    review_overturn,
)
from enrollment.models import IsaRecord, LinkStatus, MatchDecision, Resident
from nhi_portal.access import PortalPermissionRequiredMixin, has_portal_permission
from nhi_portal.audit import Purpose, log_read
from nhi_portal.listing import LoggedListView

# Why a record was not linked automatically, in a sentence a supervisor can act on.
REASON_HINTS = {
    "field_problem": "ISAの照合項目に読めなかった値があるため、自動では照合しません。",
    "same_name_dob_sex": "氏名・生年月日・性別が同じ人が住民記録に複数います（双子など）。住所などで見分けてください。",
    "doppelganger": "氏名・生年月日・性別が同じ人が同じ住所にいます。機械では見分けられないため、必ず人が確認します。",
    "sex_differs": "性別が違います。住所まですべて一致する場合を除き、別の人の可能性が高いと判断します。",
    "address_elsewhere": "ISAの住所は他の市区町村です。住民票が在住のままの人とは自動で結び付けません（同姓同名の別人か、転出届が未処理の本人で、どちらでもこの市区町村からは通知しません）。",
    "close_candidates": "2人目以降の候補者が本人である確率も{review}以上あります。",
    "weak_identity": "氏名と生年月日のどちらかの一致が不十分です。住所が同じだけでは同じ人と決めません。",
    "score_between": "本人である確率が自動照合の基準（{auto}）に届いていません。",
    "remembered_conflict": "以前に監督者が照合した住民と、今回の自動照合の結果が違います。",
}
# How each explained field's values are marked; kana is another script, so it has no marks.
DIFF_MODES = {"name": "words", "birth_date": "fixed", "sex": "fixed", "lg_code": "fixed", "address": "chars"}


def _points(value) -> str:
    return f"{float(value):g}"


class _Blank(dict):
    """Thresholds for a hint; one a stored run does not have shows as a dash, not an error."""

    def __missing__(self, key: str) -> str:
        return "—"


# Queue filters travel with every link and action, so "next" respects them --------------------


def _filters(request) -> dict[str, str]:
    return forms.QueueFilterForm(request.GET).filters()


def _query(filters: dict[str, str]) -> str:
    return f"?{urlencode(filters)}" if filters else ""


def _item_url(decision_id: int, filters: dict[str, str]) -> str:
    return reverse("review-item", args=[decision_id]) + _query(filters)


def _decision_or_404(user, pk: int) -> MatchDecision:
    try:
        return selectors.decision_get(user=user, pk=pk)
    except MatchDecision.DoesNotExist:
        raise Http404 from None


def _record_or_404(user, pk: int) -> IsaRecord:
    try:
        return selectors.isa_records(user=user).get(pk=pk)
    except IsaRecord.DoesNotExist:
        raise Http404 from None


# What the templates show --------------------------------------------------------------------


@dataclass
class Row:
    """One line of a side-by-side comparison; `isa` is None for what the ISA does not send."""

    label: str
    isa: str | None
    register: str
    diff: str = ""  # how to mark differences ("chars", "words", "fixed"); "" for none
    latin: bool = False

    @property
    def different(self) -> bool:
        return bool(self.diff) and differs(self.isa, self.register)


@dataclass
class Candidate:
    number: int
    resident_id: int
    resident: Resident | None
    score: float
    status_label: str
    former_resident: bool
    remembered: bool
    comparisons: list[dict] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)


def _iso(day) -> str:
    return day.isoformat() if day else ""


def record_rows(record: IsaRecord) -> list[dict]:
    """The ISA record as cleaned, with what the ISA sent where it differs, and unreadable fields."""
    problems = set(record.problems)
    values = [
        ("name", "氏名（英字）", record.name),
        ("sex", "性別", record.get_sex_display() if record.sex else ""),
        ("birth_date", "生年月日", _iso(record.birth_date)),
        ("address", "住居地", record.address),
        ("lg_code", "地方公共団体コード", record.lg_code),
        ("event_date", record.event_label, _iso(record.event_date)),
    ]
    return [
        {
            "label": label,
            "value": value,
            "raw": raw if (raw := getattr(record, f"raw_{name}")) is not None and raw != value else None,
            "problem": name in problems,
            "latin": name == "name",
        }
        for name, label, value in values
    ]


def _candidate(
    number: int, data: dict, resident: Resident | None, record: IsaRecord, remembered_id
) -> Candidate:
    comparisons = [
        {
            **c,
            "diff": DIFF_MODES.get(c["field"], ""),
            "record_latin": c["field"] in ("name", "kana"),  # the ISA name is compared with the kana
            "resident_latin": c["field"] == "name",
        }
        for c in data.get("comparisons", [])
    ]
    candidate = Candidate(
        number=number,
        resident_id=int(data["resident_id"]),
        resident=resident,
        score=data.get("score") or 0.0,
        status_label=data.get("status_label", ""),
        former_resident=bool(data.get("former_resident")),
        remembered=remembered_id is not None and int(remembered_id) == int(data["resident_id"]),
        comparisons=comparisons,
    )
    if resident is not None:
        # Addresses written differently (2丁目27番7号 / 2-27-7) are the same place when the engine
        # says so: mark their characters only when they really disagree.
        levels = {c["field"]: c["level"] for c in comparisons}
        address_diff = "" if levels.get("address") == "exact" else "chars"
        candidate.status_label = resident.get_status_display()
        candidate.former_resident = resident.status != "resident"
        candidate.rows = [
            Row("氏名（英字）", record.name, resident.name_alpha, diff="words", latin=True),
            Row("氏名（カナ）", None, resident.name_kana),
            Row("氏名（漢字）・通称", None, resident.name_kanji),
            Row(
                "性別",
                record.get_sex_display() if record.sex else "",
                resident.get_sex_display() if resident.sex else "",
                diff="fixed",
            ),
            Row("生年月日", _iso(record.birth_date), _iso(resident.birth_date), diff="fixed"),
            Row("住所", record.address, resident.address, diff=address_diff),
            Row("住民票コード", None, resident.resident_code),
        ]
    return candidate


def _reasons(decision: MatchDecision) -> list[dict]:
    explanation = decision.explanation or {}
    stored = explanation.get("thresholds", {})
    thresholds = _Blank(_thresholds(stored) or {k: _points(v) for k, v in stored.items()})
    codes = [decision.reason] if decision.reason in REMEMBERED_REASONS else []
    codes += [r["code"] for r in explanation.get("reasons", []) if r["code"] not in codes]
    reasons = []
    for code in codes:
        if code in ("auto", "remembered"):
            continue
        hint = REASON_HINTS.get(code, "")
        reasons.append(
            {
                "code": code,
                "label": forms.REASON_LABELS.get(code, code),
                "hint": hint.format_map(thresholds) if hint else "",
            }
        )
    return reasons


def _candidates(user, decision: MatchDecision) -> list[Candidate]:
    explanation = decision.explanation or {}
    residents = {r.pk: r for r in selectors.residents_by_ids(user=user, ids=candidate_ids(decision))}
    remembered_id = explanation.get("remembered_resident_id")
    return [
        _candidate(number, data, residents.get(int(data["resident_id"])), decision.isa_record, remembered_id)
        for number, data in enumerate(explanation.get("candidates", []), start=1)
    ]


def _thresholds(values: dict) -> dict[str, str]:
    """Probabilities as percentages; runs stored before probabilities (score points) show nothing."""
    if "target_precision" not in values:
        return {}
    return {
        key: f"{100 * float(values[key]):.4g}%"
        for key in ("auto", "review", "target_precision")
        if key in values
    }


# The queue ----------------------------------------------------------------------------------


class ReviewQueueView(LoggedListView):
    """審査待ち一覧: records waiting for a supervisor, most at stake first, then oldest first."""

    permission_required = "review_matches"
    template_name = "enrollment/review_queue.html"
    paginate_by = 25
    context_object_name = "items"
    log_action, log_purpose, log_object_type = "view_review_queue", Purpose.REVIEW, "isa_record"

    def logged_ids(self, rows):
        return [d.isa_record_id for d in rows]

    def get_queryset(self):
        self.form = forms.QueueFilterForm(self.request.GET or None)
        self.filters = self.form.filters()
        return selectors.review_queue(user=self.request.user, **self.filters).annotate(
            earlier_not_resident_month=earlier_not_resident_month()
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        everything = selectors.review_queue(user=user)
        by_reason = dict(
            everything.order_by().values_list("reason").annotate(n=Count("id")).values_list("reason", "n")
        )
        first = self.object_list.first()
        self.form.fields["reason"].choices = [
            ("", "すべて"),
            *((code, f"{label}（{by_reason.get(code, 0)}件）") for code, label in forms.REVIEW_REASONS),
        ]
        return {
            **context,
            "nav_section": "review",
            "form": self.form,
            "filters": self.filters,
            "query": _query(self.filters),
            "waiting": sum(by_reason.values()),
            "first_url": _item_url(first.pk, self.filters) if first else "",
            "thresholds": _thresholds(runs.current_thresholds().to_dict()),
        }


# One record ---------------------------------------------------------------------------------


def render_item(
    request, decision: MatchDecision, filters: dict, *, form=None, refused: bool = False, choice=None
):
    """The review page of one record; the main column only for htmx. Writes one access-log entry."""
    user = request.user
    candidates = _candidates(user, decision)
    pending = decision.status == LinkStatus.PENDING_REVIEW
    following = selectors.next_in_queue(user=user, after=decision, **filters)
    log_read(
        request,
        action="view_review_item",
        purpose=Purpose.REVIEW,
        object_type="isa_record+residents",
        ids=[decision.isa_record_id, *(c.resident_id for c in candidates)],
    )
    query = _query(filters)
    context = {
        "nav_section": "review",
        "decision": decision,
        "record": decision.isa_record,
        "record_rows": record_rows(decision.isa_record),
        "candidates": candidates,
        "reasons": _reasons(decision),
        "problems": (decision.explanation or {}).get("record_problems", []),
        "thresholds": _thresholds((decision.explanation or {}).get("thresholds", {})),
        "pending": pending,
        "waiting": selectors.review_queue(user=user, **filters).count(),
        "filters": filters,
        "query": query,
        "queue_url": reverse("review-queue") + query,
        "next_url": _item_url(following.pk, filters) if following else "",
        "confirm_url": reverse("review-confirm", args=[decision.pk]) + query,
        "not_resident_url": reverse("review-not-resident", args=[decision.pk]) + query,
        "choose_url": reverse("review-choose", args=[decision.pk]) + query,
        "choose_path": reverse("review-choose", args=[decision.pk]),
        "form": form or forms.ReviewNoteForm(),
        "refused": refused,
        "choice": choice,
        "earlier": earlier_not_resident([decision]).get(decision.pk),
        "search_form": forms.ResidentSearchForm(),
    }
    template = (
        "enrollment/review_item.html#main"
        if request.htmx and not request.htmx.history_restore_request
        else "enrollment/review_item.html"
    )
    return render(request, template, context)


def _after_action(request, decision: MatchDecision, filters: dict, message: str):
    """Open the next record by itself (or go back to the empty queue)."""
    messages.success(request, message)
    following = selectors.next_in_queue(user=request.user, after=decision, **filters)
    if following is None:
        messages.info(request, "審査待ちの記録はもうありません。")
        url = reverse("review-queue") + _query(filters)
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    url = _item_url(following.pk, filters)
    if request.htmx:
        return push_url(render_item(request, following, filters), url)
    return redirect(url)


class ReviewItemView(PortalPermissionRequiredMixin, View):
    """The record beside its candidates, with the reasons it was not automatic and the actions."""

    permission_required = "review_matches"

    def get(self, request, pk: int):
        return render_item(request, _decision_or_404(request.user, pk), _filters(request))


class _ReviewActionView(PortalPermissionRequiredMixin, View):
    """POST only. A refusal or a bad input re-shows the record with an error summary."""

    permission_required = "review_matches"
    form_class: type = forms.ReviewNoteForm

    def act(self, decision: MatchDecision, data: dict) -> str:
        raise NotImplementedError

    def post(self, request, pk: int):
        decision = _decision_or_404(request.user, pk)
        filters = _filters(request)
        form = self.form_class(request.POST)
        refused = False
        if (
            form.is_valid()
            and request.POST.get("confirmed") != "yes"
            and decision.status == LinkStatus.PENDING_REVIEW
        ):
            # A key or a click chooses; only the confirm panel's own button decides. A refusal
            # known now is shown now, not after the confirmation.
            if refusal := self.refusal(decision, form.cleaned_data):
                form.add_error(None, refusal)
                return render_item(request, decision, filters, form=form, refused=True)
            return render_item(request, decision, filters, form=form, choice=self.choice(decision, form))
        if form.is_valid():
            try:
                message = self.act(decision, form.cleaned_data)
            except ReviewRefused as refusal:
                form.add_error(None, str(refusal))
                refused = True
            else:
                return _after_action(request, decision, filters, message)
        decision.refresh_from_db()
        return render_item(request, decision, filters, form=form, refused=refused)

    def refusal(self, decision: MatchDecision, data: dict) -> str | None:
        """The service's refusal, when it can be known before the confirmation (None: none)."""
        return None

    def choice(self, decision: MatchDecision, form) -> dict:
        """What the confirm panel restates before the decision is made."""
        resident = None
        if form.cleaned_data.get("resident"):
            found = selectors.residents_by_ids(user=self.request.user, ids=[form.cleaned_data["resident"]])
            resident = found[0] if found else None
        return {
            "action_url": self.request.get_full_path(),
            "resident": resident,
            "note": form.cleaned_data.get("note", ""),
            "not_resident": resident is None,
        }


class ReviewConfirmView(_ReviewActionView):
    form_class = forms.ReviewPickForm

    def refusal(self, decision, data):
        if data["resident"] not in candidate_ids(decision):
            return "選んだ住民はこの記録の候補にありません。「別の住民を選ぶ」を使ってください。"
        return None

    def act(self, decision, data):
        review_confirm(
            decision=decision, user=self.request.user, resident_id=data["resident"], note=data["note"]
        )
        return f"ISA記録 #{decision.isa_record_id} を候補の住民と照合しました。"


class ReviewNotResidentView(_ReviewActionView):
    def act(self, decision, data):
        review_not_resident(decision=decision, user=self.request.user, note=data["note"])
        return f"ISA記録 #{decision.isa_record_id} を「住民でない」にしました（通知書は送りません）。"


def _resident_or_refuse(user, resident_id: int) -> Resident:
    found = selectors.residents_by_ids(user=user, ids=[resident_id])
    if not found:
        raise ReviewRefused("その住民は見つかりません。もう一度探してください。")
    return found[0]


def _search(request, search_form: forms.ResidentSearchForm, *, record) -> list[Resident] | None:
    """Run the register search (None: no search asked). The page shows the ISA record too, so
    exactly one access-log entry names the record and the residents found."""
    results = None
    if search_form.is_bound and search_form.is_valid():
        results = list(
            selectors.resident_search(
                user=request.user,
                q=search_form.cleaned_data["q"],
                birth_date=search_form.cleaned_data["birth_date"],
            )
        )
    log_read(
        request,
        action="search_residents" if results is not None else "view_isa_record",
        purpose=Purpose.REVIEW,
        object_type="isa_record+residents",
        ids=[record.pk, *(r.pk for r in results or [])],
    )
    return results


def _render_search(request, context: dict, *, form_id: str):
    """The search results: a fragment for htmx, whose buttons submit the asking page's own form
    (`form_id`, so its note or reason goes with them); a whole page with its own form otherwise."""
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "enrollment/resident_search.html#results", {**context, "form_id": form_id})
    return render(request, "enrollment/resident_search.html", context)


class ReviewChooseView(_ReviewActionView):
    """GET: search the register for the person of a record. POST: link the record to the one chosen."""

    form_class = forms.ReviewPickForm

    def get(self, request, pk: int):
        decision = _decision_or_404(request.user, pk)
        filters = _filters(request)
        search_form = forms.ResidentSearchForm(
            request.GET if {"q", "birth_date"} & set(request.GET) else None
        )
        query = _query(filters)
        return _render_search(
            request,
            {
                "nav_section": "review",
                "mode": "choose",
                "decision": decision,
                "record": decision.isa_record,
                "record_rows": record_rows(decision.isa_record),
                "search_form": search_form,
                "results": _search(request, search_form, record=decision.isa_record),
                "pick_form": forms.ReviewNoteForm(auto_id="id_pick_%s"),
                "filters": filters,
                "search_url": reverse("review-choose", args=[decision.pk]),
                "action_url": reverse("review-choose", args=[decision.pk]) + query,
                "back_url": _item_url(decision.pk, filters),
                "can_act": decision.status == LinkStatus.PENDING_REVIEW,
            },
            form_id="review-decision",
        )

    def refusal(self, decision, data):
        if not selectors.residents_by_ids(user=self.request.user, ids=[data["resident"]]):
            return "その住民は見つかりません。もう一度探してください。"
        return None

    def act(self, decision, data):
        resident = _resident_or_refuse(self.request.user, data["resident"])
        review_choose(decision=decision, user=self.request.user, resident=resident, note=data["note"])
        return f"ISA記録 #{decision.isa_record_id} を検索で選んだ住民と照合しました。"


# The ISA record page ------------------------------------------------------------------------


class IsaRecordView(PortalPermissionRequiredMixin, View):
    """One ISA record: its values, batch, decision with explanation, and who did what."""

    permission_required = "view_people"

    def get(self, request, pk: int):
        return render_record(request, _record_or_404(request.user, pk))


def render_record(request, record: IsaRecord, *, overturn_form=None):
    """The record page. Writes one access-log entry with the record and every person shown."""
    user = request.user
    decision = selectors.decision_for_record(user=user, record_id=record.pk)
    candidates, events, linked = [], [], None
    if decision is not None:
        candidates = _candidates(user, decision)
        events = list(selectors.match_events(decision=decision))
        extra = {
            decision.linked_resident_id,
            *(e.resident_before for e in events),
            *(e.resident_after for e in events),
        }
        extra -= {None, *(c.resident_id for c in candidates)}
        known = {c.resident_id: c.resident for c in candidates if c.resident}
        known.update({r.pk: r for r in selectors.residents_by_ids(user=user, ids=sorted(extra))})
        linked = known.get(decision.linked_resident_id)
        for event in events:
            event.before = known.get(event.resident_before)
            event.after = known.get(event.resident_after)
        shown = [decision.linked_resident_id, *known]
    else:
        shown = []
    log_read(
        request,
        action="view_isa_record",
        purpose=Purpose.ENROLLMENT,
        object_type="isa_record+residents",
        ids=[record.pk, *(i for i in shown if i)],
    )
    can_overturn = (
        decision is not None
        and decision.status == LinkStatus.LINKED
        and has_portal_permission(user, "review_matches")
    )
    return render(
        request,
        "enrollment/isa_record.html",
        {
            "record": record,
            "record_rows": record_rows(record),
            "decision": decision,
            "candidates": candidates,
            "reasons": _reasons(decision) if decision else [],
            "thresholds": _thresholds((decision.explanation or {}).get("thresholds", {})) if decision else {},
            "events": events,
            "linked": linked,
            "can_overturn": can_overturn,
            "can_review": decision is not None
            and decision.status == LinkStatus.PENDING_REVIEW
            and has_portal_permission(user, "review_matches"),
            "can_see_batch": has_portal_permission(user, "import_files"),
            "overturn_form": overturn_form or forms.OverturnForm(),
            "search_form": forms.ResidentSearchForm(),
        },
    )


class OverturnView(PortalPermissionRequiredMixin, View):
    """GET: search the register for the right person. POST: undo the link, with a reason."""

    permission_required = "review_matches"

    def get(self, request, pk: int):
        record = _record_or_404(request.user, pk)
        decision = selectors.decision_for_record(user=request.user, record_id=record.pk)
        if decision is None:
            raise Http404
        search_form = forms.ResidentSearchForm(
            request.GET if {"q", "birth_date"} & set(request.GET) else None
        )
        return _render_search(
            request,
            {
                "mode": "overturn",
                "decision": decision,
                "record": record,
                "record_rows": record_rows(record),
                "search_form": search_form,
                "results": _search(request, search_form, record=decision.isa_record),
                "pick_form": forms.OverturnForm(auto_id="id_pick_%s"),
                "search_url": reverse("review-overturn", args=[record.pk]),
                "action_url": reverse("review-overturn", args=[record.pk]),
                "back_url": reverse("isa-record", args=[record.pk]),
                "can_act": decision.status == LinkStatus.LINKED,
            },
            form_id="overturn-form",
        )

    def post(self, request, pk: int):
        record = _record_or_404(request.user, pk)
        decision = selectors.decision_for_record(user=request.user, record_id=record.pk)
        if decision is None:
            raise Http404
        form = forms.OverturnForm(request.POST)
        if form.is_valid():
            try:
                resident = None
                if form.cleaned_data.get("resident"):
                    resident = _resident_or_refuse(request.user, form.cleaned_data["resident"])
                review_overturn(
                    decision=decision,
                    user=request.user,
                    reason=form.cleaned_data["reason"],
                    resident=resident,
                )
            except ReviewRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                if resident is None:
                    messages.success(request, "照合を取り消し、「住民でない」にしました。")
                else:
                    messages.success(
                        request,
                        f"照合を取り消し、住民票コード {resident.resident_code} の住民に付け替えました。",
                    )
                return redirect("isa-record", pk=record.pk)
        return render_record(request, record, overturn_form=form)
