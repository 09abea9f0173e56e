"""The one way to show a list of people's data: paginate, then write exactly one access-log
entry with the ids on the page shown (閲覧記録), whatever the list.

- `LoggedListView`: a Django ListView whose page is logged; set `log_action`, `log_purpose`,
  `log_object_type`, and override `present(rows)` (labels for the template) and
  `logged_ids(rows)` (default: the rows' primary keys).
- `AccessLoggedListMixin.logged_page(rows, …)`: the same for pages that build their lists by
  hand (several lists on a page, lists that are not querysets)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.core.paginator import Page, Paginator
from django.views.generic import ListView

from nhi_portal.access import PortalPermissionRequiredMixin
from nhi_portal.audit import log_read


class AccessLoggedListMixin:
    log_action: str = ""
    log_purpose: str = ""
    log_object_type: str = "resident"
    paginate_by: int | None = 25

    def logged_ids(self, rows: Sequence) -> Iterable[int]:
        return [row.pk for row in rows]

    def log_rows(self, rows: Sequence, *, ids: Iterable[int] | None = None) -> None:
        if not self.log_action or not self.log_purpose:
            raise ValueError(f"{type(self).__name__} must declare log_action and log_purpose")
        log_read(
            self.request,
            action=self.log_action,
            purpose=self.log_purpose,
            object_type=self.log_object_type,
            ids=self.logged_ids(rows) if ids is None else ids,
        )

    def logged_page(self, rows, *, per_page: int | None = None, page_param: str = "page") -> Page:
        """One page of `rows` (a queryset or a list), logged."""
        page = Paginator(rows, per_page or self.paginate_by).get_page(self.request.GET.get(page_param))
        page.object_list = list(page.object_list)
        self.log_rows(page.object_list)
        return page


class LoggedListView(AccessLoggedListMixin, PortalPermissionRequiredMixin, ListView):
    """A list page of people's data: the page is presented, then logged once."""

    def present(self, rows: list) -> list:
        return rows

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = self.present(list(context["page_obj"].object_list))
        self.log_rows(rows)
        context["object_list"] = rows
        if self.context_object_name:
            context[self.context_object_name] = rows
        return context
