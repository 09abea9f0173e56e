"""Letters pages (通知書): what waits to be printed and what is held, print batches (make the PDF
behind a confirm page, download it, mark it sent behind a confirm page), one letter with its
preview, and the envelope test sheet. Views parse input, call one service or read and render;
every response that shows people writes one access-log entry (purpose 通知書)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.csp import CSP
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.views import View
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.generic import TemplateView

from enrollment import presenters
from enrollment.cases import printing, services
from enrollment.cases.deadlines import deadline_for
from enrollment.cases.letters import ReplyRefused, layout, reply_form_record, reply_refusal, sender_for
from enrollment.cases.views import ActionSpec, CaseActionView, CaseConfirmView
from enrollment.letters import LetterError, render_letter, render_test_sheet
from enrollment.letters_web.forms import ReplyForm
from enrollment.models import Letter, LetterStatus, LetterType, PrintBatch
from nhi_portal import jobs
from nhi_portal.access import PortalPermissionRequiredMixin
from nhi_portal.audit import Purpose, log_read
from nhi_portal.listing import AccessLoggedListMixin

PERMISSION = "print_letters"


def _batch_or_404(user, pk: int) -> PrintBatch:
    try:
        return printing.print_batch_get(user=user, pk=pk)
    except PrintBatch.DoesNotExist:
        raise Http404 from None


def _letter_or_404(user, pk: int) -> Letter:
    try:
        return printing.letter_get(user=user, pk=pk)
    except Letter.DoesNotExist:
        raise Http404 from None


def _decorate_batch(batch: PrintBatch) -> PrintBatch:
    batch.number = printing.batch_number(batch)
    batch.label = printing.group_label(batch.kind, batch.second)
    batch.status_tone = presenters.batch_tone(batch.status)
    batch.reprints = max(0, batch.downloads - 1)
    job = batch.job
    if job is not None and not job.is_finished:
        live = jobs.live_progress(job)
        job.done, job.total, job.message = live["done"], live["total"], live["message"]
    return batch


def _log_letters(request, action: str, letters) -> None:
    ids = printing.letter_people(letters)
    if ids:
        log_read(request, action=action, purpose=Purpose.LETTERS, object_type="resident", ids=ids)


def _pdf_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


class LetterListView(AccessLoggedListMixin, PortalPermissionRequiredMixin, TemplateView):
    """通知書: queued letters per kind with a print button each, held letters with their reasons,
    and the recent print batches. The held letters shown name people: logged (the person and the
    head of household each letter is addressed to)."""

    permission_required = PERMISSION
    template_name = "enrollment/letters_list.html"
    paginate_by = 50
    log_action = "letter_list"
    log_purpose = Purpose.LETTERS

    def get_context_data(self, **kwargs):
        user = self.request.user
        held = self.page_of(printing.held_letters(user=user), page_param="held_page")
        batches = self.page_of(printing.print_batches(user=user), per_page=20)
        for batch in batches:
            _decorate_batch(batch)
        self.log_ids(
            printing.letter_people(Letter.objects.filter(pk__in=[lt.pk for lt in held])), skip_empty=True
        )
        return super().get_context_data(
            groups=printing.letter_groups(user=user),
            tallies=printing.letter_tallies(user=user),
            held=held,
            batches=batches,
            today=timezone.localdate(),
            nav_section="letters",
            **kwargs,
        )


class PrintBatchCreateView(PortalPermissionRequiredMixin, View):
    """「印刷用PDFを作る」: GET shows what will be printed, the POST from that page starts it."""

    permission_required = PERMISSION
    template_name = "enrollment/letters_print_confirm.html"

    def group(self, slug: str) -> tuple[str, bool]:
        try:
            return printing.GROUP_SLUGS[slug]
        except KeyError:
            raise Http404 from None

    def get(self, request, group: str):
        kind, second = self.group(group)
        return self.show(kind, second)

    def post(self, request, group: str):
        kind, second = self.group(group)
        try:
            batch = printing.print_batch_create(
                municipality=request.user.municipality, kind=kind, second=second, user=request.user
            )
        except printing.PrintRefused as refusal:
            return self.show(kind, second, refusal=str(refusal), status=409)
        batch.refresh_from_db()  # without a broker (the demo) it has rendered already
        label = printing.group_label(kind, second)
        if batch.status == PrintBatch.Status.READY:
            messages.success(
                request,
                f"{label}の印刷用PDF（{batch.letter_count:,}通、{batch.page_count:,}ページ）ができました。",
            )
        elif batch.status == PrintBatch.Status.FAILED:
            messages.error(request, batch.error)
        else:
            messages.info(request, f"{label}の印刷用PDFを作成しています。この画面で進み具合を確認できます。")
        return redirect("letter-list")

    def show(self, kind: str, second: bool, *, refusal: str = "", status: int = 200):
        user = self.request.user
        today = timezone.localdate()
        queued = printing.queued_count(user=user, kind=kind, second=second)
        label = printing.group_label(kind, second)
        taken = min(queued, printing.MAX_LETTERS)
        if not queued and not refusal:
            refusal = f"印刷待ちの{label}の通知書はありません。"
        items = [
            ("種類", label),
            ("印刷待ちの通知書", f"{queued:,}通"
             + (f"（今回は古いものから{taken:,}通）" if queued > taken else "")),
            ("発行日（印字）", f"{today:%Y-%m-%d}"),
            ("回答期限（印字）", "なし（加入のお知らせ）" if kind == LetterType.WELCOME
             else f"{deadline_for(today, second=second):%Y-%m-%d}"),
            ("並び順", "郵便番号順（先頭に表紙）"),
        ]  # fmt: skip
        return render(
            self.request,
            self.template_name,
            {
                "label": label,
                "items": items,
                "count": taken,
                "refusal": refusal,
                "action_url": self.request.path,
                "cancel_url": reverse("letter-list"),
                "nav_section": "letters",
            },
            status=status,
        )


class SentForm(forms.Form):
    sent_on = forms.DateField(
        label="送付日",
        help_text="郵便局に差し出した日。回答期限はこの日から数えます。",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": "送付日を入力してください。",
            "invalid": "送付日を正しく入力してください（例: 2026-11-02）。",
        },
    )


class PrintBatchSentView(PortalPermissionRequiredMixin, View):
    """「送付済みにする」: GET ?sent_on=… shows what will be recorded; the POST from that page
    (the date travels in the query string) marks the batch sent."""

    permission_required = PERMISSION
    template_name = "enrollment/letters_sent_confirm.html"

    def get(self, request, pk: int):
        batch = _decorate_batch(_batch_or_404(request.user, pk))
        bound = "sent_on" in request.GET
        form = SentForm(request.GET if bound else None, initial={"sent_on": timezone.localdate()})
        return self.show(batch, form, status=400 if bound and not form.is_valid() else 200)

    def post(self, request, pk: int):
        batch = _decorate_batch(_batch_or_404(request.user, pk))
        form = SentForm(request.GET)
        if not form.is_valid():
            return self.show(batch, form, status=400)
        sent_on = form.cleaned_data["sent_on"]
        try:
            count = printing.print_batch_mark_sent(batch=batch, sent_on=sent_on, user=request.user)
        except printing.PrintRefused as refusal:
            batch.refresh_from_db()
            return self.show(batch, form, refusal=str(refusal), status=409)
        messages.success(
            request,
            f"印刷 {batch.number} の{count:,}通を{sent_on:%Y-%m-%d}に送付済みにしました。回答期限を記録しました。",
        )
        return redirect("letter-list")

    def show(self, batch: PrintBatch, form: SentForm, *, refusal: str = "", status: int = 200):
        if not refusal and batch.status != PrintBatch.Status.READY:
            refusal = (
                f"送付済みにできるのは「{PrintBatch.Status.READY.label}」の印刷バッチだけです"
                f"（この印刷バッチは「{batch.get_status_display()}」）。"
            )
        context = {
            "batch": batch,
            "form": form,
            "refusal": refusal,
            "cancel_url": reverse("letter-list"),
            "nav_section": "letters",
        }
        if not refusal and form.is_bound and form.is_valid():
            sent_on = form.cleaned_data["sent_on"]
            check = printing.print_batch_sending(batch=batch, sent_on=sent_on)
            items = [
                ("印刷バッチ", f"{batch.number}（{batch.label}）"),
                ("送付日", f"{sent_on:%Y-%m-%d}"),
                ("送付済みにする通知書", f"{check.letters:,}通"),
            ]
            if check.deadline is not None:
                printed = deadline_for(batch.issue_date, second=batch.second)
                items += [
                    ("記録する回答期限", f"{check.deadline:%Y-%m-%d}（送付日から）"),
                    (
                        "通知書に印字した回答期限",
                        f"{printed:%Y-%m-%d}（発行日 {batch.issue_date:%Y-%m-%d} から）",
                    ),
                ]
            context.update(
                items=items,
                closed=check.closed,
                count=check.letters,
                action_url=f"{self.request.path}?{urlencode({'sent_on': sent_on.isoformat()})}",
            )
        return render(self.request, self.template_name, context, status=status)


class PrintBatchDownloadView(PortalPermissionRequiredMixin, View):
    """The batch PDF as a download. Each download is counted (the second and later are reprints)
    and writes one access-log entry with everyone in the batch."""

    permission_required = PERMISSION

    def get(self, request, pk: int):
        batch = _batch_or_404(request.user, pk)
        if not batch.pdf:
            raise Http404
        try:
            handle = batch.pdf.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        try:
            printing.print_batch_download(batch=batch, request=request)
        except printing.PrintRefused as refusal:
            handle.close()
            messages.error(request, str(refusal))
            return redirect("letter-list")
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=f"letters_{printing.batch_number(batch)}.pdf",
            content_type="application/pdf",
        )
        response["Cache-Control"] = "no-store"
        return response


class LetterDetailView(PortalPermissionRequiredMixin, View):
    """One letter: what is printed on it, its case, its state, and the preview."""

    permission_required = PERMISSION

    def get(self, request, letter_id: int):
        letter = _letter_or_404(request.user, letter_id)
        letter.status_tone = presenters.letter_tone(letter.status)
        letter.label = printing.group_label(letter.kind, letter.second)
        letter.language_label = presenters.language_label(letter.language)
        code = letter.postal_code.replace("-", "")
        letter.postal_display = f"〒{code[:3]}-{code[3:]}" if len(code) == 7 else letter.postal_code
        printed_deadline = None
        if letter.issue_date and letter.kind != LetterType.WELCOME:
            printed_deadline = deadline_for(letter.issue_date, second=letter.second)
        batch = letter.print_batch
        if batch is not None:
            _decorate_batch(batch)
        _log_letters(request, "letter_detail", Letter.objects.filter(pk=letter.pk))
        reply_open = (
            letter.kind == LetterType.WITHDRAWAL
            and letter.status in (LetterStatus.SENT, LetterStatus.RETURNED)
            and not letter.reply_received_on
            and letter.case.is_open
            and request.user.has_perm("portal.work_cases")
        )
        return render(
            request,
            "enrollment/letters_detail.html",
            {
                "letter": letter,
                "reply_open": reply_open,
                "batch": batch,
                "printed_deadline": printed_deadline,
                "nav_section": "letters",
            },
        )


# The preview may be framed by the letter page (same origin) and by nothing else; every other
# response keeps the site's DENY / frame-ancestors 'none'.
_FRAMEABLE_BY_SELF = {**(getattr(settings, "SECURE_CSP", None) or {}), "frame-ancestors": [CSP.SELF]}


@method_decorator([xframe_options_sameorigin, csp_override(_FRAMEABLE_BY_SELF)], name="dispatch")
class LetterPreviewView(PortalPermissionRequiredMixin, View):
    """The letter as PDF, rendered now (as printed, or as it would print today); inline."""

    permission_required = PERMISSION

    def get(self, request, letter_id: int):
        letter = _letter_or_404(request.user, letter_id)
        try:
            pdf = render_letter(printing.letter_content(letter), layout(), sender_for(letter.municipality))
        except LetterError as exc:
            return HttpResponse(
                "この通知書は内容に問題があるため表示できません：" + "／".join(exc.problems),
                content_type="text/plain; charset=utf-8",
                status=409,
            )
        _log_letters(request, "letter_preview", Letter.objects.filter(pk=letter.pk))
        response = _pdf_response(pdf, f"letter_{letter.number}.pdf")
        response["Cache-Control"] = "no-store"
        return response


class TestSheetView(PortalPermissionRequiredMixin, View):
    """The envelope window test sheet: print at actual size, fold, hold against the envelope."""

    permission_required = PERMISSION

    def get(self, request):
        return _pdf_response(render_test_sheet(layout()), "window_test_sheet.pdf")


# The reply form of a withdrawal reminder (返信用紙): the case pages' form → confirm → service
# pattern, on the letter.
REPLY = ActionSpec(
    "reply",
    "返信用紙（資格喪失届）を受け付ける",
    ReplyForm,
    "返信用紙を受け付けてケースを完了にする",
    on_letter=True,
    lead=(
        "返信用紙の内容を記録し、ケースを「資格喪失届を出した」で完了にします。元に戻せません。"
        "このあと基幹系で資格喪失の処理をしてください。"
    ),
)


class _ReplyMixin:
    @property
    def spec(self) -> ActionSpec:
        return REPLY


class ReplyFormView(_ReplyMixin, CaseActionView):
    """返信用紙を受け付ける: what the returned form says (kept when refused). A refusal known
    before any input (not a withdrawal reminder, not sent, already received, case closed) is
    shown on the form, and the form does not go on to the confirm page."""

    def post(self, request, pk: int, letter_id: int | None = None):
        case, letter = self.load(pk, letter_id)
        if refusal := reply_refusal(letter):
            form = self.spec.form_class(request.POST)
            form.is_valid()
            return self.show(case, letter, form, refusal=refusal)
        return super().post(request, pk, letter_id)

    def show(self, case, letter, form, *, refusal: str = ""):
        return super().show(case, letter, form, refusal=refusal or reply_refusal(letter) or "")


class ReplyConfirmView(_ReplyMixin, CaseConfirmView):
    """What will be recorded, one button; refusals (already received, case closed…) shown."""

    def perform(self, case, letter, data: dict) -> str:
        try:
            reply_form_record(
                letter=letter,
                user=self.request.user,
                received_on=data["received_on"],
                insurer=data["insurer"],
                acquired_on=data["acquired_on"],
                insurance_number=data.get("insurance_number", ""),
                employer=data.get("employer", ""),
            )
        except ReplyRefused as refusal:
            raise services.CaseRefused(str(refusal)) from None
        return f"通知書 {letter.number} の返信用紙を受け付け、ケースを完了にしました。基幹系で資格喪失の処理をしてください。"
