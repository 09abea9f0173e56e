"""Matching in the database: each kind of difference, the always-review rules, former residents,
remembered decisions, crash resumption without duplicates, and the export."""

import csv
import io
from datetime import date

import pytest
from django.core.management import call_command

from enrollment.linking import runs
from enrollment.linking.review import review_confirm
from enrollment.models import MatchChunk, MatchDecision, MatchEvent, MatchRun, ResidentStatus
from nhi_portal.models import Job, JobStatus
from tests.linking.helpers import decision_of, export_matches, isa_batch, match, resident

pytestmark = pytest.mark.django_db

REGISTER_NAME = "NGUYEN VAN AN"


@pytest.mark.parametrize(
    "isa_name",
    [
        "NGUYEN VAN AN",  # exact
        "AN NGUYEN VAN",  # order swapped
        "NGUYEN, VAN AN",  # comma form
        "NGUYENVAN AN",  # spacing
        "NGUYỄN VĂN AN",  # diacritics
        "ＮＧＵＹＥＮ ＶＡＮ ＡＮ",  # full width
        "nguyen van an",  # case
    ],
)
def test_name_notation_differences_still_auto_match(municipality, isa_name):
    person = resident(municipality, name_alpha=REGISTER_NAME)
    resident(municipality, name_alpha="TRAN THI BINH", sex="F", birth_date=date(2000, 1, 5))
    batch = isa_batch(municipality, [{"name": isa_name}])
    match(batch)
    decision = decision_of(batch)
    assert (decision.outcome, decision.resident_id, decision.linked_resident_id) == (
        "auto_match",
        person.pk,
        person.pk,
    )
    assert decision.status == "linked"


def test_missing_middle_name_and_address_notation(municipality):
    person = resident(municipality, name_alpha="SANTOS MARIA CRUZ", sex="F", birth_date=date(1995, 3, 9),
                      address="東京都小金井市本町1丁目2番3号 コーポ本町101")  # fmt: skip
    batch = isa_batch(municipality, [{"name": "SANTOS MARIA", "sex": "F", "birth_date": date(1995, 3, 9),
                                      "address": "小金井市本町一丁目2-3"}])  # fmt: skip
    match(batch)
    assert decision_of(batch).linked_resident_id == person.pk


def test_a_wrong_birth_date_does_not_lose_the_person(municipality):
    person = resident(municipality, name_alpha="SITI RAHAYU", sex="F", birth_date=date(1999, 7, 20),
                      address="東京都小金井市前原町3丁目1番5号")  # fmt: skip
    batch = isa_batch(municipality, [{"name": "SITI RAHAYU", "sex": "F", "birth_date": date(1999, 7, 2),
                                      "address": "東京都小金井市前原町3丁目1番5号"}])  # fmt: skip
    match(batch)
    decision = decision_of(batch)
    assert decision.resident_id == person.pk  # found, even if not trusted for an automatic link
    assert decision.outcome in ("auto_match", "review")


def test_different_people_with_the_same_name_birth_date_and_sex_always_go_to_review(municipality):
    # Doppelgängers: the same name, birth date and sex at the same address (another room).
    first = resident(municipality)
    second = resident(municipality, address="東京都小金井市本町1丁目2番3号 コーポ本町202")
    batch = isa_batch(municipality, [{}])
    match(batch)
    decision = decision_of(batch)
    assert decision.outcome == "review"
    assert "same_name_dob_sex" in [r["code"] for r in decision.explanation["reasons"]]
    shown = {int(c["resident_id"]) for c in decision.explanation["candidates"]}
    assert {first.pk, second.pk} <= shown
    assert decision.status == "pending_review" and decision.linked_resident_id is None


def test_a_problem_in_a_matching_field_leaves_it_without_evidence(municipality):
    # An impossible birth date is stored empty: it says nothing either way, and the other fields
    # (name, sex, address to the room) decide; the explanation still names the problem.
    person = resident(municipality)
    batch = isa_batch(
        municipality, [{"birth_date": None, "raw_birth_date": "20000230", "problem_fields": "birth_date"}]
    )
    match(batch)
    decision = decision_of(batch)
    assert (decision.outcome, decision.linked_resident_id) == ("auto_match", person.pk)
    assert decision.explanation["record_problems"] == [{"field": "birth_date", "label": "生年月日"}]


def test_former_residents_are_recognised_not_taken_for_strangers(municipality):
    person = resident(municipality, status=ResidentStatus.LEFT_JAPAN, moved_out_date=date(2026, 5, 31))
    batch = isa_batch(municipality, [{}])
    match(batch)
    decision = decision_of(batch)
    assert decision.outcome == "auto_match"
    assert decision.linked_resident_id == person.pk
    assert decision.former_resident is True


def test_someone_not_in_the_register_is_no_match(municipality):
    resident(municipality)
    batch = isa_batch(municipality, [{"name": "BUDI SANTOSO", "birth_date": date(1990, 12, 1)}])
    match(batch)
    decision = decision_of(batch)
    assert (decision.outcome, decision.status, decision.linked_resident_id) == (
        "no_match",
        "not_resident",
        None,
    )


def test_every_decision_explains_each_field(municipality):
    resident(municipality)
    batch = isa_batch(municipality, [{}])
    match(batch)
    best = decision_of(batch).explanation["candidates"][0]
    fields = {c["field"] for c in best["comparisons"]}
    assert {"name", "birth_date", "sex", "address"} <= fields
    for comparison in best["comparisons"]:
        assert {"record_value", "resident_value", "level", "weight"} <= set(comparison)


def test_a_decision_is_remembered_for_the_next_month(municipality, supervisor):
    person = resident(municipality, name_alpha="AUNG KYAW MOE", birth_date=date(1997, 2, 2))
    # only one name token shared, and another address: review the first time
    first = isa_batch(
        municipality,
        [
            {
                "name": "AUNG MIN THU",
                "birth_date": date(1997, 2, 2),
                "address": "東京都小金井市東町9丁目9番9号",
            }
        ],
    )
    match(first)
    decision = decision_of(first)
    assert decision.outcome == "review"
    review_confirm(decision=decision, user=supervisor, resident_id=person.pk, note="在留カードで確認")
    # the same person in next month's file links without review, saying why
    later = isa_batch(municipality, [{"name": "AUNG MIN THU", "birth_date": date(1997, 2, 2), "address": "東京都小金井市東町9丁目9番9号"}],
                      month=date(2026, 11, 1))  # fmt: skip
    match(later)
    again = decision_of(later)
    assert (again.outcome, again.reason, again.remembered, again.linked_resident_id) == (
        "auto_match",
        "remembered",
        True,
        person.pk,
    )
    assert "以前に監督者が照合した人" in again.explanation["reason_label"]
    assert MatchEvent.objects.filter(decision=again, action="remembered").exists()


def test_a_remembered_decision_does_not_override_twins(municipality, supervisor):
    person = resident(municipality)
    first = isa_batch(municipality, [{"address": "東京都小金井市東町9丁目9番9号"}])
    match(first)
    decision = decision_of(first)
    if decision.outcome == "review":
        review_confirm(decision=decision, user=supervisor, resident_id=person.pk)
    else:
        from enrollment.linking.review import review_overturn

        review_overturn(decision=decision, user=supervisor, reason="確認のため", resident=None)
        from enrollment.models import RememberedLink

        RememberedLink.objects.create(municipality=municipality, identity_key="x", resident=person)
    resident(
        municipality, address="東京都小金井市本町1丁目2番3号 コーポ本町202"
    )  # a second person with the same identity moves into the same building
    later = isa_batch(municipality, [{}], month=date(2026, 11, 1))
    match(later)
    assert decision_of(later).outcome == "review"


def test_a_crash_in_the_middle_resumes_without_duplicates(municipality, monkeypatch):
    names = ["TRAN THI BINH", "LE VAN CUONG", "PHAM THI DUNG", "HOANG VAN EM", "BUI THI GIANG", "DO VAN HAI"]
    for n, name in enumerate(names):
        resident(municipality, name_alpha=name, birth_date=date(1990 + n, n + 1, 10 + n))
    batch = isa_batch(
        municipality,
        [{"name": name, "birth_date": date(1990 + n, n + 1, 10 + n)} for n, name in enumerate(names)],
    )
    monkeypatch.setattr(runs, "MATCH_CHUNK", 2)
    real = runs.match_rows
    calls = []

    def crash_on_second_chunk(run, lo, hi):
        calls.append(lo)
        if len(calls) == 2:
            raise OSError("worker killed")
        return real(run, lo, hi)

    monkeypatch.setattr(runs, "match_rows", crash_on_second_chunk)
    run = runs.match_start(batch=batch, dispatch=False)
    with pytest.raises(OSError):
        runs.run_inline(run)
    assert MatchDecision.objects.filter(batch=batch).count() == 2  # only the first chunk's, all of it
    assert MatchChunk.objects.filter(run=run, kind="match", done=True).count() == 1

    run = runs.match_start(batch=batch, dispatch=False)  # resume
    run = runs.run_inline(run)
    assert run.status == JobStatus.SUCCEEDED
    assert MatchDecision.objects.filter(batch=batch).count() == 6
    assert sorted(
        MatchDecision.objects.filter(batch=batch).values_list("isa_record__row_number", flat=True)
    ) == [1, 2, 3, 4, 5, 6]
    # a chunk delivered again after it was done changes nothing
    chunk = MatchChunk.objects.filter(run=run, kind="match").first()
    assert runs.chunk_execute(chunk.pk) is False
    assert MatchDecision.objects.filter(batch=batch).count() == 6
    assert run.counts["auto_match"] == 6


def test_matching_a_batch_twice_changes_nothing(municipality):
    resident(municipality)
    batch = isa_batch(municipality, [{}])
    first = match(batch)
    second = runs.match_start(batch=batch, dispatch=False)
    assert second.pk == first.pk and MatchRun.objects.count() == 1
    assert MatchDecision.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_matching_without_a_broker_leaves_its_job_finished(municipality):
    """Eager Celery (the demo): the chunks run when match_start's transaction commits. The job must
    not be set back to "running" afterwards, or its progress bar would poll for ever."""
    resident(municipality)
    batch = isa_batch(municipality, [{}])
    run = runs.match_start(batch=batch)
    run.refresh_from_db()
    job = Job.objects.get(pk=run.job_id)
    assert (run.status, job.status) == (JobStatus.SUCCEEDED, JobStatus.SUCCEEDED)
    assert job.finished_at is not None and job.message.startswith("突合が完了しました")


def test_export_matches_writes_the_documented_columns(municipality, supervisor, tmp_path):
    person = resident(municipality)
    batch = isa_batch(municipality, [{}, {"name": "BUDI SANTOSO", "birth_date": date(1990, 12, 1)}])
    match(batch)
    out = tmp_path / "pred.csv"
    export_matches(batch, out, user=supervisor)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0]) == ["source_file", "row_number", "resident_code", "decision", "score"]
    assert [(r["row_number"], r["resident_code"], r["decision"]) for r in rows] == [
        ("1", person.resident_code, "auto_match"),
        ("2", "", "no_match"),
    ]
    assert float(rows[0]["score"]) > 20


def test_match_batch_command_reports_counts(municipality):
    resident(municipality)
    batch = isa_batch(municipality, [{}])
    out = io.StringIO()
    call_command("match_batch", str(batch.pk), stdout=out)
    assert "自動照合 1" in out.getvalue()
