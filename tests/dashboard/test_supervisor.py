"""The supervisor page: how long the review queue has waited, approvals waiting, and each member
of staff's workload — our staff only, counted in a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from enrollment.linking import review
from enrollment.models import CaseEvent, LinkStatus, MatchDecision
from enrollment.reports import selectors
from tests.conftest import signed_in
from tests.dashboard.builders import town
from tests.dashboard.helpers import section, stat, text
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(municipality, other_municipality, clerk, supervisor, other_clerk):
    """Our clerk worked the town's cases; our supervisor decided the twins' record (not resident);
    千代田区's clerk did the same work there."""
    town(municipality, clerk)
    town(other_municipality, other_clerk)
    waiting = MatchDecision.objects.get(municipality=municipality, status=LinkStatus.PENDING_REVIEW)
    review.review_not_resident(decision=waiting, user=supervisor, note="住民ではない")
    return waiting


def test_each_member_of_staffs_workload(office, municipality, clerk, supervisor, other_clerk):
    load = selectors.workload(user=supervisor, today=timezone.localdate())
    rows = {r.user.username: r for r in load.staff}
    assert set(rows) == {"clerk", "supervisor"}  # not 千代田区's staff
    ours = rows["clerk"]
    # letters sent ×4, a reply and the case closed by it, returned mail
    assert (ours.case_actions_week, ours.case_actions_month, ours.responses_month) == (7, 7, 1)
    assert ours.open_cases == 3  # due, overdue, returned: the clerk acted on them last
    assert (rows["supervisor"].reviews_week, rows["supervisor"].reviews_month) == (1, 1)
    assert rows["supervisor"].roles == "監督者" and ours.roles == "担当者"
    assert load.total.case_actions_month == 7 and load.unhandled_open_cases == 0


def test_last_months_and_last_weeks_work_is_not_this_weeks(office, clerk, supervisor):
    today = timezone.localdate()
    long_ago = timezone.now() - timedelta(days=40)  # before this month and this week, whatever the day
    CaseEvent.objects.filter(actor=clerk, action="letter_sent").update(at=long_ago)
    row = {r.user.username: r for r in selectors.workload(user=supervisor, today=today).staff}["clerk"]
    assert row.case_actions_week == 3 and row.case_actions_month == 3


def test_the_page(office, supervisor):
    page = signed_in(supervisor).get(reverse("supervisor-overview")).content.decode()
    staff = section(page, "staff-h")
    assert "<caption>" in staff and 'scope="row"' in staff
    row = staff[staff.index(">clerk<") :]
    assert text(row[: row.index("</tr>")]).split()[-8:] == ["3", "7", "7", "1", "0", "0", "0", "0"]
    queue = section(page, "queue-h")
    assert stat(queue, "審査待ち") == "0件" and stat(queue, "職権喪失の承認待ち") == "0件"
    assert "other_clerk" not in page


def test_only_supervisors(office, clerk, auditor, other_clerk):
    for user in (clerk, auditor, other_clerk):
        assert signed_in(user).get(reverse("supervisor-overview")).status_code == 403


def test_a_fixed_number_of_queries(office, municipality, supervisor, django_assert_num_queries):
    client = signed_in(supervisor)
    client.get(reverse("supervisor-overview"))
    with django_assert_num_queries(7):
        selectors.workload(user=supervisor, today=timezone.localdate())
    for n in range(5):
        UserFactory(username=f"extra{n}", municipality=municipality, role="clerk")
    town(municipality, supervisor, tag="B")
    with django_assert_num_queries(7):
        assert len(selectors.workload(user=supervisor, today=timezone.localdate()).staff) == 7
