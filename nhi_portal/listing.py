"""The one way to show a list of people's data: paginate, then write exactly one access-log
entry with the ids on the page shown (閲覧記録), whatever the list.

- `LoggedListView`: a Django ListView whose page is logged; set `log_action`, `log_purpose`,
  `log_object_type`, and override `present(rows)` (labels for the template) and
  `logged_ids(rows)` (default: the rows' primary keys).
- `AccessLoggedListMixin.logged_page(rows, …)`: the same for pages that build their lists by
  hand (lists that are not querysets).
- `AccessLoggedListMixin.page_of(rows, …)` then `log_ids(ids, more_ids, …)`: a page that shows
  several lists (a batch's records and its problems, a linkage export's flagged and excluded
  lines) pages each list and writes one entry for all of them, as one read of the page."""

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

    def log_ids(
        self,
        *id_lists: Iterable[int],
        action: str | None = None,
        object_type: str | None = None,
        skip_empty: bool = False,
    ) -> None:
        """One access-log entry naming every id of every list shown on the page. `action` and
        `object_type` override the view's for a page whose entry depends on what it shows;
        `skip_empty` writes nothing when the page shows no one."""
        action = action or self.log_action
        if not action or not self.log_purpose:
            raise ValueError(f"{type(self).__name__} must declare log_action and log_purpose")
        ids = [pk for id_list in id_lists for pk in id_list]
        if skip_empty and not ids:
            return
        log_read(
            self.request,
            action=action,
            purpose=self.log_purpose,
            object_type=object_type or self.log_object_type,
            ids=ids,
        )

    def log_rows(self, rows: Sequence, *, ids: Iterable[int] | None = None) -> None:
        self.log_ids(self.logged_ids(rows) if ids is None else ids)

    def page_of(self, rows, *, per_page: int | None = None, page_param: str = "page") -> Page:
        """One page of `rows` (a queryset or a list), its rows fetched, not yet logged: log it
        with `log_rows` or, with the page's other lists, `log_ids`."""
        page = Paginator(rows, per_page or self.paginate_by).get_page(self.request.GET.get(page_param))
        page.object_list = list(page.object_list)
        return page

    def logged_page(self, rows, *, per_page: int | None = None, page_param: str = "page") -> Page:
        """One page of `rows` (a queryset or a list), logged."""
        page = self.page_of(rows, per_page=per_page, page_param=page_param)
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
