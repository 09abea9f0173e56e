"""Pages of the shared base: dashboard, job progress, health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_safe
from django.views.generic import DetailView, TemplateView

from nhi_portal import jobs, selectors
from nhi_portal.models import Job


class DashboardView(TemplateView):
    template_name = "portal/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(selectors.dashboard_summary(user=self.request.user))
        return context


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
