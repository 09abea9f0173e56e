"""Roles are the four groups with exactly their permissions; imports run on a real Celery worker
through Redis when one is configured (CI)."""

import os
import time

import pytest
from django.contrib.auth.models import Group

from nhi_portal import celery_app
from nhi_portal.intake import services
from nhi_portal.models import BatchSource, BatchStatus, ImportBatch
from nhi_portal.roles import ROLE_PERMISSIONS
from tests.conftest import ON_CI
from tests.intake.builders import isa_bytes


@pytest.mark.django_db
def test_the_four_roles_hold_exactly_their_permissions():
    groups = {
        g.name: {p.codename for p in g.permissions.all()}
        for g in Group.objects.prefetch_related("permissions")
    }
    assert groups == {role: set(perms) for role, perms in ROLE_PERMISSIONS.items()}
    assert "review_matches" not in groups["clerk"] and "review_matches" in groups["supervisor"]
    # Auditors read the access log and the register of notices to the immigration bureau, nothing else.
    assert groups["auditor"] == {"view_access_log", "view_immigration_notices"}
    assert "approve_immigration_notices" not in groups["clerk"]
    assert "approve_immigration_notices" in groups["supervisor"]


@pytest.mark.django_db
def test_a_user_without_a_municipality_can_do_nothing(municipality):
    from tests.factories import UserFactory

    user = UserFactory(username="orphan", municipality=None, role="clerk")
    from nhi_portal.access import has_portal_permission

    assert user.has_perm("portal.view_people")
    assert not has_portal_permission(user, "view_people")


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_an_upload_is_imported_by_a_real_worker_through_redis(municipality):
    if not os.environ.get("CELERY_BROKER_URL"):
        if ON_CI:
            pytest.fail("CI must provide CELERY_BROKER_URL (Redis)")
        pytest.skip("needs Redis (CELERY_BROKER_URL)")
    from celery.contrib.testing.worker import start_worker

    celery_app.conf.task_always_eager = False
    celery_app.control.purge()  # nothing left over from another run
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            received = services.batch_receive(
                municipality=municipality,
                kind="isa",
                filename="via_redis.csv",
                content=isa_bytes(),
                source=BatchSource.API,
            )
            batch = received.batch
            for _ in range(300):
                batch.refresh_from_db()
                if batch.status != BatchStatus.RECEIVED:
                    break
                time.sleep(0.1)
    finally:
        celery_app.conf.task_always_eager = True
    assert ImportBatch.objects.get(pk=batch.pk).status == BatchStatus.IMPORTED
    assert batch.isa_records.count() == 3
