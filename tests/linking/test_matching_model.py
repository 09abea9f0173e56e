"""The model behind the decisions, in the database: fitted per run and stored with it, shown on the
explanation, refined by the supervisors' decisions; letters at stake from the register and the NHI
ledger; a record from another municipality matched on its code (issue "Matching that holds on data
we did not make")."""

from datetime import date

import pytest

from enrollment.linking.matcher import fit_run_model, labelled_pairs
from enrollment.linking.review import review_confirm, review_not_resident
from enrollment.models import MatchRun, ResidentStatus
from tests.factories import NhiMembershipFactory
from tests.linking.helpers import decision_of, isa_batch, match, resident

pytestmark = pytest.mark.django_db

OTHER_ROOM = "東京都小金井市本町1丁目2番3号 コーポ本町202"


def test_the_model_is_stored_with_the_run_and_behind_every_weight(municipality):
    resident(municipality)
    batch = isa_batch(municipality, [{}])
    run = match(batch)
    run = MatchRun.objects.get(pk=run.pk)
    assert set(run.model) >= {"params", "prior", "matched_share", "info"}
    assert run.model["info"]["source"] in ("em", "default")
    assert run.thresholds["target_precision"] == 0.9995 and "auto" in run.thresholds
    decision = decision_of(batch)
    assert decision.outcome == "auto_match"
    name = decision.explanation["candidates"][0]["comparisons"][0]
    level = name["level"]
    assert (name["m"], name["u"]) == pytest.approx(tuple(run.model["params"]["name"][level]), rel=1e-3)
    assert decision.explanation["readings"][0]["action"] == "enrollment_letter"


def test_a_supervisors_decision_feeds_the_next_fit(municipality, supervisor):
    first = resident(municipality)
    second = resident(municipality, address=OTHER_ROOM)  # twins in one building: review
    batch = isa_batch(municipality, [{}])
    match(batch)
    decision = decision_of(batch)
    assert decision.outcome == "review"
    assert labelled_pairs(municipality.pk) == ([], [])
    review_confirm(decision=decision, user=supervisor, resident_id=second.pk)
    pairs, labels = labelled_pairs(municipality.pk)
    by_resident = {resident_.key: label for (_, resident_), label in zip(pairs, labels, strict=True)}
    assert by_resident == {str(second.pk): True, str(first.pk): False}
    later = isa_batch(municipality, [{}], month=date(2026, 11, 1))
    run = match(later)
    info = MatchRun.objects.get(pk=run.pk).model["info"]
    assert (info["labelled_matches"], info["labelled_non_matches"]) == (1, 1)


def test_not_resident_makes_every_candidate_a_rejected_pair(municipality, supervisor):
    resident(municipality)
    resident(municipality, address=OTHER_ROOM)
    batch = isa_batch(municipality, [{}])
    match(batch)
    review_not_resident(decision=decision_of(batch), user=supervisor)
    _, labels = labelled_pairs(municipality.pk)
    assert labels == [False, False]
    run = MatchRun.objects.get(batch=batch)
    assert fit_run_model(run).info["labelled_non_matches"] == 2


def test_an_insured_person_is_decided_without_asking_when_no_letter_depends_on_it(municipality):
    # Two people in one building with one name would go to a supervisor — unless the letter does not
    # depend on the answer. Here a birth-date slip and a move make the one candidate uncertain; she
    # is already insured, so whichever reading is right, no enrollment letter goes.
    person = resident(municipality, name_alpha="SITI RAHAYU", sex="F", birth_date=date(1999, 7, 20))
    NhiMembershipFactory(municipality=municipality, resident_code=person.resident_code,
                         household_head_code=person.resident_code)  # fmt: skip
    batch = isa_batch(municipality, [{"name": "SITI RAHAYU", "sex": "F", "birth_date": date(1999, 7, 2),
                                      "address": "東京都小金井市緑町5丁目1番1号"}])  # fmt: skip
    match(batch)
    decision = decision_of(batch)
    assert decision.outcome != "review"
    actions = {r["action_label"] for r in decision.explanation["readings"]}
    assert actions <= {"通知なし（すでに国保に加入）", "通知なし（この市区町村の住民でない）"}


def test_a_record_with_another_municipalitys_code_is_matched_on_it(municipality):
    # The import refuses a code of another municipality (the record is kept, the code cleared); for
    # matching it says the person lives elsewhere: a former resident who moved out is recognised
    # without a supervisor, and the code does not count as an unreadable value.
    gone = resident(municipality, status=ResidentStatus.MOVED_OUT, moved_out_date=date(2026, 5, 31))
    batch = isa_batch(municipality, [{"lg_code": "", "raw_lg_code": "131237", "problem_fields": "lg_code",
                                      "address": "東京都江戸川区船堀2丁目9番22号"}])  # fmt: skip
    match(batch)
    decision = decision_of(batch)
    assert decision.outcome != "review"
    best = decision.explanation["candidates"][0]
    assert best["resident_id"] == str(gone.pk)
    assert {c["field"]: c["level"] for c in best["comparisons"]}["lg_code"] == "moved_away"
    assert decision.explanation["record_problems"] == []
