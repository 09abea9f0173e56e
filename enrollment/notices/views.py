"""Notice pages (入管への通知): the draft opened from a person's page and its edits, one notice with
its history, each action as form → "check before you act" page → service, the notice PDF and the
attached documents, and the register of notices with its CSV. Views parse input, call one
selector or service and render; every page that shows a person writes one access-log entry with
the purpose 入管への通知 (never 加入促進: the ISA data is not used here)."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from enrollment import presenters
from enrollment.models import ImmigrationNotice, NoticeDocument, NoticeState, Resident
from enrollment.notices import forms, selectors, services
from nhi_portal import csvsafe
from nhi_portal.access import PortalPermissionRequiredMixin, has_portal_permission
from nhi_portal.audit import Purpose, log_export, log_read
from nhi_portal.listing import AccessLoggedListMixin

DRAFT = "draft_immigration_notices"
APPROVE = "approve_immigration_notices"
VIEW = "view_immigration_notices"


class AnyNoticePermissionMixin(PortalPermissionRequiredMixin):
    """Pages of one notice: for those who write notices and those who read the register."""

    permission_required = (DRAFT, VIEW)

    def has_permission(self) -> bool:
        return any(has_portal_permission(self.request.user, p) for p in self.get_permission_required())


def _log(request, action: str, resident_ids) -> None:
    log_read(
        request, action=action, purpose=Purpose.IMMIGRATION_NOTICE, object_type="resident", ids=resident_ids
    )


def _notice_or_404(user, pk: int) -> ImmigrationNotice:
    try:
        return selectors.notice_get(user=user, pk=pk)
    except ImmigrationNotice.DoesNotExist:
        raise Http404 from None


def _decorate(notice: ImmigrationNotice) -> ImmigrationNotice:
    notice.state_tone = presenters.notice_tone(notice.state)
    return notice


# The draft -----------------------------------------------------------------------------------------


class _DraftBase(PortalPermissionRequiredMixin, View):
    permission_required = DRAFT
    template_name = "enrollment/notices/draft_form.html"

    def forms_for(self, data=None, files=None, *, initial=None, facts=None):
        grounds = selectors.grounds_for(user=self.request.user)
        form = forms.DraftForm(data, files, grounds_queryset=grounds, initial=initial)
        rows = facts or []
        fact_forms = forms.FactFormSet(data, prefix="facts", initial=rows or None)
        if data is None:
            fact_forms.extra = max(0, 3 - len(rows)) if rows else 3
        return form, fact_forms

    def draft_input(self, form, fact_forms) -> services.DraftInput:
        data = form.cleaned_data
        return services.DraftInput(
            grounds=list(data["grounds"]),
            facts=[services.FactInput(f["occurred_on"], f["description"]) for f in fact_forms.facts()],
            employment=data["employment"],
            schooling=data["schooling"],
            summary=data["summary"],
        )

    def show(self, resident, form, fact_forms, *, notice=None, refusal=None, files_dropped=False, status=200):
        _log(self.request, "notice_draft_form", [resident.pk])
        today = timezone.localdate()
        items = selectors.person_items(resident=resident, today=today)
        context = {
            "person": resident,
            "items": items,
            "days_enrolled": items.days_enrolled(today),
            "form": form,
            "fact_forms": fact_forms,
            "notice": notice,
            "refusal": refusal,
            "files_dropped": files_dropped,
            "bureau": selectors.notice_settings(municipality_id=resident.municipality_id),
            "nav_section": "notices",
        }
        return render(self.request, self.template_name, context, status=status)


class NoticeCreateView(_DraftBase):
    """通知の下書きを作る, from a person's page. A refusal known now (no settings, not insured, a
    notice already open) is shown instead of the form."""

    def resident(self, pk: int) -> Resident:
        try:
            return Resident.objects.for_user(self.request.user).get(pk=pk)
        except Resident.DoesNotExist:
            raise Http404 from None

    def get(self, request, pk: int):
        resident = self.resident(pk)
        form, fact_forms = self.forms_for()
        return self.show(resident, form, fact_forms, refusal=services.draft_refusal(resident=resident))

    def post(self, request, pk: int):
        resident = self.resident(pk)
        if refusal := services.draft_refusal(resident=resident):
            form, fact_forms = self.forms_for()
            return self.show(resident, form, fact_forms, refusal=refusal, status=409)
        form, fact_forms = self.forms_for(request.POST, request.FILES)
        valid = form.is_valid() & fact_forms.is_valid()
        if valid:
            try:
                notice = services.notice_create(
                    resident=resident,
                    user=request.user,
                    data=self.draft_input(form, fact_forms),
                    documents=form.cleaned_data["documents"],
                )
            except services.NoticeRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, f"通知の下書き {notice.number} を作りました。")
                return redirect("notice-detail", pk=notice.pk)
        return self.show(resident, form, fact_forms, files_dropped=bool(request.FILES))


class NoticeEditView(_DraftBase):
    """下書きを修正する: only while a draft."""

    def get(self, request, pk: int):
        notice = _notice_or_404(request.user, pk)
        if refusal := services.edit_refusal(notice):
            messages.warning(request, refusal)
            return redirect("notice-detail", pk=notice.pk)
        initial = {
            "grounds": list(notice.grounds.all()),
            "employment": notice.employment,
            "schooling": notice.schooling,
            "summary": notice.summary,
        }
        facts = [{"occurred_on": f.occurred_on, "description": f.description} for f in notice.facts.all()]
        form, fact_forms = self.forms_for(initial=initial, facts=facts)
        return self.show(notice.resident, form, fact_forms, notice=notice)

    def post(self, request, pk: int):
        notice = _notice_or_404(request.user, pk)
        if refusal := services.edit_refusal(notice):
            messages.warning(request, refusal)
            return redirect("notice-detail", pk=notice.pk)
        form, fact_forms = self.forms_for(request.POST, request.FILES)
        remove = [int(v) for v in request.POST.getlist("remove_document") if v.isdigit()]
        if form.is_valid() & fact_forms.is_valid():
            try:
                services.notice_update(
                    notice=notice,
                    user=request.user,
                    data=self.draft_input(form, fact_forms),
                    documents=form.cleaned_data["documents"],
                    remove_documents=remove,
                )
            except services.NoticeRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, f"下書き {notice.number} を修正しました。")
                return redirect("notice-detail", pk=notice.pk)
        return self.show(notice.resident, form, fact_forms, notice=notice, files_dropped=bool(request.FILES))


# One notice ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Possible:
    slug: str
    label: str
    refusal: str | None
    danger: bool = False


def possible_actions(user, notice: ImmigrationNotice) -> list[Possible]:
    """Each action the notice is in a state for, with why this user may not take it (or None)."""
    found = []
    can_draft = has_portal_permission(user, DRAFT)
    if notice.state == NoticeState.DRAFT and can_draft:
        found.append(Possible("edit", "下書きを修正する", None))
        found.append(Possible("submit", "承認を依頼する", services.submit_refusal(notice)))
    if notice.state == NoticeState.SUBMITTED and (has_portal_permission(user, APPROVE) or can_draft):
        found.append(Possible("approve", "承認する", services.approval_refusal(notice, user)))
        found.append(
            Possible("reject", "却下する", services.approval_refusal(notice, user, action="却下"), True)
        )
    if notice.state == NoticeState.APPROVED and can_draft:
        found.append(Possible("sent", "送付を記録する", services.sent_refusal(notice)))
    if notice.state in selectors.OPEN_NOTICE_STATES and can_draft:
        found.append(Possible("withdraw", "取り下げる", services.withdraw_refusal(notice, user), True))
    return found


class NoticeDetailView(AnyNoticePermissionMixin, View):
    def get(self, request, pk: int):
        notice = _decorate(_notice_or_404(request.user, pk))
        _log(request, "view_notice", [notice.resident_id])
        today = timezone.localdate()
        items = selectors.person_items(resident=notice.resident, today=notice.issue_date or today)
        events = list(notice.events.select_related("actor"))
        for event in events:
            event.label = selectors.ACTION_LABELS.get(event.action, event.action)
        return render(
            request,
            "enrollment/notices/detail.html",
            {
                "notice": notice,
                "person": notice.resident,
                "items": items,
                "days_enrolled": items.days_enrolled(notice.created_at.date()),
                "bureau": selectors.notice_settings(municipality_id=notice.municipality_id),
                "grounds": list(notice.grounds.all()),
                "facts": list(notice.facts.all()),
                "documents": list(notice.documents.select_related("uploaded_by")),
                "events": events,
                "actions": possible_actions(request.user, notice),
                "can_see_person": has_portal_permission(request.user, "view_people"),
                "nav_section": "notices",
            },
        )


# Acting: form → confirm → service ----------------------------------------------------------------


@dataclass(frozen=True)
class ActionSpec:
    slug: str
    title: str
    form_class: type[forms.NoticeActionForm]
    button_label: str
    permission: str = DRAFT
    danger: bool = False
    lead: str = ""


ACTIONS = {
    spec.slug: spec
    for spec in (
        ActionSpec(
            "submit",
            "承認を依頼する",
            forms.NoInputForm,
            "承認を依頼する",
            lead="依頼したあとは修正できません。書いた人・修正した人とは別の監督者が承認するまで、通知書は作られません。",
        ),
        ActionSpec(
            "approve",
            "通知を承認する",
            forms.ApproveForm,
            "承認して通知書を作る",
            permission=APPROVE,
            lead="承認すると通知書（PDF）が作られ、送付待ちになります。承認は取り消せません（送付前なら取下げはできます）。",
        ),
        ActionSpec(
            "reject",
            "通知を却下する",
            forms.RejectForm,
            "却下する",
            permission=APPROVE,
            danger=True,
            lead="却下した通知は送付されず、理由とともに記録に残ります。元には戻せません。",
        ),
        ActionSpec(
            "withdraw",
            "通知を取り下げる",
            forms.WithdrawForm,
            "取り下げる",
            danger=True,
            lead="取り下げた通知は送付されず、理由とともに記録に残ります。元には戻せません。",
        ),
        ActionSpec(
            "sent",
            "送付を記録する",
            forms.SentForm,
            "送付を記録する",
            lead="通知書を地方出入国在留管理局へ送った日と方法を記録します。記録すると元には戻せません。",
        ),
    )
}


def _refusal(spec: ActionSpec, notice: ImmigrationNotice, user) -> str | None:
    match spec.slug:
        case "submit":
            return services.submit_refusal(notice)
        case "approve":
            return services.approval_refusal(notice, user)
        case "reject":
            return services.approval_refusal(notice, user, action="却下")
        case "withdraw":
            return services.withdraw_refusal(notice, user)
        case "sent":
            return services.sent_refusal(notice)
    return None


class _ActionBase(PortalPermissionRequiredMixin, View):
    action = ""

    @property
    def spec(self) -> ActionSpec:
        return ACTIONS[self.action]

    def get_permission_required(self):
        return [self.spec.permission]

    def session_key(self, notice) -> str:
        return f"notice-action:{notice.pk}:{self.spec.slug}"

    def url(self, notice, *, confirm: bool) -> str:
        return reverse(f"notice-{self.spec.slug}{'-confirm' if confirm else ''}", args=[notice.pk])

    def context(self, notice, **extra) -> dict:
        return {
            "notice": _decorate(notice),
            "person": notice.resident,
            "spec": self.spec,
            "notice_url": reverse("notice-detail", args=[notice.pk]),
            "form_url": self.url(notice, confirm=False),
            "confirm_url": self.url(notice, confirm=True),
            "nav_section": "notices",
            **extra,
        }

    def items(self, notice, form=None) -> list[tuple[str, str]]:
        person = notice.resident
        rows = [
            ("通知", f"{notice.number}（{notice.get_state_display()}）"),
            ("対象者", f"{person.display_name}（住民票コード {person.resident_code}）"),
            ("通知の理由", "、".join(g.label for g in notice.grounds.all())),
            (
                "作成",
                f"{notice.created_by.get_username()}（{timezone.localtime(notice.created_at):%Y-%m-%d}）",
            ),
        ]
        if notice.approved_by_id:
            rows.append(("承認", f"{notice.approved_by.get_username()}（{notice.issue_date:%Y-%m-%d}）"))
        return rows + (form.summary() if form is not None else [])

    def refused(self, notice, refusal: str):
        """The refusal, before any form or confirmation: nothing to fill in, nothing done. A page
        asked for (GET) answers 200 — it is the page that explains; an attempt (POST) 409."""
        status = 409 if self.request.method == "POST" else 200
        _log(self.request, f"notice_{self.spec.slug}_page", [notice.resident_id])
        context = self.context(notice, refusal=refusal, items=self.items(notice))
        return render(self.request, "enrollment/notices/refused.html", context, status=status)


class NoticeActionView(_ActionBase):
    """The action's form; with no input, straight to the confirm page."""

    def get(self, request, pk: int):
        notice = _notice_or_404(request.user, pk)
        if refusal := _refusal(self.spec, notice, request.user):
            return self.refused(notice, refusal)
        if self.spec.form_class is forms.NoInputForm:
            return redirect(self.url(notice, confirm=True))
        kept = request.session.get(self.session_key(notice))
        form = self.spec.form_class(initial=kept) if kept else self.spec.form_class()
        return self.show(notice, form)

    def post(self, request, pk: int):
        notice = _notice_or_404(request.user, pk)
        if refusal := _refusal(self.spec, notice, request.user):
            return self.refused(notice, refusal)
        form = self.spec.form_class(request.POST)
        if not form.is_valid():
            return self.show(notice, form)
        request.session[self.session_key(notice)] = form.to_session()
        return redirect(self.url(notice, confirm=True))

    def show(self, notice, form):
        _log(self.request, f"notice_{self.spec.slug}_page", [notice.resident_id])
        return render(self.request, "enrollment/notices/action.html", self.context(notice, form=form))


class NoticeConfirmView(_ActionBase):
    """ "Check before you act": what will be recorded, one button; the service decides."""

    def checked_form(self, notice) -> forms.NoticeActionForm | None:
        if self.spec.form_class is forms.NoInputForm:
            return forms.NoInputForm.from_session({})
        data = self.request.session.get(self.session_key(notice))
        if data is None:
            return None
        form = self.spec.form_class.from_session(data)
        return form if not form.errors else None

    def get(self, request, pk: int):
        notice = _notice_or_404(request.user, pk)
        if refusal := _refusal(self.spec, notice, request.user):
            return self.refused(notice, refusal)
        form = self.checked_form(notice)
        if form is None:
            return redirect(self.url(notice, confirm=False))
        return self.show(notice, form)

    def post(self, request, pk: int):
        notice = _notice_or_404(request.user, pk)
        form = self.checked_form(notice)
        if form is None:
            messages.warning(request, "入力内容が見つかりません。もう一度入力してください。")
            return redirect(self.url(notice, confirm=False))
        try:
            message = self.perform(notice, form.cleaned_data)
        except services.NoticeRefused as refusal:
            notice.refresh_from_db()
            return self.refused(notice, str(refusal))
        request.session.pop(self.session_key(notice), None)
        messages.success(request, message)
        return redirect("notice-detail", pk=notice.pk)

    def perform(self, notice, data: dict) -> str:
        user = self.request.user
        match self.spec.slug:
            case "submit":
                services.notice_submit(notice=notice, user=user)
                return f"通知 {notice.number} の承認を依頼しました。別の監督者の承認を待っています。"
            case "approve":
                services.notice_approve(notice=notice, user=user, note=data.get("note", ""))
                return f"通知 {notice.number} を承認しました。通知書（PDF）を印刷して送付してください。"
            case "reject":
                services.notice_reject(notice=notice, user=user, reason=data["reason"])
                return f"通知 {notice.number} を却下しました。"
            case "withdraw":
                services.notice_withdraw(notice=notice, user=user, reason=data["reason"])
                return f"通知 {notice.number} を取り下げました。"
            case "sent":
                services.notice_record_sent(
                    notice=notice,
                    user=user,
                    sent_on=data["sent_on"],
                    method=data["sent_method"],
                    note=data["note"],
                )
                return f"通知 {notice.number} の送付を記録しました。"
        raise Http404

    def show(self, notice, form):
        _log(self.request, f"notice_{self.spec.slug}_page", [notice.resident_id])
        context = self.context(
            notice,
            form=form,
            items=self.items(notice, form),
            has_input=self.spec.form_class is not forms.NoInputForm,
            button_class="button--danger" if self.spec.danger else "",
        )
        return render(self.request, "enrollment/notices/confirm.html", context)


# Files -----------------------------------------------------------------------------------------------


class NoticePdfView(AnyNoticePermissionMixin, View):
    """The approved notice form, exactly as approved (stored at approval); shown in the browser."""

    def get(self, request, pk: int):
        notice = _notice_or_404(request.user, pk)
        if not notice.pdf:
            return self.preview(request, notice)
        log_export(
            request,
            action="notice_pdf",
            purpose=Purpose.IMMIGRATION_NOTICE,
            object_type="resident",
            ids=[notice.resident_id],
            sha256=notice.pdf_sha256,
        )
        response = FileResponse(
            notice.pdf.open("rb"),
            content_type="application/pdf",
            filename=f"immigration-notice-{notice.number}.pdf",
        )
        response["Content-Disposition"] = f'inline; filename="immigration-notice-{notice.number}.pdf"'
        return response

    def preview(self, request, notice: ImmigrationNotice):
        """Before approval: the form as it would be, marked 見本, rendered now and not kept (what the
        approver reads before approving). A closed notice that was never approved has none."""
        from enrollment.notices.pdf import render_notice_pdf

        if notice.state not in (NoticeState.DRAFT, NoticeState.SUBMITTED):
            raise Http404("この通知には通知書がありません。")
        content = render_notice_pdf(notice, today=timezone.localdate(), preview=True)
        log_export(
            request,
            action="notice_pdf_preview",
            purpose=Purpose.IMMIGRATION_NOTICE,
            object_type="resident",
            ids=[notice.resident_id],
            content=content,
        )
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="immigration-notice-{notice.number}-preview.pdf"'
        return response


class NoticeDocumentView(AnyNoticePermissionMixin, View):
    """One attached document, downloaded (never shown inline: it is the office's scan)."""

    def get(self, request, pk: int):
        try:
            document = NoticeDocument.objects.select_related("notice").get(
                pk=pk, notice__in=ImmigrationNotice.objects.for_user(request.user)
            )
        except NoticeDocument.DoesNotExist:
            raise Http404 from None
        log_export(
            request,
            action="notice_document",
            purpose=Purpose.IMMIGRATION_NOTICE,
            object_type="resident",
            ids=[document.notice.resident_id],
            sha256=document.sha256,
        )
        return FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=document.original_name,
            content_type=document.content_type or "application/octet-stream",
        )


# The register ----------------------------------------------------------------------------------------


class NoticeWorkListView(AccessLoggedListMixin, PortalPermissionRequiredMixin, View):
    """作業中の通知: the notices not yet sent, withdrawn or rejected, by state — where a clerk finds
    the drafts to finish and the approved notices to send (the full register is for supervisors
    and auditors)."""

    permission_required = DRAFT
    log_action = "list_open_notices"
    log_purpose = Purpose.IMMIGRATION_NOTICE

    def logged_ids(self, rows):
        return [notice.resident_id for notice in rows]

    def get(self, request):
        rows = [_decorate(n) for n in selectors.work_list(user=request.user)]
        self.log_rows(rows)
        groups = [
            (state, label, [n for n in rows if n.state == state])
            for state, label in NoticeState.choices
            if state in selectors.OPEN_NOTICE_STATES
        ]
        return render(
            request,
            "enrollment/notices/work_list.html",
            {"groups": groups, "count": len(rows), "nav_section": "notices"},
        )


class NoticeRegisterView(AccessLoggedListMixin, PortalPermissionRequiredMixin, View):
    """通知の一覧: every notice of the municipality, filtered by fiscal year, state and ground."""

    permission_required = VIEW
    paginate_by = 50
    log_action = "list_notices"
    log_purpose = Purpose.IMMIGRATION_NOTICE

    def logged_ids(self, rows):
        return [notice.resident_id for notice in rows]

    def filtered(self, request):
        user = request.user
        form = forms.RegisterFilterForm(
            request.GET or None,
            years=selectors.register_years(user=user),
            grounds=selectors.grounds_for(user=user, active_only=False),
            states=NoticeState.choices,
        )
        filters = form.cleaned_data if form.is_valid() else {}
        found = selectors.register(
            user=user,
            year=filters.get("year"),
            state=filters.get("state") or "",
            ground=filters.get("ground"),
        )
        return form, found

    def get(self, request):
        form, found = self.filtered(request)
        if form.is_bound and not form.is_valid():
            messages.warning(request, "選んだ条件が一覧にありません。条件を選び直してください。")
        page = self.logged_page(found)
        rows = [_decorate(n) for n in page.object_list]
        query = request.GET.copy()
        query.pop("page", None)
        return render(
            request,
            "enrollment/notices/register.html",
            {
                "form": form,
                "page_obj": page,
                "notices": rows,
                "query": query.urlencode(),
                "counts": selectors.counts_per_year(user=request.user),
                "nav_section": "notices",
            },
        )


REGISTER_HEADER = [
    "番号", "年度", "状態", "住民票コード", "通知の理由", "作成日", "作成者", "承認日", "承認者",
    "送付日", "送付の方法", "却下・取下げの日", "却下・取下げの理由",
]  # fmt: skip


class NoticeRegisterCsvView(NoticeRegisterView):
    """The register as CSV (the same filters): numbers, states, dates and resident codes — no names."""

    def get(self, request):
        _form, found = self.filtered(request)
        out = io.StringIO()
        writer = csvsafe.writer(out, lineterminator="\r\n")
        writer.writerow(REGISTER_HEADER)
        ids = []
        for n in found:
            ids.append(n.resident_id)
            writer.writerow(
                [
                    n.number, n.fiscal_year, n.get_state_display(), n.resident.resident_code,
                    " / ".join(g.label for g in n.grounds.all()),
                    f"{timezone.localtime(n.created_at):%Y-%m-%d}", n.created_by.get_username(),
                    f"{n.issue_date:%Y-%m-%d}" if n.issue_date else "",
                    n.approved_by.get_username() if n.approved_by_id else "",
                    f"{n.sent_on:%Y-%m-%d}" if n.sent_on else "", n.get_sent_method_display(),
                    f"{timezone.localtime(n.closed_at):%Y-%m-%d}" if n.closed_at else "", n.close_reason,
                ]
            )  # fmt: skip
        content = ("\ufeff" + out.getvalue()).encode("utf-8")
        log_export(
            request,
            action="notice_register_csv",
            purpose=Purpose.IMMIGRATION_NOTICE,
            object_type="resident",
            ids=ids,
            content=content,
        )
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="immigration-notices.csv"'
        return response
