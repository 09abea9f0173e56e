"""Review actions: who decided what and when, refusals, overturning an automatic match, and the
wall between municipalities."""

from datetime import date

import pytest

from enrollment import selectors
from enrollment.linking.review import (
    ReviewRefused,
    review_choose,
    review_confirm,
    review_not_resident,
    review_overturn,
)
from enrollment.models import MatchDecision, MatchEvent, RememberedLink
from tests.factories import ResidentFactory
from tests.linking.helpers import decision_of, isa_batch, match, resident

pytestmark = pytest.mark.django_db


@pytest.fixture
def twins_record(municipality):
    # Twins in one building (same name, birth date and sex; another room): always to a supervisor.
    first = resident(municipality)
    second = resident(municipality, address="東京都小金井市本町1丁目2番3号 コーポ本町202")
    batch = isa_batch(municipality, [{}])
    match(batch)
    return decision_of(batch), first, second


def test_confirm_a_candidate(twins_record, supervisor):
    decision, _, second = twins_record
    review_confirm(decision=decision, user=supervisor, resident_id=second.pk, note="住所で確認")
    decision.refresh_from_db()
    assert (decision.status, decision.linked_resident_id, decision.resolution) == (
        "linked",
        second.pk,
        "confirmed",
    )
    assert decision.resolved_by == supervisor and decision.resolved_at is not None
    event = MatchEvent.objects.get(decision=decision)
    assert (event.actor, event.action, event.resident_after, event.note) == (
        supervisor,
        "confirmed",
        second.pk,
        "住所で確認",
    )


def test_confirm_refuses_someone_who_is_not_a_candidate(twins_record, supervisor, municipality):
    decision, _, _ = twins_record
    stranger = resident(municipality, name_alpha="WANG WEI", birth_date=date(1980, 1, 1))
    with pytest.raises(ReviewRefused, match="候補にありません"):
        review_confirm(decision=decision, user=supervisor, resident_id=stranger.pk)


def test_choose_another_person_found_by_search(twins_record, supervisor, municipality):
    decision, _, _ = twins_record
    other = resident(municipality, name_alpha="NGUYEN VAN ANH", birth_date=date(1998, 4, 21))
    found = list(selectors.resident_search(user=supervisor, q="van anh"))
    assert other in found
    review_choose(decision=decision, user=supervisor, resident=other)
    decision.refresh_from_db()
    assert (decision.linked_resident_id, decision.resolution) == (other.pk, "chosen")


def test_mark_not_resident(twins_record, supervisor):
    decision, _, _ = twins_record
    review_not_resident(decision=decision, user=supervisor, note="市外在住と判明")
    decision.refresh_from_db()
    assert (decision.status, decision.linked_resident_id) == ("not_resident", None)
    with pytest.raises(ReviewRefused, match="審査済み"):
        review_not_resident(decision=decision, user=supervisor)


def test_overturn_an_automatic_match_needs_a_reason(municipality, supervisor):
    person = resident(municipality)
    batch = isa_batch(municipality, [{}])
    match(batch)
    decision = decision_of(batch)
    assert decision.outcome == "auto_match"
    with pytest.raises(ReviewRefused, match="理由"):
        review_overturn(decision=decision, user=supervisor, reason="  ")
    review_overturn(decision=decision, user=supervisor, reason="在留カードの番号が違う")
    decision.refresh_from_db()
    assert (decision.status, decision.resolution, decision.linked_resident_id) == (
        "not_resident",
        "overturned",
        None,
    )
    event = MatchEvent.objects.get(decision=decision)
    assert (event.resident_before, event.resident_after, event.note) == (
        person.pk,
        None,
        "在留カードの番号が違う",
    )
    assert not RememberedLink.objects.exists()


def test_another_municipality_cannot_see_the_queue(twins_record, other_clerk, supervisor):
    decision, _, _ = twins_record
    assert list(selectors.review_queue(user=supervisor)) == [decision]
    assert not selectors.review_queue(user=other_clerk).exists()
    with pytest.raises(MatchDecision.DoesNotExist):
        selectors.decision_get(user=other_clerk, pk=decision.pk)
    other_person = ResidentFactory(
        municipality=other_clerk.municipality, name_alpha="NGUYEN VAN AN", lg_code="131016"
    )
    assert other_person not in selectors.resident_search(user=supervisor, q="NGUYEN")
    with pytest.raises(ReviewRefused):
        review_choose(decision=decision, user=supervisor, resident=other_person)


def test_match_events_cannot_be_changed(twins_record, supervisor):
    decision, first, _ = twins_record
    review_confirm(decision=decision, user=supervisor, resident_id=first.pk)
    event = MatchEvent.objects.get()
    event.note = "changed"
    with pytest.raises(Exception, match="cannot be changed"):
        event.save()
    with pytest.raises(Exception, match="cannot be deleted"):
        event.delete()
