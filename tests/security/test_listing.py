"""The list-page base class (nhi_portal/listing.py): whatever lists a page shows, one read of the
page is one access-log entry naming everyone on it; a page that shows no one writes none when it
says so; a view that forgets its action or purpose fails loudly instead of logging nothing."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from nhi_portal.audit import Purpose
from nhi_portal.listing import AccessLoggedListMixin
from nhi_portal.models import AccessLog
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class _Page(AccessLoggedListMixin):
    log_action = "view_linkage_export"
    log_purpose = Purpose.ARREARS
    paginate_by = 2

    def __init__(self, request):
        self.request = request


def _request(user, query: str = ""):
    request = RequestFactory().get(f"/somewhere/{query}")
    request.user = user
    return request


def test_several_lists_on_a_page_are_one_entry_naming_everyone_shown(municipality):
    page = _Page(_request(UserFactory(municipality=municipality), "?page=2&other_page=1"))
    first = page.page_of([1, 2, 3, 4, 5])
    second = page.page_of([10, 11, 12], page_param="other_page")
    assert first.object_list == [3, 4] and second.object_list == [10, 11]
    page.log_ids(first.object_list, second.object_list)
    entry = AccessLog.objects.get()
    assert entry.object_ids == [3, 4, 10, 11] and entry.person_count == 4
    assert entry.action == "view_linkage_export" and entry.object_type == "resident"


def test_a_page_showing_no_one_writes_no_entry_only_when_it_says_so(municipality):
    page = _Page(_request(UserFactory(municipality=municipality)))
    page.log_ids([], action="view_import_issues", object_type="import_issue", skip_empty=True)
    assert not AccessLog.objects.exists()
    page.log_ids([])
    assert AccessLog.objects.get().object_ids == []


def test_a_view_without_action_or_purpose_refuses_to_log(municipality):
    page = _Page(_request(UserFactory(municipality=municipality)))
    page.log_purpose = ""
    with pytest.raises(ValueError, match="log_action and log_purpose"):
        page.log_ids([1, 2])
