"""Pages of the shared base: dashboard, the nightly batch's re-run, job progress, health check."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View
from django.views.decorators.http import require_safe
from django.views.generic import DetailView, TemplateView

from nhi_portal import dashboard, jobs, nightly, selectors
from nhi_portal.access import PortalPermissionRequiredMixin
from nhi_portal.models import Job, JobStatus, NightlyRun


class DashboardView(TemplateView):
    """ダッシュボード: the panels the user's roles may see (nhi_portal.dashboard), counts only."""

    template_name = "portal/dashboard.html"

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        return super().get_context_data(
            today=today,
            panels=dashboard.panels_for(user=self.request.user, today=today),
            **kwargs,
        )


class NightlyRerunView(PortalPermissionRequiredMixin, View):
    """Re-run a failed nightly batch from the step that failed: GET shows what will happen (check
    before you act), POST starts it and shows its progress."""

    permission_required = nightly.RERUN_PERMISSIONS

    def load(self, pk: int) -> NightlyRun:
        try:
            return selectors.nightly_run_get(user=self.request.user, pk=pk)
        except NightlyRun.DoesNotExist:
            raise Http404 from None

    def get(self, request, pk: int):
        run = self.load(pk)
        failed = run.failed_step
        items = [
            ("夜間バッチ", f"#{run.pk}（{timezone.localtime(run.created_at):%Y-%m-%d %H:%M} 開始）"),
            ("状態", run.get_status_display()),
            ("失敗した工程", failed.get("label", "—")),
            ("失敗の理由", run.error or "—"),
            ("再実行する工程", "、".join(s["label"] for s in run.steps if s.get("status") != "done") or "—"),
        ]
        return render(
            request,
            "portal/nightly_rerun.html",
            {
                "run": run,
                "items": items,
                "can_rerun": run.status == JobStatus.FAILED,
                "nav_section": "dashboard",
            },
        )

    def post(self, request, pk: int):
        run = self.load(pk)
        try:
            run = nightly.nightly_rerun(run=run, user=request.user)
        except nightly.RerunRefused as refusal:
            messages.error(request, str(refusal))
            return redirect("dashboard")
        messages.success(request, f"夜間バッチ #{run.pk} を失敗した工程から再実行しました。")
        if run.job_id:
            return redirect("job-detail", pk=run.job_id)
        return redirect("dashboard")


class JobDetailView(DetailView):
    template_name = "portal/job_detail.html"
    context_object_name = "job"

    def get_queryset(self):
        return Job.objects.for_user(self.request.user)


class JobProgressView(DetailView):
    """The progress bar's polling target: an HTML fragment for htmx, JSON otherwise."""

    template_name = "components/job_progress.html"
    context_object_name = "job"

    def get_queryset(self):
        return Job.objects.for_user(self.request.user)

    def render_to_response(self, context, **kwargs):
        job = context["job"]
        live = jobs.live_progress(job)
        job.done, job.total, job.message = live["done"], live["total"], live["message"]
        if self.request.htmx:
            return super().render_to_response(context, **kwargs)
        return JsonResponse(
            {
                "status": job.status,
                "percent": job.percent,
                "done": job.done,
                "total": job.total,
                "message": job.message,
                "error": job.error,
                "finished": job.is_finished,
                "result_url": job.result_url,
            }
        )


@login_not_required
@require_safe
def healthz(request):
    """Liveness for load balancers and compose: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
