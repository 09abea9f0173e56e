"""Case rules and transitions, including every refusal."""

from datetime import date, timedelta

import pytest

from enrollment.cases import services
from enrollment.cases.deadlines import deadline_for
from enrollment.models import (
    CaseIntake,
    CaseState,
    Letter,
    LetterStatus,
    ReminderCase,
    ResidentStatus,
)
from tests.factories import NhiMembershipFactory, ResidentFactory
from tests.linking.helpers import isa_batch, match, resident

pytestmark = pytest.mark.django_db


def open_from(municipality, annex=1, **record):
    batch = isa_batch(municipality, [record], annex=annex)
    match(batch)
    counts = services.cases_open(municipality=municipality)
    return batch, counts


def sent(case, *, on: date, user):
    letters = Letter.objects.filter(case=case, status=LetterStatus.QUEUED)
    letters.update(status=LetterStatus.PRINTED, issue_date=on)  # printed on the day it is sent
    services.letters_mark_sent(
        letters=Letter.objects.filter(case=case, status=LetterStatus.PRINTED), sent_on=on, user=user
    )
    case.refresh_from_db()
    return case


@pytest.mark.parametrize("annex", [1, 2, 3])
def test_an_isa_record_of_someone_not_insured_opens_an_enrollment_case_with_a_letter(municipality, annex):
    person = resident(municipality)
    _, counts = open_from(municipality, annex=annex)
    assert counts == {"opened": 1}
    case = ReminderCase.objects.get()
    assert (case.resident, case.kind, case.state, case.source) == (
        person,
        "enrollment",
        CaseState.LETTER_QUEUED,
        f"isa_{annex}",
    )
    assert case.lost_employee_insurance is (annex == 2)
    letter = case.letters.get()
    assert (letter.status, letter.language, letter.second, letter.ex_officio_notice) == (
        "queued",
        "vi",
        False,
        False,
    )
    assert letter.number.startswith("132101-")


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (ResidentStatus.MOVED_OUT, "moved_out"),
        (ResidentStatus.DIED, "died"),
        (ResidentStatus.LEFT_JAPAN, "left_japan"),
    ],
)
def test_no_case_for_someone_who_left(municipality, status, reason):
    resident(municipality, status=status)
    _, counts = open_from(municipality)
    assert counts == {f"skipped:{reason}": 1}
    assert not ReminderCase.objects.exists()
    assert CaseIntake.objects.get().get_skip_reason_display()


def test_no_case_for_someone_already_insured(municipality):
    person = resident(municipality)
    NhiMembershipFactory(
        municipality=municipality, resident_code=person.resident_code, acquired_date=date(2025, 4, 1)
    )
    _, counts = open_from(municipality)
    assert counts == {"skipped:already_insured": 1}
    assert CaseIntake.objects.get().skip_reason == "already_insured"


def test_a_later_record_attaches_to_the_open_case(municipality):
    resident(municipality)
    open_from(municipality)
    _, counts = open_from(municipality, annex=2)
    assert counts == {"attached": 1}
    case = ReminderCase.objects.get()
    assert case.intakes.count() == 2
    assert case.letters.count() == 1


def test_pension_lists(municipality):
    insured = resident(municipality)
    NhiMembershipFactory(municipality=municipality, resident_code=insured.resident_code)
    other = ResidentFactory(
        municipality=municipality, name_alpha="SITI RAHAYU", sex="F", birth_date=date(1999, 7, 20)
    )
    # lost category-1/3 (joined employee insurance) while in NHI → withdrawal reminder
    _, counts = open_from(municipality, annex=22)
    assert counts == {"opened": 1}
    withdrawal = ReminderCase.objects.get(kind="withdrawal")
    assert withdrawal.resident == insured
    assert withdrawal.letters.get().ex_officio_notice is True
    # lost category-1/3 but not in NHI → nothing to withdraw
    _, counts = open_from(municipality, annex=22, name="SITI RAHAYU", sex="F", birth_date=date(1999, 7, 20))
    assert counts == {"skipped:not_insured": 1}
    # lost category-2 (left employment) and not in NHI → enrollment reminder asking for proof
    _, counts = open_from(municipality, annex=21, name="SITI RAHAYU", sex="F", birth_date=date(1999, 7, 20))
    case = ReminderCase.objects.get(resident=other)
    assert (case.kind, case.lost_employee_insurance) == ("enrollment", True)


def test_sending_sets_deadlines_of_at_least_a_month_and_14_days(municipality, clerk):
    resident(municipality)
    open_from(municipality)
    case = sent(ReminderCase.objects.get(), on=date(2027, 1, 31), user=clerk)
    assert case.state == CaseState.LETTER_SENT
    assert case.deadline == date(2027, 3, 3)  # 31 days, which is more than one month after Jan 31
    assert deadline_for(date(2027, 1, 31), second=False) >= date(2027, 2, 28)
    # 14 days after 1 May 2027 is Saturday the 15th: the office is closed, so Monday the 17th.
    assert deadline_for(date(2027, 5, 1), second=True) == date(2027, 5, 17)


def test_second_reminder_only_after_the_deadline(municipality, clerk):
    resident(municipality)
    open_from(municipality)
    case = sent(ReminderCase.objects.get(), on=date(2026, 10, 1), user=clerk)
    with pytest.raises(services.CaseRefused, match="まだ過ぎていません"):
        services.case_queue_second(case=case, user=clerk, today=case.deadline)
    letter = services.case_queue_second(case=case, user=clerk, today=case.deadline + timedelta(days=1))
    case.refresh_from_db()
    assert case.state == CaseState.SECOND_QUEUED
    assert letter.second is True and letter.first_letter_date == date(2026, 10, 1)


def withdrawal_case(municipality, clerk):
    person = resident(municipality)
    NhiMembershipFactory(municipality=municipality, resident_code=person.resident_code)
    open_from(municipality, annex=22)
    case = sent(ReminderCase.objects.get(), on=date(2026, 8, 1), user=clerk)
    services.case_queue_second(case=case, user=clerk, today=case.deadline + timedelta(days=1))
    return sent(case, on=case.deadline + timedelta(days=2), user=clerk)


def test_ex_officio_withdrawal_needs_deadlines_passed_and_a_second_person(municipality, clerk, supervisor):
    case = withdrawal_case(municipality, clerk)
    assert case.state == CaseState.SECOND_SENT
    with pytest.raises(services.CaseRefused, match="まだ過ぎていません"):
        services.case_propose_ex_officio(case=case, user=clerk, note="", today=case.deadline)
    services.case_propose_ex_officio(
        case=case, user=supervisor, note="回答なし", today=case.deadline + timedelta(days=1)
    )
    with pytest.raises(services.CaseRefused, match="提案した本人"):
        services.case_approve_ex_officio(case=case, user=supervisor, reason="確認済み")
    from tests.factories import UserFactory

    second_supervisor = UserFactory(username="kacho", municipality=municipality, role="supervisor")
    with pytest.raises(services.CaseRefused, match="理由"):
        services.case_approve_ex_officio(case=case, user=second_supervisor, reason=" ")
    services.case_approve_ex_officio(case=case, user=second_supervisor, reason="年金WMで第2号被保険者を確認")
    case.refresh_from_db()
    assert (case.state, case.approved_by) == (CaseState.EX_OFFICIO_APPROVED, second_supervisor)
    export = services.ex_officio_export(municipality=municipality, user=second_supervisor)
    case.refresh_from_db()
    assert (case.state, case.close_reason, case.export) == (CaseState.CLOSED, "ex_officio", export)
    content = export.file.open("rb").read().decode("utf-8-sig")
    assert case.resident.resident_code in content and "年金WMで第2号被保険者を確認" in content
    assert len(export.sha256) == 64
    with pytest.raises(services.CaseRefused, match="出力する"):
        services.ex_officio_export(municipality=municipality, user=second_supervisor)


def test_ex_officio_is_refused_when_the_letter_did_not_say_so(municipality, clerk):
    case = withdrawal_case(municipality, clerk)
    Letter.objects.filter(case=case, second=False).update(ex_officio_notice=False)
    with pytest.raises(services.CaseRefused, match="職権による資格喪失の記載がない"):
        services.case_propose_ex_officio(
            case=case, user=clerk, note="", today=case.deadline + timedelta(days=1)
        )


def test_ex_officio_is_refused_for_enrollment_cases(municipality, clerk):
    resident(municipality)
    open_from(municipality)
    case = ReminderCase.objects.get()
    with pytest.raises(services.CaseRefused, match="資格喪失届の勧奨だけ"):
        services.case_propose_ex_officio(case=case, user=clerk, note="")


def test_a_response_closes_the_case(municipality, clerk):
    resident(municipality)
    open_from(municipality)
    case = sent(ReminderCase.objects.get(), on=date(2026, 10, 1), user=clerk)
    services.case_record_response(case=case, response="enrolled", note="窓口で加入手続", user=clerk)
    case.refresh_from_db()
    assert (case.state, case.response, case.close_reason) == (CaseState.CLOSED, "enrolled", "response")
    # … and, closed because the person enrolled, the welcome letter (加入のお知らせ) is queued
    assert list(case.events.values_list("action", flat=True))[-3:] == [
        "response_recorded",
        "closed",
        "welcome_queued",
    ]


def test_an_other_response_waits_for_the_clerk(municipality, clerk):
    resident(municipality)
    open_from(municipality)
    case = ReminderCase.objects.get()
    services.case_record_response(case=case, response="other", note="来週来庁予定", user=clerk)
    case.refresh_from_db()
    assert case.state == CaseState.RESPONDED
    assert case.letters.get().status == "queued"


def test_the_ledger_closes_cases_when_the_person_enrolls(municipality, clerk):
    from tests.intake.builders import ledger_bytes
    from tests.intake.helpers import run_import

    person = resident(municipality)
    open_from(municipality)
    batch = run_import(
        municipality,
        ledger_bytes([["30000001", person.resident_code, person.resident_code, "2026-10-20", "", ""]]),
        kind="nhi_ledger",
    )
    case = ReminderCase.objects.get()
    assert (case.state, case.close_reason) == (CaseState.CLOSED, "enrolled")
    assert batch.summary["cases_closed_enrolled"] == 1
    assert case.letters.get(kind="enrollment").status == "cancelled"
    assert case.letters.get(kind="welcome").status == "queued"


def test_returned_mail_moves_the_case_to_address_unknown(municipality, clerk):
    resident(municipality)
    open_from(municipality)
    case = sent(ReminderCase.objects.get(), on=date(2026, 10, 1), user=clerk)
    letter = case.letters.get()
    services.letter_record_returned(
        letter=letter, user=clerk, returned_on=date(2026, 10, 8), note="宛所に尋ねあたりません"
    )
    case.refresh_from_db()
    letter.refresh_from_db()
    assert (letter.status, case.state) == ("returned", CaseState.ADDRESS_UNKNOWN)
    with pytest.raises(services.CaseRefused):
        services.letter_record_returned(letter=letter, user=clerk, returned_on=date(2026, 10, 9))


def test_the_letter_goes_to_the_head_of_household(municipality):
    head = ResidentFactory(municipality=municipality, name_alpha="TRAN VAN HUNG", birth_date=date(1980, 1, 1))
    resident(municipality, household_head_code=head.resident_code)
    open_from(municipality)
    letter = Letter.objects.get()
    assert (letter.addressee_name, letter.subject_name) == ("TRAN VAN HUNG", "NGUYEN VAN AN")


def test_a_letter_whose_address_cannot_fit_is_held_with_the_reason(municipality):
    resident(municipality, postal_code="")
    open_from(municipality)
    letter = Letter.objects.get()
    assert letter.status == "held"
    assert "郵便番号" in letter.hold_reason


def test_one_open_case_per_person_and_kind_is_enforced_by_the_database(municipality):
    from django.db import IntegrityError

    person = resident(municipality)
    ReminderCase.objects.create(municipality=municipality, resident=person, kind="enrollment", source="isa_1")
    with pytest.raises(IntegrityError):
        ReminderCase.objects.create(
            municipality=municipality, resident=person, kind="enrollment", source="isa_1"
        )


def test_open_cases_command_takes_in_a_batch_and_prints_counts_by_outcome(municipality):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    resident(municipality, resident_code="10000000001")
    other = date(1990, 1, 2)
    resident(municipality, resident_code="10000000002", name_alpha="TRAN THI HOA", sex="F", birth_date=other,
             status=ResidentStatus.MOVED_OUT)  # fmt: skip
    batch = isa_batch(municipality, [{}, {"name": "TRAN THI HOA", "sex": "F", "birth_date": other}])
    with pytest.raises(CommandError, match="まだ突合されていません"):
        call_command("open_cases", "--batch", str(batch.pk), stdout=StringIO())
    match(batch)
    out = StringIO()
    call_command("open_cases", "--batch", str(batch.pk), stdout=out)
    text = out.getvalue()
    assert "2件の記録を取り込みました" in text
    assert "ケースを開いた: 1件" in text and "ケースなし（転出している）: 1件" in text
    assert ReminderCase.objects.get().resident.resident_code == "10000000001"
    again = StringIO()
    call_command("open_cases", stdout=again)  # each record is taken in once
    assert "新たに取り込む突合済みの記録はありません" in again.getvalue()
    with pytest.raises(CommandError, match="取込番号 999999 はありません"):
        call_command("open_cases", "--batch", "999999", stdout=StringIO())
