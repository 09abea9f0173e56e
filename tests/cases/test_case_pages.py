"""Case pages as clerks and supervisors use them: the list, the work lists, one case and its
actions through the confirm pages, the ex officio export, the person pages; the municipality
wall, roles, the access log and query counts."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from enrollment.cases import services
from enrollment.models import (
    CaseState,
    ExOfficioExport,
    Letter,
    LetterStatus,
    MatchEvent,
    NhiMembership,
    ReminderCase,
    ResidentEvent,
)
from nhi_portal.models import AccessLog
from tests.cases.test_case_rules import open_from, sent
from tests.conftest import signed_in
from tests.factories import ImportBatchFactory, NhiMembershipFactory, ResidentFactory, UserFactory
from tests.linking.helpers import decision_of, isa_batch, match, resident

pytestmark = pytest.mark.django_db


def today() -> date:
    return timezone.localdate()


def enrollment_case(municipality, **values) -> ReminderCase:
    resident(municipality, **values)
    open_from(municipality)
    return ReminderCase.objects.get()


def withdrawal_case_due(municipality, clerk) -> ReminderCase:
    """A withdrawal case whose second reminder went unanswered past its deadline."""
    person = resident(municipality)
    NhiMembershipFactory(municipality=municipality, resident_code=person.resident_code)
    open_from(municipality, annex=22)
    case = sent(ReminderCase.objects.get(), on=today() - timedelta(days=80), user=clerk)
    services.case_queue_second(case=case, user=clerk)
    return sent(case, on=today() - timedelta(days=30), user=clerk)


def entries(**filters):
    return list(AccessLog.objects.filter(**filters).order_by("id"))


def act(client, case, action, data=None, *, letter=None):
    """Fill in an action's form, then press the button on its confirm page."""
    args = [case.pk, letter.pk] if letter else [case.pk]
    if data is not None:
        response = client.post(reverse(f"case-{action}", args=args), data)
        assert response.status_code == 302, response.content.decode()[:2000]
        assert response["Location"] == reverse(f"case-{action}-confirm", args=args)
    return client.post(reverse(f"case-{action}-confirm", args=args))


# The list and the work lists ----------------------------------------------------------------


def test_a_clerk_walks_from_the_list_to_the_case_and_records_a_response(municipality, clerk):
    case = sent(enrollment_case(municipality), on=today() - timedelta(days=3), user=clerk)
    client = signed_in(clerk)

    listing = client.get(reverse("case-list"))
    page = listing.content.decode()
    assert listing.status_code == 200
    assert reverse("case-detail", args=[case.pk]) in page
    assert "NGUYEN VAN AN" in page and case.resident.resident_code in page
    assert "勧奨通知 送付済み（回答待ち）" in page
    assert Letter.objects.get(case=case).number in page
    assert reverse("case-worklists") in page

    detail = client.get(reverse("case-detail", args=[case.pk])).content.decode()
    assert reverse("person-detail", args=[case.resident_id]) in detail
    assert "回答を記録する" in detail and "ケースを作成" in detail

    form = client.post(reverse("case-respond", args=[case.pk]), {"note": "x"})
    assert "回答の内容を選んでください。" in form.content.decode()
    assert "error-summary" in form.content.decode()

    client.post(reverse("case-respond", args=[case.pk]), {"response": "enrolled", "note": "窓口で加入手続"})
    confirm = client.get(reverse("case-respond-confirm", args=[case.pk])).content.decode()
    assert "回答を記録する前に確認してください" in confirm
    assert "国保に加入した" in confirm and "窓口で加入手続" in confirm
    case.refresh_from_db()
    assert case.state == CaseState.LETTER_SENT  # nothing happens before the button

    done = client.post(reverse("case-respond-confirm", args=[case.pk]), follow=True)
    case.refresh_from_db()
    assert (case.state, case.response, case.response_note) == (CaseState.CLOSED, "enrolled", "窓口で加入手続")
    assert "回答を記録しました。" in done.content.decode()
    assert "このケースは完了しています。" in done.content.decode()


def test_the_case_opens_its_letters_page_with_the_preview(municipality, clerk):
    case = enrollment_case(municipality)
    letter = Letter.objects.get(case=case)
    detail = signed_in(clerk).get(reverse("case-detail", args=[case.pk])).content.decode()
    assert f'href="{reverse("letter-detail", args=[letter.pk])}"' in detail
    page = signed_in(clerk).get(reverse("letter-detail", args=[letter.pk])).content.decode()
    assert reverse("letter-preview", args=[letter.pk]) in page


def test_list_filters(municipality, clerk):
    first = sent(enrollment_case(municipality), on=today() - timedelta(days=40), user=clerk)
    other = ResidentFactory(municipality=municipality, name_alpha="SITI RAHAYU", name_kana="シティ ラハユ")
    second = ReminderCase.objects.create(
        municipality=municipality, resident=other, kind="withdrawal", source="pension_cat13"
    )
    client = signed_in(clerk)

    def shown(query):
        page = client.get(reverse("case-list") + query).content.decode()
        return {c.pk for c in (first, second) if reverse("case-detail", args=[c.pk]) + '"' in page}

    assert shown("") == {first.pk, second.pk}
    assert shown("?kind=withdrawal") == {second.pk}
    assert shown("?deadline=passed") == {first.pk}
    assert shown("?deadline=week") == set()
    assert shown("?state=open") == {second.pk}
    assert shown("?state=active") == {first.pk, second.pk}
    assert shown("?source=isa_1") == {first.pk}
    assert shown("?q=rahayu") == {second.pk}
    assert shown("?q=ラハユ") == {second.pk}
    assert shown(f"?q={first.resident.resident_code}") == {first.pk}
    assert "条件に合うケースはありません。" in client.get(reverse("case-list") + "?q=nobody").content.decode()


def test_work_lists_offer_the_next_step(municipality, clerk, supervisor):
    overdue = sent(enrollment_case(municipality), on=today() - timedelta(days=40), user=clerk)
    held_person = ResidentFactory(municipality=municipality, name_alpha="TRAN THI MAI", postal_code="")
    open_from(municipality, name="TRAN THI MAI")
    held = Letter.objects.get(case__resident=held_person)
    assert held.status == LetterStatus.HELD
    page = signed_in(clerk).get(reverse("case-worklists")).content.decode()
    assert "勧奨通知の回答期限切れ（再勧奨の対象）" in page
    assert reverse("case-second-confirm", args=[overdue.pk]) in page
    assert held.number in page and "郵便番号" in page  # held letters with their reason
    assert "職権喪失の承認待ち" not in page  # supervisors only

    proposed = ReminderCase.objects.create(
        municipality=municipality, resident=ResidentFactory(municipality=municipality), kind="withdrawal",
        source="pension_cat13", state="ex_officio_proposed", proposed_by=clerk, proposed_at=timezone.now(),
    )  # fmt: skip
    for_supervisor = signed_in(supervisor).get(reverse("case-worklists")).content.decode()
    assert "職権喪失の承認待ち" in for_supervisor
    assert reverse("case-detail", args=[proposed.pk]) in for_supervisor


def test_queue_a_second_reminder_only_after_the_deadline(municipality, clerk):
    case = sent(enrollment_case(municipality), on=today() - timedelta(days=5), user=clerk)
    client = signed_in(clerk)
    refused = act(client, case, "second")
    assert refused.status_code == 409
    assert "がまだ過ぎていません" in refused.content.decode()
    assert "error-summary" in refused.content.decode()
    assert Letter.objects.filter(case=case, second=True).count() == 0

    ReminderCase.objects.filter(pk=case.pk).update(deadline=today() - timedelta(days=1))
    first = case
    confirm = client.get(reverse("case-second-confirm", args=[first.pk])).content.decode()
    assert "再勧奨の通知書を準備する前に確認してください" in confirm
    response = act(client, first, "second")
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.state == CaseState.SECOND_QUEUED
    assert first.letters.filter(second=True).count() == 1


# Ex officio withdrawal ---------------------------------------------------------------------------


def test_the_refusal_is_shown_instead_of_the_proposal_form(municipality, clerk):
    person = resident(municipality)
    NhiMembershipFactory(municipality=municipality, resident_code=person.resident_code)
    open_from(municipality, annex=22)
    case = sent(ReminderCase.objects.get(), on=today() - timedelta(days=3), user=clerk)
    page = signed_in(clerk).get(reverse("case-detail", args=[case.pk])).content.decode()
    assert "今は提案できません" in page
    assert "再勧奨を送付して回答がないケースだけです" in page
    assert reverse("case-propose", args=[case.pk]) not in page


def test_ex_officio_needs_a_second_supervisor_then_exports(municipality, clerk, supervisor):
    case = withdrawal_case_due(municipality, clerk)
    assert case.state == CaseState.SECOND_SENT
    proposer = signed_in(supervisor)
    assert (
        reverse("case-propose", args=[case.pk])
        in proposer.get(reverse("case-detail", args=[case.pk])).content.decode()
    )
    act(proposer, case, "propose", {"note": "年金WMで第2号被保険者を確認"})
    case.refresh_from_db()
    assert (case.state, case.proposed_by) == (CaseState.EX_OFFICIO_PROPOSED, supervisor)

    page = proposer.get(reverse("case-detail", args=[case.pk])).content.decode()
    assert "提案した本人は承認できません" in page
    assert "別の監督者に承認を依頼してください" in page
    assert reverse("case-approve", args=[case.pk]) not in page
    # The refusal is known before anything is typed: the form says so and offers no button.
    form = proposer.get(reverse("case-approve", args=[case.pk])).content.decode()
    assert "提案した本人は承認できません。別の監督者が承認してください。" in form
    assert "内容を確認する" not in form
    refused = proposer.post(reverse("case-approve", args=[case.pk]), {"reason": "確認済み"})
    assert refused.status_code == 200  # the form again, not the confirm page
    assert "提案した本人は承認できません。別の監督者が承認してください。" in refused.content.decode()
    assert "確認済み" in refused.content.decode()  # the values kept
    assert proposer.post(reverse("case-approve-confirm", args=[case.pk])).status_code == 302  # nothing kept
    case.refresh_from_db()
    assert case.state == CaseState.EX_OFFICIO_PROPOSED

    assert signed_in(clerk).post(reverse("case-approve", args=[case.pk]), {"reason": "x"}).status_code == 403
    assert (
        "承認・差し戻しは監督者が行います"
        in signed_in(clerk).get(reverse("case-detail", args=[case.pk])).content.decode()
    )

    second = signed_in(UserFactory(username="kacho", municipality=municipality, role="supervisor"))
    missing = second.post(reverse("case-approve", args=[case.pk]), {"reason": "  "})
    assert "承認の理由を書いてください。" in missing.content.decode()
    assert (
        reverse("case-approve", args=[case.pk])
        in second.get(reverse("case-detail", args=[case.pk])).content.decode()
    )
    act(second, case, "approve", {"reason": "年金WMで確認"})
    case.refresh_from_db()
    assert case.state == CaseState.EX_OFFICIO_APPROVED

    # the export: list, confirm page, export, download
    assert signed_in(clerk).get(reverse("ex-officio")).status_code == 403
    waiting = second.get(reverse("ex-officio")).content.decode()
    assert reverse("case-detail", args=[case.pk]) in waiting and "年金WMで確認" in waiting
    confirm = second.get(reverse("ex-officio-confirm")).content.decode()
    assert "職権喪失を出力する前に確認してください" in confirm and "1件" in confirm
    assert ExOfficioExport.objects.count() == 0
    response = second.post(reverse("ex-officio"))
    export = ExOfficioExport.objects.get()
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.state, case.export) == (CaseState.CLOSED, export)
    listing = second.get(response["Location"]).content.decode()
    assert export.sha256 in listing and reverse("ex-officio-download", args=[export.pk]) in listing

    download = second.get(reverse("ex-officio-download", args=[export.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"] == f'attachment; filename="ex_officio_{export.pk}.csv"'
    content = b"".join(download.streaming_content).decode("utf-8-sig")
    assert content.startswith("case_id,resident_code") and case.resident.resident_code in content
    log = AccessLog.objects.filter(action="download_ex_officio_export").get()
    assert log.object_ids == [case.resident_id]

    again = second.post(reverse("ex-officio"), follow=True)
    assert "出力する承認済みの職権喪失はありません。" in again.content.decode()


def test_a_supervisor_sends_a_proposal_back(municipality, clerk, supervisor):
    case = withdrawal_case_due(municipality, clerk)
    act(signed_in(clerk), case, "propose", {"note": ""})
    act(signed_in(supervisor), case, "reject", {"reason": "年金の記録をもう一度確認してください"})
    case.refresh_from_db()
    assert (case.state, case.proposed_by) == (CaseState.SECOND_SENT, None)
    history = signed_in(clerk).get(reverse("case-detail", args=[case.pk])).content.decode()
    assert "職権喪失の提案を差し戻し" in history and "年金の記録をもう一度確認してください" in history


# Returned mail and closing ---------------------------------------------------------------------


def test_returned_mail_moves_the_case(municipality, clerk):
    case = sent(enrollment_case(municipality), on=today() - timedelta(days=10), user=clerk)
    letter = case.letters.get()
    client = signed_in(clerk)
    assert (
        reverse("case-returned", args=[case.pk, letter.pk])
        in client.get(reverse("case-detail", args=[case.pk])).content.decode()
    )
    future = client.post(
        reverse("case-returned", args=[case.pk, letter.pk]),
        {"returned_on": (today() + timedelta(days=1)).isoformat()},
    )
    assert "未来の日付" in future.content.decode()
    act(
        client,
        case,
        "returned",
        {"returned_on": (today() - timedelta(days=2)).isoformat(), "note": "宛所に尋ねあたりません"},
        letter=letter,
    )
    case.refresh_from_db()
    letter.refresh_from_db()
    assert (letter.status, case.state) == (LetterStatus.RETURNED, CaseState.ADDRESS_UNKNOWN)
    work = client.get(reverse("case-worklists")).content.decode()
    assert "返戻あり（居所不明）" in work and reverse("case-detail", args=[case.pk]) in work
    assert client.get(reverse("case-returned", args=[case.pk, 999999])).status_code == 404


def test_closing_for_another_reason_needs_a_note(municipality, clerk):
    case = enrollment_case(municipality)
    client = signed_in(clerk)
    form = client.post(reverse("case-close", args=[case.pk]), {"reason": "other", "note": ""})
    assert "理由をメモに書いてください" in form.content.decode()
    act(client, case, "close", {"reason": "died", "note": ""})
    case.refresh_from_db()
    assert (case.state, case.close_reason) == (CaseState.CLOSED, "died")
    assert case.letters.get().status == LetterStatus.CANCELLED


def test_the_confirm_page_without_input_goes_back_to_the_form(municipality, clerk):
    case = enrollment_case(municipality)
    response = signed_in(clerk).get(reverse("case-respond-confirm", args=[case.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("case-respond", args=[case.pk])


# People ----------------------------------------------------------------------------------------


def person_with_history(municipality, clerk):
    head = ResidentFactory(municipality=municipality, name_alpha="TRAN VAN HUNG", birth_date=date(1980, 1, 1))
    batch = ImportBatchFactory(municipality=municipality, kind="residents", annex=None, data_month=None)
    person = resident(municipality, household_head_code=head.resident_code, first_batch=batch)
    member = ResidentFactory(
        municipality=municipality, name_alpha="TRAN THI LAN", household_head_code=head.resident_code
    )
    ResidentEvent.objects.create(
        resident=person,
        batch=batch,
        kind="changed",
        changes={"address": ["東京都小金井市本町1丁目", "東京都小金井市本町1丁目2番3号"]},
    )
    NhiMembership.objects.create(
        municipality=municipality, insured_number="30000001", resident_code=person.resident_code,
        acquired_date=date(2024, 4, 1), lost_date=date(2025, 3, 31), lost_reason="社保加入",
    )  # fmt: skip
    isa, _ = open_from(municipality)
    decision = decision_of(isa)
    MatchEvent.objects.create(
        decision=decision, municipality=municipality, actor=clerk, action="confirmed",
        resident_after=person.pk, note="在留カードで確認",
    )  # fmt: skip
    case = sent(ReminderCase.objects.get(), on=today() - timedelta(days=3), user=clerk)
    services.case_record_response(case=case, response="other", note="来週来庁予定", user=clerk)
    return person, head, member, case


def test_the_person_page_shows_one_timeline_of_everything(municipality, clerk):
    clerk.last_name, clerk.first_name = "窓口", "花子"
    clerk.save(update_fields=["last_name", "first_name"])
    person, head, member, case = person_with_history(municipality, clerk)
    client = signed_in(clerk)
    page = client.get(reverse("person-detail", args=[person.pk])).content.decode()
    for text in (
        "住民記録の取込で初めて確認",  # register: first seen
        "住民記録の変更",
        "住所：東京都小金井市本町1丁目 → 東京都小金井市本町1丁目2番3号",  # field label, old → new
        "国保の資格を取得",
        "国保の資格を喪失",
        "喪失事由：社保加入",
        "ISA記録：別紙1 入国",  # the matched record with annex and event date
        "入国（上陸）日：2026-10-01",
        "ケース化：ケースを作成",
        "突合の判定：自動照合",  # the match decision
        "候補を確認",  # a review action (MatchEvent)
        "在留カードで確認",
        f"加入勧奨 #{case.pk}：ケースを作成",  # case events
        "通知書を送付",
        "回答：その他",  # the response
        "来週来庁予定",
        "勧奨通知 " + case.letters.get().number + " を作成",  # the letter
        "を送付",
    ):
        assert text in page, text
    # staff are named as on paper (User.staff_name), never by their login name
    assert "担当：窓口 花子" in page and f"担当：{clerk.username}" not in page
    assert reverse("person-detail", args=[head.pk]) in page  # the household box
    assert reverse("person-detail", args=[member.pk]) in page
    assert reverse("case-detail", args=[case.pk]) in page
    assert page.index("回答を記録") < page.index("住民記録の取込で初めて確認")  # newest first
    log = entries(action="view_person")
    assert len(log) == 1 and set(log[0].object_ids) == {person.pk, head.pk, member.pk}


def test_person_search(municipality, clerk):
    person = resident(municipality, name_kanji="阮文安")
    client = signed_in(clerk)
    empty = client.get(reverse("person-search")).content.decode()
    assert "見つかった住民" not in empty and not entries(action="search_people")
    for query in (
        "?q=van+nguyen",
        "?q=グエン",
        "?q=阮文",
        f"?q={person.resident_code}",
        "?birth_date=1998-04-12",
    ):
        page = client.get(reverse("person-search") + query).content.decode()
        assert reverse("person-detail", args=[person.pk]) in page, query
    assert len(entries(action="search_people")) == 5
    assert "入力してください" in client.get(reverse("person-search") + "?q=").content.decode()


# The municipality wall, roles, the access log, query counts -------------------------------------


def test_another_municipality_sees_nothing(municipality, clerk, other_clerk, other_municipality):
    case = sent(enrollment_case(municipality), on=today() - timedelta(days=3), user=clerk)
    letter = case.letters.get()
    client = signed_in(other_clerk)
    listing = client.get(reverse("case-list")).content.decode()
    assert "ケースはまだありません。" in listing and "NGUYEN" not in listing
    assert "NGUYEN" not in client.get(reverse("case-worklists")).content.decode()
    for url in (
        reverse("case-detail", args=[case.pk]),
        reverse("case-respond", args=[case.pk]),
        reverse("case-respond-confirm", args=[case.pk]),
        reverse("case-second-confirm", args=[case.pk]),
        reverse("case-returned", args=[case.pk, letter.pk]),
        reverse("person-detail", args=[case.resident_id]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("case-respond", args=[case.pk]), {"response": "enrolled"}).status_code == 404
    assert client.post(reverse("case-close-confirm", args=[case.pk])).status_code == 404
    assert "NGUYEN" not in client.get(reverse("person-search") + "?q=nguyen").content.decode()
    case.refresh_from_db()
    assert case.state == CaseState.LETTER_SENT

    export = ExOfficioExport.objects.create(municipality=municipality, case_count=0)
    other_supervisor = UserFactory(username="other_kacho", municipality=other_municipality, role="supervisor")
    assert (
        signed_in(other_supervisor).get(reverse("ex-officio-download", args=[export.pk])).status_code == 404
    )


def test_auditors_are_refused(municipality, auditor, clerk):
    case = enrollment_case(municipality)
    client = signed_in(auditor)
    for url in (
        reverse("case-list"),
        reverse("case-worklists"),
        reverse("case-detail", args=[case.pk]),
        reverse("case-respond", args=[case.pk]),
        reverse("ex-officio"),
        reverse("person-search"),
        reverse("person-detail", args=[case.resident_id]),
    ):
        assert client.get(url).status_code == 403, url
    assert not AccessLog.objects.exists()


def test_one_access_log_entry_per_view(municipality, clerk):
    head = ResidentFactory(municipality=municipality, name_alpha="TRAN VAN HUNG")
    case = enrollment_case(municipality, household_head_code=head.resident_code)
    client = signed_in(clerk)
    client.get(reverse("case-list"))
    client.get(reverse("case-detail", args=[case.pk]))
    client.get(reverse("case-worklists"))
    client.get(reverse("case-close", args=[case.pk]))
    log = entries()
    assert [e.action for e in log] == [
        "view_case_list",
        "view_case",
        "view_case_worklists",
        "case_close_page",
    ]
    assert log[0].object_ids == [case.resident_id]
    assert set(log[1].object_ids) == {case.resident_id, head.pk}  # the letter is addressed to the head
    assert all(e.user == clerk and e.purpose == "enrollment_promotion" for e in log)


def make_cases(municipality, count: int) -> None:
    for number in range(count):
        person = ResidentFactory(municipality=municipality)
        case = ReminderCase.objects.create(
            municipality=municipality,
            resident=person,
            kind="enrollment",
            source="isa_1",
            state="letter_sent",
            deadline=today() - timedelta(days=number % 3),
        )
        Letter.objects.create(
            municipality=municipality,
            case=case,
            kind="enrollment",
            number=f"L-{case.pk}",
            addressee_name="X",
            status="sent",
        )
        Letter.objects.create(
            municipality=municipality,
            case=case,
            kind="enrollment",
            number=f"M-{case.pk}",
            addressee_name="X",
            status="held",
            hold_reason="郵便番号がありません",
        )


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url_name", ["case-list", "case-worklists"])
def test_list_pages_take_a_fixed_number_of_queries(municipality, clerk, url_name):
    client = signed_in(clerk)
    make_cases(municipality, 2)
    few = queries(client, reverse(url_name))
    make_cases(municipality, 40)
    assert queries(client, reverse(url_name)) == few
    assert queries(client, reverse(url_name) + ("?page=2" if url_name == "case-list" else "")) == few


def test_the_person_page_takes_a_fixed_number_of_queries(municipality, clerk):
    person, *_ = person_with_history(municipality, clerk)
    client = signed_in(clerk)
    few = queries(client, reverse("person-detail", args=[person.pk]))
    for month in (date(2026, 11, 1), date(2026, 12, 1)):
        match(isa_batch(municipality, [{}], month=month, annex=2))
    services.cases_open(municipality=municipality)
    ResidentFactory(municipality=municipality, household_head_code=person.household_head_code)
    assert queries(client, reverse("person-detail", args=[person.pk])) == few
