"""Import pages: the batch list, upload, the batch report, acknowledging a batch's problems,
starting the matching of an ISA batch or a pension list, and opening its cases."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from enrollment import selectors
from enrollment.cases import selectors as case_selectors
from enrollment.cases.services import cases_open
from enrollment.intake.filters import BatchFilter
from enrollment.intake.forms import UploadForm
from enrollment.linking import runs
from nhi_portal.access import PortalPermissionRequiredMixin
from nhi_portal.audit import Purpose
from nhi_portal.intake import services
from nhi_portal.listing import AccessLoggedListMixin
from nhi_portal.models import BatchSource, ImportBatch, ImportKind, JobStatus


class BatchListView(PortalPermissionRequiredMixin, ListView):
    permission_required = "import_files"
    template_name = "enrollment/batch_list.html"
    paginate_by = 25
    context_object_name = "batches"

    def get_queryset(self):
        self.filterset = BatchFilter(
            self.request.GET or None, queryset=selectors.batch_list(user=self.request.user)
        )
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        return super().get_context_data(filter=self.filterset, **kwargs)


class UploadView(PortalPermissionRequiredMixin, FormView):
    permission_required = "import_files"
    http_method_names = ["get", "post"]
    template_name = "enrollment/upload.html"
    form_class = UploadForm

    def form_valid(self, form):
        data = form.cleaned_data
        results = []
        for uploaded in data["files"]:
            results.append(
                services.batch_receive(
                    municipality=self.request.user.municipality,
                    kind=data["kind"],
                    filename=uploaded.name,
                    content=uploaded,
                    source=BatchSource.UPLOAD,
                    user=self.request.user,
                    mode=data["mode"],
                    annex=int(data["annex"]) if data.get("annex") else None,
                    data_month=data.get("data_month"),
                )
            )
        for received in results:
            level = messages.INFO if received.duplicate else messages.SUCCESS
            messages.add_message(self.request, level, received.message)
        if len(results) == 1:
            return redirect("batch-detail", pk=results[0].batch.pk)
        return redirect(reverse("batch-list"))


class BatchDetailView(AccessLoggedListMixin, PortalPermissionRequiredMixin, TemplateView):
    """The batch report: what was received, what was read, every problem with its line. The
    records and the problems shown (they quote cells of the file: personal data) are logged as
    one read of the page."""

    permission_required = "import_files"
    template_name = "enrollment/batch_detail.html"
    paginate_by = 50
    log_action = "view_isa_records"
    log_purpose = Purpose.IMPORT_CHECK
    log_object_type = "isa_record"

    def get_context_data(self, **kwargs):
        user = self.request.user
        try:
            batch = selectors.batch_get(user=user, pk=self.kwargs["pk"])
        except ImportBatch.DoesNotExist:
            raise Http404 from None
        issues = self.page_of(selectors.batch_issues(batch=batch), page_param="issues_page")
        context = super().get_context_data(batch=batch, issues=issues, **kwargs)
        shown_issues = [i.pk for i in issues]
        context["matchable"] = batch.kind in runs.MATCHED_KINDS and batch.has_landed
        context["is_pension"] = batch.kind != ImportKind.ISA
        if context["matchable"]:
            records = self.page_of(batch.isa_records.select_related("decision").order_by("row_number"))
            context["records"] = records
            context["match_run"] = selectors.match_run_for_batch(batch=batch)
            if context["match_run"] and context["match_run"].status == JobStatus.SUCCEEDED:
                context["case_summary"] = case_selectors.batch_case_summary(batch=batch)
            if batch.data_month:
                context["review_query"] = f"?month={batch.data_month:%Y-%m}"
            self.log_ids(
                [r.pk for r in records],
                shown_issues,
                object_type="isa_record+import_issue" if shown_issues else "isa_record",
            )
        else:
            self.log_ids(
                shown_issues, action="view_import_issues", object_type="import_issue", skip_empty=True
            )
        return context


class BatchAcknowledgeView(PortalPermissionRequiredMixin, View):
    permission_required = "import_files"

    def post(self, request, pk: int):
        try:
            batch = selectors.batch_get(user=request.user, pk=pk)
        except ImportBatch.DoesNotExist:
            raise Http404 from None
        services.batch_acknowledge(batch=batch, user=request.user)
        messages.success(request, f"取込番号 {batch.pk} の指摘を確認済みにしました。")
        return redirect("batch-detail", pk=batch.pk)


class BatchRetryView(PortalPermissionRequiredMixin, View):
    permission_required = "import_files"

    def post(self, request, pk: int):
        try:
            batch = selectors.batch_get(user=request.user, pk=pk)
        except ImportBatch.DoesNotExist:
            raise Http404 from None
        services.batch_retry(batch=batch)
        messages.info(request, f"取込番号 {batch.pk} を再実行します。")
        return redirect("batch-detail", pk=batch.pk)


class BatchMatchView(PortalPermissionRequiredMixin, View):
    """突合を開始: match an ISA batch to the register (on the workers; eager in the demo)."""

    permission_required = "run_matching"

    def post(self, request, pk: int):
        try:
            batch = selectors.batch_get(user=request.user, pk=pk)
        except ImportBatch.DoesNotExist:
            raise Http404 from None
        try:
            run = runs.match_start(batch=batch, user=request.user)
        except runs.NotMatchable as refusal:
            messages.error(request, str(refusal))
        else:
            run.refresh_from_db()
            if run.status == JobStatus.SUCCEEDED:
                messages.success(
                    request,
                    f"取込番号 {batch.pk} の突合が完了しました。次に「ケースを作成する」で、照合できた記録の"
                    "ケースと通知書を用意してください。",
                )
            else:
                messages.info(request, f"取込番号 {batch.pk} の突合を開始しました。")
        return redirect("batch-detail", pk=batch.pk)


class BatchOpenCasesView(PortalPermissionRequiredMixin, View):
    """ケースを作成: take the batch's decided records into cases now (the nightly batch does the
    same for every batch), so the clerk who matched from the browser need not wait for the night."""

    permission_required = "work_cases"

    def post(self, request, pk: int):
        try:
            batch = selectors.batch_get(user=request.user, pk=pk)
        except ImportBatch.DoesNotExist:
            raise Http404 from None
        run = selectors.match_run_for_batch(batch=batch)
        if run is None or run.status != JobStatus.SUCCEEDED:
            messages.error(
                request, "突合が終わっていないため、ケースを作成できません。先に突合を完了させてください。"
            )
            return redirect("batch-detail", pk=batch.pk)
        counts = cases_open(municipality=batch.municipality, batch=batch)
        skipped = sum(n for key, n in counts.items() if key.startswith("skipped"))
        if not counts:
            messages.info(request, f"取込番号 {batch.pk} に、新しくケースにする記録はありません。")
        else:
            messages.success(
                request,
                f"取込番号 {batch.pk}：ケースを{counts.get('opened', 0)}件作成、既存のケースに"
                f"{counts.get('attached', 0)}件追加、ケース不要 {skipped}件。作成したケースの通知書は"
                "「通知書」の印刷待ちに入っています。",
            )
        return redirect("batch-detail", pk=batch.pk)
