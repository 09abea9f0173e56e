"""A nightly batch that failed shows on the dashboard with its reason; re-running it is one button
(through a confirm page), for staff allowed to do what it does, once."""

from __future__ import annotations

import pytest
from django.urls import reverse

from nhi_portal import nightly
from nhi_portal.models import ChangeLog, JobStatus, NightlyRun
from tests.conftest import signed_in
from tests.dashboard.helpers import section

pytestmark = pytest.mark.django_db

REASON = "受信フォルダを読めません（共有フォルダが切断されています）"


@pytest.fixture
def failed_run(municipality, monkeypatch):
    """A real run whose inbox step fails; the step works again afterwards (the share is back)."""
    working = nightly._STEPS["inbox"]

    def broken(*, run):
        raise OSError(REASON)

    monkeypatch.setitem(nightly._STEPS, "inbox", nightly.Step("inbox", working.label, working.order, broken))
    run = nightly.nightly_execute(run_id=nightly.nightly_create(municipality=municipality).pk)
    monkeypatch.setitem(nightly._STEPS, "inbox", working)
    assert run.status == JobStatus.FAILED
    return run


def test_the_dashboard_shows_the_failed_run_with_its_reason_and_the_button(failed_run, clerk):
    page = signed_in(clerk).get(reverse("dashboard")).content.decode()
    panel = section(page, "system-h")
    assert f"夜間バッチ #{failed_run.pk} が失敗しました" in panel
    assert "受信フォルダの取込" in panel and REASON in panel
    assert reverse("nightly-rerun", args=[failed_run.pk]) in panel


def test_rerunning_goes_through_a_confirm_page_and_finishes_the_run(
    failed_run, clerk, django_capture_on_commit_callbacks
):
    client = signed_in(clerk)
    url = reverse("nightly-rerun", args=[failed_run.pk])
    confirm = client.get(url).content.decode()
    assert 'method="post"' in confirm and "失敗した工程から再実行する" in confirm and REASON in confirm
    assert NightlyRun.objects.get(pk=failed_run.pk).status == JobStatus.FAILED  # looking changes nothing

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse(
        "job-detail", args=[failed_run.job_id]
    )
    run = NightlyRun.objects.get(pk=failed_run.pk)
    assert run.status == JobStatus.SUCCEEDED and run.error == ""
    assert [s["status"] for s in run.steps] == ["done"] * len(run.steps)
    entry = ChangeLog.objects.get(model="portal.nightlyrun", object_id=str(run.pk))
    assert (entry.user, entry.field, entry.old_value, entry.new_value) == (
        clerk,
        "status",
        "failed",
        "queued",
    )
    page = client.get(reverse("dashboard")).content.decode()
    assert "が失敗しました" not in section(page, "system-h")


def test_a_second_click_does_not_start_it_twice(failed_run, clerk):
    client = signed_in(clerk)
    url = reverse("nightly-rerun", args=[failed_run.pk])
    client.post(url)  # queued (the task would run after the commit)
    again = client.post(url, follow=True)
    assert "失敗の状態ではありません" in again.content.decode()
    assert ChangeLog.objects.filter(model="portal.nightlyrun").count() == 1


@pytest.mark.parametrize(
    ("persona", "status"), [("auditor", 403), ("administrator", 403), ("other_clerk", 404)]
)
def test_rerunning_needs_the_permissions_of_what_it_does(failed_run, request, persona, status):
    client = signed_in(request.getfixturevalue(persona))
    url = reverse("nightly-rerun", args=[failed_run.pk])
    assert client.get(url).status_code == status
    assert client.post(url).status_code == status
    assert NightlyRun.objects.get(pk=failed_run.pk).status == JobStatus.FAILED


def test_the_administrator_sees_the_failure_but_no_button(failed_run, administrator):
    panel = section(signed_in(administrator).get(reverse("dashboard")).content.decode(), "system-h")
    assert REASON in panel
    assert reverse("nightly-rerun", args=[failed_run.pk]) not in panel
    assert "権限を持つ職員が行えます" in panel


def test_the_other_municipality_does_not_see_our_failure(failed_run, other_clerk):
    page = signed_in(other_clerk).get(reverse("dashboard")).content.decode()
    assert REASON not in page and "が失敗しました" not in page
