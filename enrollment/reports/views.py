"""The supervisor page (監督者の画面: review-queue age, approvals waiting, each member of staff's
workload — counts only) and the ISA month diff (people's records: access-logged like every list)."""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from django.views.generic import TemplateView

from enrollment.notices import selectors as notice_selectors
from enrollment.reports import isa_diff, selectors
from nhi_portal.access import PortalPermissionRequiredMixin
from nhi_portal.audit import Purpose
from nhi_portal.listing import AccessLoggedListMixin


class SupervisorView(PortalPermissionRequiredMixin, TemplateView):
    permission_required = "review_matches"
    template_name = "enrollment/supervisor.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        today = timezone.localdate()
        return super().get_context_data(
            today=today,
            ageing=selectors.review_ageing(user=user, today=today, reasons=True),
            approvals=selectors.approvals_waiting(user=user),
            workload=selectors.workload(user=user, today=today),
            notice_counts=notice_selectors.counts_per_year(user=user),
            notices_waiting=notice_selectors.waiting_for_approval(user=user),
            nav_section="supervisor",
            **kwargs,
        )


def _month_of(text: str, held: list[date]) -> date | None:
    """The month asked for (YYYY-MM) if ISA data of it is held, else None."""
    try:
        year, number = (int(x) for x in text.strip().replace("/", "-").split("-", 1))
        month = date(year, number, 1)
    except ValueError:
        return None
    return month if month in held else None


class IsaMonthDiffView(AccessLoggedListMixin, PortalPermissionRequiredMixin, TemplateView):
    """ISAデータの月次差分: a month's records in three sections — new, seen before unchanged, and
    changed (address, municipality code or annex) — each a paged table. One access-log entry with
    the records shown (this month's and, for comparison, the earlier ones)."""

    permission_required = "view_people"
    template_name = "enrollment/isa_month_diff.html"
    paginate_by = 50
    log_action = "view_isa_month_diff"
    log_purpose = Purpose.ENROLLMENT
    log_object_type = "isa_record"

    def get_context_data(self, **kwargs):
        request, user = self.request, self.request.user
        held = selectors.isa_months(user=user)
        asked = request.GET.get("month", "")
        month = _month_of(asked, held) if asked else None
        unknown_month = bool(asked) and month is None
        month = month or (held[0] if held else None)
        section = request.GET.get("section", isa_diff.NEW)
        if section not in isa_diff.SECTIONS:
            section = isa_diff.NEW
        context = {
            "held": held,
            "month": month,
            "unknown_month": unknown_month,
            "section": section,
            "section_label": isa_diff.SECTIONS[section],
            "nav_section": "imports",
        }
        if month is None:
            return super().get_context_data(**context, **kwargs)
        diff = isa_diff.month_diff(user=user, month=month)
        page_obj = self.page_of(isa_diff.section_records(user=user, month=month, section=section))
        records = page_obj.object_list
        earlier = (
            {}
            if section == isa_diff.NEW
            else isa_diff.earlier_records(user=user, month=month, records=records)
        )
        for record in records:
            record.earlier = earlier.get(record.pk)
        self.log_ids([r.pk for r in records], [e.pk for found in earlier.values() for e in found.records])
        return super().get_context_data(**context, diff=diff, page_obj=page_obj, records=records, **kwargs)
