"""The municipality wall fails closed (issue 17): a query on a municipality-owned model outside a
municipality scope raises; a page or API call sees only its user's municipality even where the
code forgot `for_user`; the one escape hatch (`unscoped`) is named and logged."""

from __future__ import annotations

import logging
from contextlib import contextmanager

import pytest
from django.apps import apps
from django.http import HttpResponse
from django.test import RequestFactory

from nhi_portal import scoping
from nhi_portal.middleware import MunicipalityScopeMiddleware
from nhi_portal.scoping import ScopeError, municipality_scope, unscoped
from tests.factories import ResidentFactory
from tests.linking.helpers import isa_batch

pytestmark = pytest.mark.django_db

# The one model with a `municipality` outside the wall, and why.
EXEMPT = {
    # Staff accounts are the principal the scope is read from: sign-in must find a user before
    # any scope exists. Pages and the admin reach users through for_user / the admin's own scope.
    "portal.User",
}


def owned_models():
    found = []
    for model in apps.get_models():
        if any(f.name == "municipality" for f in model._meta.get_fields()):
            found.append(model)
    return found


@contextmanager
def no_scope():
    """What code outside a request, a worker, a command or the tests' hatch gets."""
    token = scoping._current.set(None)
    try:
        yield
    finally:
        scoping._current.reset(token)


def test_the_list_of_municipality_owned_models_is_complete_and_known():
    labels = {m._meta.label for m in owned_models()}
    # A new model with a `municipality` shows up here and must be walled (or argued into EXEMPT).
    assert {
        "portal.Job", "portal.AccessLog", "portal.ImportBatch", "portal.NightlyRun", "portal.ChangeLog",
        "portal.SecurityEvent", "portal.RetentionPurge", "enrollment.Resident", "enrollment.NhiMembership",
        "enrollment.IsaRecord", "enrollment.ResidentFeatures", "enrollment.ResidentMatchKey",
        "enrollment.MatchRun", "enrollment.MatchDecision", "enrollment.MatchEvent", "enrollment.RememberedLink",
        "enrollment.ReminderCase", "enrollment.CaseIntake", "enrollment.CaseEvent", "enrollment.Letter",
        "enrollment.PrintBatch", "enrollment.ExOfficioExport", "receipts.Assessment", "receipts.Payment",
        "receipts.PaymentStatement", "arrears.InstalmentAgreement", "arrears.LinkageExport",
    } <= labels  # fmt: skip


@pytest.mark.parametrize("model", owned_models(), ids=lambda m: m._meta.label)
def test_every_municipality_owned_model_refuses_a_query_outside_a_scope(model, municipality):
    if model._meta.label in EXEMPT:
        pytest.skip("exempt: the principal the scope is read from")
    assert scoping.is_walled(model), f"{model._meta.label}: objects = ScopedQuerySet.as_manager()"
    with no_scope():
        for query in (
            lambda: model.objects.all(),
            lambda: model.objects.count(),
            lambda: model.objects.filter(pk=1).exists(),
            lambda: list(model.objects.values_list("pk")),
        ):
            with pytest.raises(ScopeError, match=model._meta.label):
                query()
        # The one way to say which municipality is always allowed, and filters.
        explicit = str(model.objects.for_municipality(municipality.pk).query)
        assert f'"municipality_id" = {municipality.pk}' in explicit
    with municipality_scope(municipality.pk):
        assert f'"municipality_id" = {municipality.pk}' in str(model.objects.all().query)
    with unscoped("test: every municipality"):
        assert '"municipality_id" =' not in str(model.objects.all().query)


def test_inside_a_scope_only_that_municipality_is_seen_even_by_a_bare_query(
    municipality, other_municipality, clerk
):
    mine = ResidentFactory(municipality=municipality)
    theirs = ResidentFactory(municipality=other_municipality)
    with municipality_scope(municipality.pk):
        assert set(type(mine).objects.values_list("pk", flat=True)) == {mine.pk}
        assert not type(mine).objects.filter(pk=theirs.pk).exists()
        # for_municipality narrows, never widens: another municipality stays out of reach.
        assert not type(mine).objects.for_municipality(other_municipality.pk).exists()
    with municipality_scope(None):
        assert not type(mine).objects.exists()
    batch = isa_batch(municipality, [{}])
    with no_scope():
        # Outside a scope, for_user works on its own; a related manager is walled too, and
        # for_user through it keeps the relation's own filter.
        assert list(type(mine).objects.for_user(clerk).values_list("pk", flat=True)) == [mine.pk]
        with pytest.raises(ScopeError):
            list(batch.isa_records.all())
        assert batch.isa_records.for_user(clerk).count() == 1


def test_a_request_sees_only_its_users_municipality_where_the_view_forgot_for_user(
    municipality, other_municipality, clerk, other_clerk
):
    theirs = ResidentFactory(municipality=other_municipality)
    model = type(theirs)

    def careless_view(request):
        # No for_user: the wall must hold anyway.
        return HttpResponse(str(model.objects.filter(pk=theirs.pk).count()))

    handler = MunicipalityScopeMiddleware(careless_view)
    with no_scope():
        for user, expected in ((clerk, b"0"), (other_clerk, b"1")):
            request = RequestFactory().get("/people/")
            request.user = user
            assert handler(request).content == expected
        from django.contrib.auth.models import AnonymousUser

        request = RequestFactory().get("/people/")
        request.user = AnonymousUser()
        assert handler(request).content == b"0"


def test_the_escape_hatch_is_named_and_logged(municipality, caplog):
    ResidentFactory(municipality=municipality)
    with no_scope(), caplog.at_level(logging.INFO, logger="nhi_portal.scoping"):
        with unscoped("nightly batch 小金井市"):
            assert ResidentFactory._meta.model.objects.count() == 1
    assert "municipality wall opened: nightly batch 小金井市" in caplog.text
    with pytest.raises(ValueError):
        unscoped("")


def test_a_worker_task_runs_through_the_hatch_named_after_it(municipality, caplog):
    from celery import shared_task

    from nhi_portal.celery import PortalTask

    @shared_task(name="tests.count_residents")
    def count_residents():
        return ResidentFactory._meta.model.objects.count()

    ResidentFactory(municipality=municipality)
    assert isinstance(count_residents, PortalTask)
    with no_scope(), caplog.at_level(logging.INFO, logger="nhi_portal.scoping"):
        assert count_residents() == 1
    assert "municipality wall opened: task tests.count_residents" in caplog.text
    # Run eagerly inside a request's scope, a task keeps that scope.
    with municipality_scope(None):
        assert count_residents() == 0
