"""Case pages (勧奨ケース): the list, the work lists, one case with its letters and history, each
case action as form → "check before you act" page → service, the ex officio export, and the
person pages (search and one timeline per person). Views parse input, call one selector or
service and render; every page that shows people writes one access-log entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from enrollment.cases import forms, selectors, services, transitions
from enrollment.cases.filters import CaseFilter
from enrollment.models import (
    CaseKind,
    ExOfficioExport,
    Letter,
    LetterStatus,
    ReminderCase,
    Resident,
)
from nhi_portal.access import PortalPermissionRequiredMixin, has_portal_permission
from nhi_portal.audit import Purpose, log_export, log_read
from nhi_portal.listing import AccessLoggedListMixin, LoggedListView

# Reading ---------------------------------------------------------------------------------------


def _case_or_404(user, pk: int) -> ReminderCase:
    try:
        return selectors.case_get(user=user, pk=pk)
    except ReminderCase.DoesNotExist:
        raise Http404 from None


class CaseListView(LoggedListView):
    """ケース一覧: every case, filtered; one access-log entry with the residents on the page."""

    permission_required = "work_cases"
    template_name = "enrollment/case_list.html"
    paginate_by = 25
    context_object_name = "cases"
    log_action, log_purpose = "view_case_list", Purpose.ENROLLMENT

    def get_queryset(self):
        self.filterset = CaseFilter(
            self.request.GET or None, queryset=selectors.case_list(user=self.request.user)
        )
        return self.filterset.qs

    def present(self, rows):
        cases = [selectors.decorate_case(c) for c in rows]
        for case in cases:
            case.last_letter = (
                selectors.decorate_letter(case.newest_letters[0]) if case.newest_letters else None
            )
        return cases

    def logged_ids(self, rows):
        return [c.resident_id for c in rows]

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "filter": self.filterset,
            "filtered": any(v for k, v in self.request.GET.items() if k != "page"),
            "nav_section": "cases",
        }


class WorkListsView(AccessLoggedListMixin, PortalPermissionRequiredMixin, TemplateView):
    """作業一覧: deadlines today and passed, letters to print, returned mail, proposals to approve."""

    permission_required = "work_cases"
    template_name = "enrollment/worklists.html"
    log_action = "view_case_worklists"
    log_purpose = Purpose.ENROLLMENT

    def get_context_data(self, **kwargs):
        user = self.request.user
        supervisor = has_portal_permission(user, "approve_ex_officio")
        work = selectors.worklists(user=user, supervisor=supervisor)
        self.log_ids(work.resident_ids)  # every list on the page, one entry
        return super().get_context_data(
            work=work,
            supervisor=supervisor,
            can_print=has_portal_permission(user, "print_letters"),
            limit=selectors.WORKLIST_LIMIT,
            nav_section="cases",
            **kwargs,
        )


@dataclass
class DetailActions:
    """Which actions the case page offers in the case's state (the services decide in the end)."""

    respond: bool
    second: bool
    close: bool
    propose: bool
    propose_refusal: str | None
    decide: bool  # approve or send back
    approve: bool  # this user may approve (a second person: not the proposer)
    is_proposer: bool
    second_refusal: str | None = None  # why the second reminder cannot be queued yet


def detail_actions(user, case: ReminderCase, today: date) -> DetailActions:
    supervisor = has_portal_permission(user, "approve_ex_officio")
    proposed = transitions.allowed(case.state, "ex_officio_approved")
    ex_officio_stage = case.state in transitions.EX_OFFICIO_STAGES
    propose = case.is_open and case.kind == CaseKind.WITHDRAWAL and not ex_officio_stage
    is_proposer = proposed and case.proposed_by_id == user.pk
    return DetailActions(
        respond=transitions.allowed(case.state, "response_recorded"),
        second=transitions.allowed(case.state, "second_queued"),
        second_refusal=(
            services.second_reminder_refusal(case, today)
            if transitions.allowed(case.state, "second_queued")
            else None
        ),
        close=transitions.allowed(case.state, "closed") and not ex_officio_stage,
        propose=propose,
        propose_refusal=services.ex_officio_refusal(case, today) if propose else None,
        decide=proposed and supervisor,
        approve=proposed and supervisor and not is_proposer,
        is_proposer=is_proposer,
    )


def render_case(request, case: ReminderCase):
    """The case page. One access-log entry: the person, and the head of household when the
    letters are addressed to them."""
    user = request.user
    today = timezone.localdate()
    letters = selectors.case_letters(case=case)
    shown = [case.resident_id]
    if any(letter.subject_name for letter in letters):
        head = selectors.household_head_of(user=user, resident=case.resident)
        if head is not None:
            shown.append(head.pk)
    log_read(request, action="view_case", purpose=Purpose.ENROLLMENT, object_type="resident", ids=shown)
    selectors.decorate_case(case)
    return render(
        request,
        "enrollment/case_detail.html",
        {
            "case": case,
            "letters": letters,
            "intakes": selectors.case_intakes(case=case),
            "events": selectors.case_events(case=case),
            "actions": detail_actions(user, case, today),
            # one page, several forms: each gets its own ids
            "response_form": forms.ResponseForm(auto_id="respond_%s"),
            "close_form": forms.CloseForm(auto_id="close_%s"),
            "propose_form": forms.ProposeForm(
                auto_id="propose_%s", initial={"loss_date": services.pension_loss_date(case)}
            ),
            "approve_form": forms.ApproveForm(auto_id="approve_%s"),
            "reject_form": forms.RejectForm(auto_id="reject_%s"),
            "can_see_people": has_portal_permission(user, "view_people"),
            "nav_section": "cases",
        },
    )


class CaseDetailView(PortalPermissionRequiredMixin, View):
    permission_required = "work_cases"

    def get(self, request, pk: int):
        return render_case(request, _case_or_404(request.user, pk))


# Acting: form → confirm → service ------------------------------------------------------------


@dataclass(frozen=True)
class ActionSpec:
    slug: str
    title: str  # the form page's heading and the action's name
    form_class: type[forms.CaseActionForm]
    button_label: str  # on the confirm page
    permission: str = "work_cases"
    danger: bool = False
    on_letter: bool = False
    lead: str = ""


ACTIONS = {
    spec.slug: spec
    for spec in (
        ActionSpec(
            "respond",
            "回答を記録する",
            forms.ResponseForm,
            "回答を記録する",
            lead="「その他」以外の回答ではケースが完了になり、印刷待ち・保留の通知書は取りやめになります。",
        ),
        ActionSpec(
            "second",
            "再勧奨の通知書を準備する",
            forms.NoInputForm,
            "再勧奨の通知書を印刷待ちにする",
            lead="再勧奨の通知書を作り、印刷待ちにします。回答期限は送付した日から決まります。",
        ),
        ActionSpec(
            "propose",
            "職権喪失を提案する",
            forms.ProposeForm,
            "職権喪失を提案する",
            lead="提案したあと、提案者とは別の監督者が承認するまで、資格喪失の処理は行われません。",
        ),
        ActionSpec(
            "approve",
            "職権喪失を承認する",
            forms.ApproveForm,
            "職権喪失を承認する",
            permission="approve_ex_officio",
            lead="承認すると、次の職権喪失の出力（基幹系への引き渡し）に含まれます。",
        ),
        ActionSpec(
            "reject",
            "職権喪失の提案を差し戻す",
            forms.RejectForm,
            "提案を差し戻す",
            permission="approve_ex_officio",
            danger=True,
            lead="ケースは「再勧奨 送付済み（回答待ち）」に戻ります。",
        ),
        ActionSpec(
            "close",
            "ケースを完了にする",
            forms.CloseForm,
            "ケースを完了にする",
            danger=True,
            lead="完了したケースは元に戻せません。印刷待ち・保留の通知書は取りやめになります。",
        ),
        ActionSpec(
            "returned",
            "返戻を記録する",
            forms.ReturnedForm,
            "返戻を記録する",
            on_letter=True,
            lead="通知書を返戻として記録します。ケースは「居所不明（調査中）」になります。",
        ),
    )
}


def _action_url(spec: ActionSpec, case: ReminderCase, letter: Letter | None, *, confirm: bool) -> str:
    name = f"case-{spec.slug}{'-confirm' if confirm else ''}"
    if spec.on_letter:
        return reverse(name, args=[case.pk, letter.pk])
    return reverse(name, args=[case.pk])


class _CaseActionBase(PortalPermissionRequiredMixin, View):
    action = ""

    @property
    def spec(self) -> ActionSpec:
        return ACTIONS[self.action]

    def get_permission_required(self):
        return [self.spec.permission]

    def load(self, pk: int, letter_id: int | None) -> tuple[ReminderCase, Letter | None]:
        case = _case_or_404(self.request.user, pk)
        letter = None
        if self.spec.on_letter:
            try:
                letter = selectors.letter_get(case=case, pk=letter_id)
            except Letter.DoesNotExist:
                raise Http404 from None
        return case, letter

    def session_key(self, case: ReminderCase, letter: Letter | None) -> str:
        return f"case-action:{case.pk}:{self.spec.slug}:{letter.pk if letter else ''}"

    def log(self, case: ReminderCase) -> None:
        log_read(
            self.request,
            action=f"case_{self.spec.slug}_page",
            purpose=Purpose.ENROLLMENT,
            object_type="resident",
            ids=[case.resident_id],
        )

    def context(self, case: ReminderCase, letter: Letter | None, **extra) -> dict:
        selectors.decorate_case(case)
        return {
            "case": case,
            "letter": letter,
            "spec": self.spec,
            "case_url": reverse("case-detail", args=[case.pk]),
            "form_url": _action_url(self.spec, case, letter, confirm=False),
            "confirm_url": _action_url(self.spec, case, letter, confirm=True),
            "nav_section": "cases",
            **extra,
        }


def known_refusal(
    spec: ActionSpec, case: ReminderCase, letter: Letter | None, data: dict, user
) -> tuple[str | None, str] | None:
    """A refusal the service would give, known before the confirm page: (field or None, message).
    The form shows it with the values kept, so nobody types anything twice."""
    today = timezone.localdate()
    match spec.slug:
        case "second":
            refusal = services.second_reminder_refusal(case, today)
        case "propose":
            refusal = services.ex_officio_refusal(case, today)
            if refusal is None and data:
                if loss := services.loss_date_refusal(case, data["loss_date"], today):
                    return "loss_date", loss
        case "approve" | "reject":
            refusal = services.ex_officio_approval_refusal(case, user) if spec.slug == "approve" else None
            if refusal is None and not transitions.allowed(case.state, "ex_officio_approved"):
                refusal = "職権喪失の承認待ちのケースではありません。"
        case "returned":
            refusal = None
            if letter is not None and letter.status != LetterStatus.SENT:
                refusal = "返戻を記録できるのは送付済みの通知書だけです。"
            elif (
                letter is not None
                and letter.sent_on
                and data.get("returned_on")
                and (data["returned_on"] < letter.sent_on)
            ):
                return "returned_on", (
                    f"返戻日が送付日（{letter.sent_on:%Y-%m-%d}）より前です。送付日以降の日付を入力してください。"
                )
        case _:
            refusal = None
    if refusal is None and not case.is_open:
        refusal = "このケースは完了しています。"
    return (None, refusal) if refusal else None


class CaseActionView(_CaseActionBase):
    """The action's form. Valid input is kept in the session and the confirm page shown — unless
    the service's refusal is already known: then it is shown here, with the values kept."""

    def get(self, request, pk: int, letter_id: int | None = None):
        case, letter = self.load(pk, letter_id)
        refused = known_refusal(self.spec, case, letter, {}, request.user)
        if self.spec.form_class is forms.NoInputForm and refused is None:
            return redirect(_action_url(self.spec, case, letter, confirm=True))
        kept = request.session.get(self.session_key(case, letter))
        form = self.spec.form_class(initial=kept or self.initial(case))
        return self.show(case, letter, form, refusal=refused[1] if refused else "")

    def post(self, request, pk: int, letter_id: int | None = None):
        case, letter = self.load(pk, letter_id)
        form = self.spec.form_class(request.POST)
        if not form.is_valid():
            return self.show(case, letter, form)
        if self.spec.slug == "propose" and form.cleaned_data.get("loss_date") is None:
            form.cleaned_data["loss_date"] = services.pension_loss_date(case)
        if refused := known_refusal(self.spec, case, letter, form.cleaned_data, request.user):
            form.add_error(refused[0], refused[1])
            return self.show(case, letter, form, refusal=refused[1] if refused[0] is None else "")
        request.session[self.session_key(case, letter)] = form.to_session()
        return redirect(_action_url(self.spec, case, letter, confirm=True))

    def initial(self, case: ReminderCase) -> dict:
        if self.spec.slug == "propose":
            return {"loss_date": services.pension_loss_date(case)}
        return {}

    def show(self, case, letter, form, *, refusal: str = ""):
        """`refusal`: the case itself does not allow the action now; the form is not offered."""
        self.log(case)
        return render(
            self.request,
            "enrollment/case_action.html",
            self.context(case, letter, form=form, refusal=refusal),
        )


class CaseConfirmView(_CaseActionBase):
    """ "Check before you act": what will be recorded, one button; the service decides. A refusal
    (CaseRefused) is shown as an error summary."""

    def checked_form(self, case, letter) -> forms.CaseActionForm | None:
        if self.spec.form_class is forms.NoInputForm:
            return forms.NoInputForm.from_session({})
        data = self.request.session.get(self.session_key(case, letter))
        if data is None:
            return None
        form = self.spec.form_class.from_session(data)
        return form if not form.errors else None

    def get(self, request, pk: int, letter_id: int | None = None):
        case, letter = self.load(pk, letter_id)
        form = self.checked_form(case, letter)
        if form is None:
            return redirect(_action_url(self.spec, case, letter, confirm=False))
        if refused := known_refusal(self.spec, case, letter, form.cleaned_data, request.user):
            # The form again, with the refusal and the values kept: no confirm page for a "no".
            form.add_error(refused[0], refused[1])
            view = CaseActionView(request=request, action=self.action)
            return view.show(case, letter, form, refusal=refused[1] if refused[0] is None else "")
        return self.show(case, letter, form)

    def post(self, request, pk: int, letter_id: int | None = None):
        case, letter = self.load(pk, letter_id)
        form = self.checked_form(case, letter)
        if form is None:
            messages.warning(request, "入力内容が見つかりません。もう一度入力してください。")
            return redirect(_action_url(self.spec, case, letter, confirm=False))
        try:
            message = self.perform(case, letter, form.cleaned_data)
        except services.CaseRefused as refusal:
            form.add_error(None, str(refusal))
            case.refresh_from_db()
            return self.show(case, letter, form, refused=True, status=409)
        request.session.pop(self.session_key(case, letter), None)
        messages.success(request, message)
        return redirect("case-detail", pk=case.pk)

    def perform(self, case: ReminderCase, letter: Letter | None, data: dict) -> str:
        user = self.request.user
        match self.spec.slug:
            case "respond":
                services.case_record_response(
                    case=case, response=data["response"], note=data["note"], user=user
                )
                return "回答を記録しました。"
            case "second":
                queued = services.case_queue_second(case=case, user=user)
                if queued.status == LetterStatus.HELD:
                    return f"再勧奨の通知書 {queued.number} を作りましたが、保留になりました：{queued.hold_reason}"
                return f"再勧奨の通知書 {queued.number} を印刷待ちにしました。"
            case "propose":
                services.case_propose_ex_officio(
                    case=case, user=user, note=data["note"], loss_date=data["loss_date"]
                )
                return "職権喪失を提案しました。別の監督者の承認を待っています。"
            case "approve":
                services.case_approve_ex_officio(case=case, user=user, reason=data["reason"])
                return "職権喪失を承認しました。次の職権喪失の出力に含まれます。"
            case "reject":
                services.case_reject_ex_officio(case=case, user=user, reason=data["reason"])
                return "職権喪失の提案を差し戻しました。"
            case "close":
                services.case_close(case=case, reason=data["reason"], note=data["note"], user=user)
                return "ケースを完了にしました。"
            case "returned":
                services.letter_record_returned(
                    letter=letter, user=user, returned_on=data["returned_on"], note=data["note"]
                )
                return (
                    f"通知書 {letter.number} の返戻を記録しました。ケースは居所不明（調査中）になりました。"
                )
        raise Http404

    def items(self, case: ReminderCase, letter: Letter | None, form) -> list[tuple[str, str]]:
        person = case.resident
        rows = [
            ("ケース", f"#{case.pk} {case.get_kind_display()}"),
            ("対象者", f"{person.display_name}（住民票コード {person.resident_code}）"),
            ("現在の状態", case.get_state_display()),
        ]
        if self.spec.slug in ("second", "propose") and case.deadline:
            rows.append(("回答期限", f"{case.deadline:%Y-%m-%d}"))
        if self.spec.slug in ("approve", "reject") and case.proposed_by_id:
            when = timezone.localtime(case.proposed_at)
            rows.append(("提案", f"{services.staff_name(case.proposed_by)}（{when:%Y-%m-%d %H:%M}）"))
            if case.loss_date:
                rows.append(("資格喪失年月日", f"{case.loss_date:%Y-%m-%d}"))
        if letter is not None:
            rows += [
                ("通知書", f"{letter.number}（{'再勧奨' if letter.second else '勧奨通知'}）"),
                ("送付日", f"{letter.sent_on:%Y-%m-%d}" if letter.sent_on else "—"),
            ]
        return rows + form.summary()

    def show(self, case, letter, form, *, refused: bool = False, status: int = 200):
        self.log(case)
        context = self.context(
            case,
            letter,
            form=form,
            refused=refused,
            items=self.items(case, letter, form),
            has_input=self.spec.form_class is not forms.NoInputForm,
            button_class="button--danger" if self.spec.danger else "",
        )
        return render(self.request, "enrollment/case_confirm.html", context, status=status)


# Ex officio export ------------------------------------------------------------------------------


class ExOfficioView(AccessLoggedListMixin, PortalPermissionRequiredMixin, View):
    """職権喪失の出力: approved withdrawals waiting (the people, logged), the past exports; POST
    makes the export (reached from the confirm page)."""

    permission_required = "approve_ex_officio"
    log_action = "view_ex_officio_waiting"
    log_purpose = Purpose.ENROLLMENT

    def get(self, request):
        user = request.user
        waiting = [selectors.decorate_case(c) for c in selectors.ex_officio_waiting(user=user)]
        exports = self.page_of(selectors.ex_officio_exports(user=user))
        self.log_ids([c.resident_id for c in waiting])
        return render(
            request,
            "enrollment/case_ex_officio.html",
            {
                "waiting": waiting,
                "exports": exports,
                "page_obj": exports,
                "highlight": request.GET.get("export", ""),
                "nav_section": "cases",
            },
        )

    def post(self, request):
        try:
            export = services.ex_officio_export(municipality=request.user.municipality, user=request.user)
        except services.CaseRefused as refusal:
            messages.error(request, str(refusal))
            return redirect("ex-officio")
        messages.success(
            request,
            f"職権喪失 {export.case_count}件を出力しました（出力 #{export.pk}）。"
            "下の一覧からCSVをダウンロードして、基幹系に取り込んでください。",
        )
        return redirect(f"{reverse('ex-officio')}?export={export.pk}#exports")


class ExOfficioConfirmView(AccessLoggedListMixin, PortalPermissionRequiredMixin, TemplateView):
    permission_required = "approve_ex_officio"
    template_name = "enrollment/case_ex_officio_confirm.html"
    log_action = "confirm_ex_officio_export"
    log_purpose = Purpose.ENROLLMENT

    def get_context_data(self, **kwargs):
        waiting = [selectors.decorate_case(c) for c in selectors.ex_officio_waiting(user=self.request.user)]
        self.log_ids([c.resident_id for c in waiting])
        items = [
            ("出力する件数", f"{len(waiting)}件"),
            ("形式", "CSV（UTF-8、BOM付き、CRLF）"),
            ("出力者", services.staff_name(self.request.user)),
        ]
        if waiting:
            first = timezone.localtime(waiting[0].approved_at)
            last = timezone.localtime(waiting[-1].approved_at)
            items.insert(1, ("承認日", f"{first:%Y-%m-%d}〜{last:%Y-%m-%d}"))
        return super().get_context_data(waiting=waiting, items=items, nav_section="cases", **kwargs)


class ExOfficioDownloadView(PortalPermissionRequiredMixin, View):
    """The stored CSV, streamed from private storage; the residents in it are access-logged."""

    permission_required = "approve_ex_officio"

    def get(self, request, export_id: int):
        try:
            export = selectors.ex_officio_exports(user=request.user).get(pk=export_id)
        except ExOfficioExport.DoesNotExist:
            raise Http404 from None
        if not export.file:
            raise Http404
        try:
            handle = export.file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        log_export(
            request,
            action="download_ex_officio_export",
            purpose=Purpose.ENROLLMENT,
            object_type="resident",
            ids=selectors.export_resident_ids(export=export),
            sha256=export.sha256,
        )
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=f"ex_officio_{export.pk}.csv",
            content_type="text/csv; charset=utf-8",
        )
        response["Cache-Control"] = "no-store"
        return response


# People -----------------------------------------------------------------------------------------


def _reverse_or_blank(name: str, arg) -> str:
    """A link to a page that may not exist yet (the ISA record page lands with the review pages)."""
    try:
        return reverse(name, args=[arg])
    except NoReverseMatch:
        return ""


class PersonSearchView(AccessLoggedListMixin, PortalPermissionRequiredMixin, TemplateView):
    """住民の検索: by name (Latin, kana, kanji), resident code or birth date."""

    permission_required = "view_people"
    template_name = "enrollment/person_search.html"
    log_action, log_purpose = "search_people", Purpose.ENROLLMENT

    def get_context_data(self, **kwargs):
        request = self.request
        asked = {"q", "birth_date"} & set(request.GET)
        form = forms.PersonSearchForm(request.GET if asked else None)
        results = None
        if asked and form.is_valid():
            results = selectors.person_search(
                user=request.user, q=form.cleaned_data["q"], birth_date=form.cleaned_data["birth_date"]
            )
            self.log_rows(results)
        return super().get_context_data(form=form, results=results, nav_section="cases", **kwargs)


class PersonDetailView(PortalPermissionRequiredMixin, View):
    """One person: register values, household, and one timeline of everything, newest first."""

    permission_required = "view_people"

    def get(self, request, pk: int):
        user = request.user
        try:
            person = selectors.person_get(user=user, pk=pk)
        except Resident.DoesNotExist:
            raise Http404 from None
        timeline = selectors.person_timeline(user=user, resident=person)
        allowed = {"case-detail": has_portal_permission(user, "work_cases"), "isa-record": True}
        for entry in timeline.entries:
            if entry.link_name and allowed.get(entry.link_name):
                entry.url = _reverse_or_blank(entry.link_name, entry.link_arg)
        head, members = selectors.household(user=user, resident=person)
        shown = [person.pk, *([head.pk] if head else []), *(m.pk for m in members)]
        log_read(request, action="view_person", purpose=Purpose.ENROLLMENT, object_type="resident", ids=shown)
        today = timezone.localdate()
        insured_now = any(p.is_active_on(today) for p in timeline.periods)
        return render(
            request,
            "enrollment/person_detail.html",
            {
                "person": person,
                "timeline": timeline,
                "head": head,
                "members": members,
                "insured_now": insured_now,
                "core_pending": selectors.waiting_for_core_system(timeline.cases, insured_now=insured_now),
                "can_work_cases": has_portal_permission(user, "work_cases"),
                "nav_section": "cases",
            },
        )
