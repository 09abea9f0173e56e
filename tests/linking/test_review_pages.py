"""The review pages as supervisors and clerks use them: the queue and its filters, confirming,
choosing another person, "not resident", htmx swaps, refusals, the ISA record page with its
overturn form, the access log, the wall between municipalities, and starting a batch's matching."""

from datetime import date

import pytest
from django.urls import reverse

from enrollment.linking.review import review_not_resident
from enrollment.models import LinkStatus, MatchDecision, MatchEvent, MatchRun
from nhi_portal.models import AccessLog
from tests.conftest import ensure_roles, signed_in
from tests.factories import UserFactory
from tests.linking.helpers import decision_of, isa_batch, match, resident

pytestmark = pytest.mark.django_db

NAMES = ["NGUYEN VAN AN", "TRAN THI BINH", "LE VAN CUONG", "PHAM THI DUNG"]


def twins_batch(municipality, names, *, month=date(2026, 10, 1), annex=1):
    """Each name belongs to two residents with the same birth date and sex at the ISA address (twins
    in one building, other rooms): the engine always sends such records to review."""
    people = {}
    for number, name in enumerate(names):
        birth = date(1990 + number, 1 + number, 10 + number)
        people[name] = [
            resident(
                municipality, name_alpha=name, birth_date=birth, address="東京都小金井市本町1丁目2番3号"
            ),
            resident(
                municipality, name_alpha=name, birth_date=birth, address="東京都小金井市本町1丁目2番3号 202"
            ),
        ]
    batch = isa_batch(
        municipality,
        [
            {
                "name": name,
                "birth_date": date(1990 + n, 1 + n, 10 + n),
                "address": "東京都小金井市本町1丁目2番3号",
            }
            for n, name in enumerate(names)
        ],
        month=month,
        annex=annex,
    )
    match(batch)
    return batch, people


@pytest.fixture
def queue(municipality):
    batch, people = twins_batch(municipality, NAMES[:3])
    decisions = [decision_of(batch, n) for n in (1, 2, 3)]
    assert all(d.status == "pending_review" for d in decisions)
    return decisions, people


@pytest.fixture
def other_supervisor(other_municipality):
    ensure_roles()
    return UserFactory(username="other_supervisor", municipality=other_municipality, role="supervisor")


def item_url(decision, query=""):
    return reverse("review-item", args=[decision.pk]) + query


CONFIRMED = {"confirmed": "yes"}  # the confirm panel's own button


def page(response) -> str:
    return response.content.decode()


# The queue ------------------------------------------------------------------------------------


def test_the_queue_lists_waiting_records_oldest_first_with_thresholds(queue, supervisor_client):
    decisions, _ = queue
    response = supervisor_client.get(reverse("review-queue"))
    html = page(response)
    assert response.status_code == 200
    positions = [html.index(item_url(d)) for d in decisions]
    assert positions == sorted(positions)
    assert "審査待ち（全体）" in html and ">3<small>件" in html
    assert "本人である確率が99.95%以上" in html and "確率2%以上の読み方" in html
    assert f'href="{item_url(decisions[0])}"' in html  # 審査を始める opens the first
    assert "審査を始める" in html


def test_the_queue_filters_by_month_annex_and_reason(municipality, queue, supervisor_client):
    later, _ = twins_batch(municipality, [NAMES[3]], month=date(2026, 11, 1), annex=2)
    november = decision_of(later)
    html = page(supervisor_client.get(reverse("review-queue"), {"month": "2026-11"}))
    assert item_url(november, "?month=2026-11") in html
    assert item_url(queue[0][0], "?month=2026-11") not in html
    html = page(supervisor_client.get(reverse("review-queue"), {"annex": "1"}))
    assert item_url(november) not in html and item_url(queue[0][0], "?annex=1") in html
    html = page(supervisor_client.get(reverse("review-queue"), {"reason": "same_name_dob_sex"}))
    assert "氏名・生年月日・性別が同じ住民が複数（4件）" in html
    assert item_url(november, "?reason=same_name_dob_sex") in html
    html = page(supervisor_client.get(reverse("review-queue"), {"reason": "close_candidates"}))
    assert "条件に合う審査待ちの記録はありません。" in html
    bad = page(supervisor_client.get(reverse("review-queue"), {"month": "11月"}))
    assert "対象月は 2026-10 の形で入力してください。" in bad


def test_the_queue_page_costs_the_same_queries_whatever_its_length(
    municipality, supervisor_client, django_assert_max_num_queries
):
    twins_batch(municipality, NAMES[:1])
    with django_assert_max_num_queries(12) as small:
        supervisor_client.get(reverse("review-queue"))
    twins_batch(municipality, NAMES[1:], month=date(2026, 11, 1))
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = supervisor_client.get(reverse("review-queue"))
    assert page(response).count('href="/review/') >= 4


def test_clerks_cannot_review(queue, clerk_client):
    decisions, people = queue
    assert clerk_client.get(reverse("review-queue")).status_code == 403
    assert clerk_client.get(item_url(decisions[0])).status_code == 403
    first = people[NAMES[0]][0]
    response = clerk_client.post(
        reverse("review-confirm", args=[decisions[0].pk]), {"resident": first.pk, **CONFIRMED}
    )
    assert response.status_code == 403
    assert not MatchEvent.objects.exists()


def test_another_municipality_sees_an_empty_queue_and_no_records(queue, other_supervisor, other_clerk):
    decisions, people = queue
    client = signed_in(other_supervisor)
    html = page(client.get(reverse("review-queue")))
    assert "審査待ちの記録はありません。" in html and NAMES[0] not in html
    assert client.get(item_url(decisions[0])).status_code == 404
    response = client.post(
        reverse("review-confirm", args=[decisions[0].pk]), {"resident": people[NAMES[0]][0].pk, **CONFIRMED}
    )
    assert response.status_code == 404
    assert client.get(reverse("review-choose", args=[decisions[0].pk]), {"q": "NGUYEN"}).status_code == 404
    assert (
        signed_in(other_clerk).get(reverse("isa-record", args=[decisions[0].isa_record_id])).status_code
        == 404
    )
    assert not MatchEvent.objects.exists()


# One record ---------------------------------------------------------------------------------


def test_the_item_shows_the_record_beside_its_candidates_and_why(queue, supervisor_client):
    decisions, people = queue
    html = page(supervisor_client.get(item_url(decisions[0])))
    first, second = people[NAMES[0]]
    assert 'class="compare"' in html and html.count('class="compare__col"') >= 4
    assert "自動で照合しなかった理由" in html and "氏名・生年月日・性別が同じ住民が複数" in html
    assert first.resident_code in html and second.resident_code in html
    assert '<mark class="diff-mark"> 202</mark>' in html  # the addresses differ (the room)
    # Why it is here: each reading with its probability and letter, and the learned weights.
    assert "読み方ごとの確率と通知" in html and "加入勧奨の通知を送る" in html
    assert "点数の根拠（学習した照合モデル）" in html and "log2(m/u)" in html
    assert "候補1の点数の内訳" in html and "一致の程度" in html
    assert 'data-shortcut="1"' in html and 'data-shortcut="2"' in html and 'data-shortcut="n"' in html
    assert 'data-shortcut="s"' in html
    assert "メモ（任意）" in html


def test_a_former_resident_is_marked(municipality, supervisor_client):
    from enrollment.models import ResidentStatus

    resident(municipality, status=ResidentStatus.LEFT_JAPAN, moved_out_date=date(2026, 5, 31))
    resident(municipality, address="東京都小金井市緑町5丁目1番1号")
    batch = isa_batch(municipality, [{}])
    match(batch)
    html = page(supervisor_client.get(item_url(decision_of(batch))))
    assert "元住民: 通知は送りません" in html and "国外転出" in html


def test_what_the_isa_sent_is_shown_where_it_differs(municipality, supervisor_client):
    resident(municipality)
    resident(municipality, address="東京都小金井市緑町5丁目1番1号")
    batch = isa_batch(municipality, [{"raw_name": "Nguyen  Van An", "raw_birth_date": "19980412"}])
    match(batch)
    html = page(supervisor_client.get(item_url(decision_of(batch))))
    assert "ISAの送信値" in html and "19980412" in html and "Nguyen  Van An" in html


def test_each_view_of_an_item_writes_one_access_log_entry(queue, supervisor_client):
    decisions, people = queue
    before = AccessLog.objects.count()
    supervisor_client.get(item_url(decisions[0]))
    entries = list(AccessLog.objects.order_by("id")[before:])
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.action, entry.purpose, entry.object_type) == (
        "view_review_item",
        "match_review",
        "isa_record+residents",
    )
    candidates = {int(c["resident_id"]) for c in decisions[0].explanation["candidates"]}
    assert {p.pk for p in people[NAMES[0]]} <= candidates
    assert set(entry.object_ids) == {decisions[0].isa_record_id, *candidates}


def test_a_key_or_a_click_only_chooses_the_confirm_panel_decides(queue, supervisor_client):
    """Item 2 of issue 15: the shortcut 1 (a submit of the choice) changes nothing; the panel that
    comes back restates the choice, and its button, which no key presses, makes the decision."""
    decisions, people = queue
    first = people[NAMES[0]][0]
    html = page(supervisor_client.get(item_url(decisions[0])))
    assert "候補1と同じ人として選ぶ" in html and "確定は次の画面" in html
    chosen = supervisor_client.post(
        reverse("review-confirm", args=[decisions[0].pk]),
        {"resident": first.pk, "note": "在留カードで確認"},
        headers={"HX-Request": "true"},
    )
    html = page(chosen)
    assert chosen.status_code == 200
    assert not MatchEvent.objects.exists()
    assert MatchDecision.objects.get(pk=decisions[0].pk).status == LinkStatus.PENDING_REVIEW
    panel = html[html.index("判断を確定する前に確認してください") :]
    assert first.resident_code in panel and "在留カードで確認" in panel
    assert 'name="confirmed" value="yes"' in panel
    assert "data-shortcut" not in panel  # no key gives the confirmation
    assert "同じ人として確定する" in panel and "選び直す" in panel

    not_resident = page(supervisor_client.post(reverse("review-not-resident", args=[decisions[1].pk]), {}))
    assert "「住民でない」に確定する" in not_resident and not MatchEvent.objects.exists()

    decided = supervisor_client.post(
        reverse("review-confirm", args=[decisions[0].pk]),
        {"resident": first.pk, "note": "在留カードで確認", **CONFIRMED},
    )
    assert decided.status_code == 302
    assert MatchDecision.objects.get(pk=decisions[0].pk).linked_resident_id == first.pk


def test_a_refusal_known_before_the_confirmation_is_shown_at_once(municipality, queue, supervisor_client):
    decisions, _ = queue
    stranger = resident(municipality, name_alpha="WANG WEI", birth_date=date(1980, 1, 1))
    html = page(
        supervisor_client.post(reverse("review-confirm", args=[decisions[0].pk]), {"resident": stranger.pk})
    )
    assert "候補にありません" in html and "判断を確定する前に確認してください" not in html
    assert not MatchEvent.objects.exists()


def test_confirm_a_candidate_opens_the_next_record(queue, supervisor, supervisor_client):
    decisions, people = queue
    second = people[NAMES[0]][1]
    response = supervisor_client.post(
        reverse("review-confirm", args=[decisions[0].pk]) + "?annex=1",
        {"resident": second.pk, "note": "住所で確認", **CONFIRMED},
    )
    assert response.status_code == 302
    assert response["Location"] == item_url(decisions[1], "?annex=1")
    event = MatchEvent.objects.get(decision=decisions[0])
    assert (event.action, event.actor, event.resident_after, event.note) == (
        "confirmed",
        supervisor,
        second.pk,
        "住所で確認",
    )
    html = page(supervisor_client.get(response["Location"]))
    assert "候補の住民と照合しました" in html


def test_choose_another_person_found_by_search(municipality, queue, supervisor, supervisor_client):
    decisions, _ = queue
    other = resident(municipality, name_alpha="NGUYEN VAN ANH", birth_date=date(1998, 4, 21))
    before = AccessLog.objects.count()
    response = supervisor_client.get(reverse("review-choose", args=[decisions[0].pk]), {"q": "van anh"})
    html = page(response)
    assert other.resident_code in html and '>選ぶ<span class="visually-hidden">' in html
    logged = list(AccessLog.objects.order_by("id")[before:])
    # one entry: the ISA record the page shows and the residents found
    assert [(e.action, e.object_ids) for e in logged] == [
        ("search_residents", sorted([decisions[0].isa_record_id, other.pk]))
    ]
    response = supervisor_client.post(
        reverse("review-choose", args=[decisions[0].pk]),
        {"resident": other.pk, "note": "窓口で確認", **CONFIRMED},
    )
    assert response["Location"] == item_url(decisions[1])
    decision = MatchDecision.objects.get(pk=decisions[0].pk)
    assert (decision.linked_resident_id, decision.resolution) == (other.pk, "chosen")
    event = MatchEvent.objects.get(decision=decision)
    assert (event.action, event.resident_after, event.note) == ("chosen", other.pk, "窓口で確認")


def test_search_without_a_condition_explains(queue, supervisor_client):
    decisions, _ = queue
    html = page(supervisor_client.get(reverse("review-choose", args=[decisions[0].pk]), {"q": ""}))
    assert "氏名・カナ・住民票コードか生年月日を入力してください。" in html


def test_mark_not_resident_and_the_last_one_returns_to_the_queue(queue, supervisor, supervisor_client):
    decisions, _ = queue
    for decision in decisions[:2]:
        review_not_resident(decision=decision, user=supervisor)
    response = supervisor_client.post(
        reverse("review-not-resident", args=[decisions[2].pk]), {"note": "市外在住", **CONFIRMED}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("review-queue")
    html = page(response)
    assert "審査待ちの記録はもうありません。" in html and "「住民でない」にしました" in html
    event = MatchEvent.objects.get(decision=decisions[2])
    assert (event.action, event.resident_after, event.note) == ("not_resident", None, "市外在住")


def test_htmx_gets_the_next_record_as_a_partial_and_the_url_pushed(queue, supervisor_client):
    decisions, people = queue
    before = AccessLog.objects.count()
    response = supervisor_client.post(
        reverse("review-confirm", args=[decisions[0].pk]),
        {"resident": people[NAMES[0]][0].pk, **CONFIRMED},
        headers={"HX-Request": "true"},
    )
    html = page(response)
    assert response.status_code == 200
    assert response["HX-Push-Url"] == item_url(decisions[1])
    assert "<html" not in html and "site-header" not in html
    assert f"審査：ISA記録 #{decisions[1].isa_record_id}" in html
    assert "<title>" in html and "候補の住民と照合しました" in html
    assert AccessLog.objects.filter(action="view_review_item").count() - before == 1


def test_htmx_on_the_last_record_redirects_the_browser_to_the_queue(queue, supervisor, supervisor_client):
    decisions, _ = queue
    for decision in decisions[1:]:
        review_not_resident(decision=decision, user=supervisor)
    response = supervisor_client.post(
        reverse("review-not-resident", args=[decisions[0].pk]), CONFIRMED, headers={"HX-Request": "true"}
    )
    assert response["HX-Redirect"] == reverse("review-queue")


def test_htmx_search_answers_the_results_only(queue, supervisor_client):
    decisions, _ = queue
    response = supervisor_client.get(
        reverse("review-choose", args=[decisions[0].pk]), {"q": "TRAN"}, headers={"HX-Request": "true"}
    )
    html = page(response)
    assert "見つかった住民：2件" in html and "<h1" not in html
    # the buttons submit the review page's own form, so its note goes with the choice
    assert 'form="review-decision"' in html and ">選ぶ<" in html


def test_a_refusal_is_shown_in_japanese_not_as_an_error(municipality, queue, supervisor, supervisor_client):
    decisions, _ = queue
    stranger = resident(municipality, name_alpha="WANG WEI", birth_date=date(1980, 1, 1))
    response = supervisor_client.post(
        reverse("review-confirm", args=[decisions[0].pk]), {"resident": stranger.pk}
    )
    html = page(response)
    assert response.status_code == 200
    assert "この操作はできませんでした" in html and "候補にありません" in html
    review_not_resident(decision=decisions[1], user=supervisor)
    response = supervisor_client.post(
        reverse("review-not-resident", args=[decisions[1].pk]), headers={"HX-Request": "true"}
    )
    html = page(response)
    assert response.status_code == 200 and "すでに審査済みです" in html
    assert "この記録は審査待ちではありません" in html
    response = supervisor_client.post(reverse("review-confirm", args=[decisions[2].pk]), {"resident": "x"})
    assert "住民を選んでください。" in page(response)
    response = supervisor_client.post(reverse("review-choose", args=[decisions[2].pk]), {"resident": 999999})
    assert "その住民は見つかりません" in page(response)
    assert MatchEvent.objects.filter(decision=decisions[2]).count() == 0


# The ISA record page ------------------------------------------------------------------------


def test_the_record_page_shows_the_decision_and_its_history(queue, supervisor, supervisor_client):
    decisions, people = queue
    chosen = people[NAMES[0]][0]
    supervisor_client.post(
        reverse("review-confirm", args=[decisions[0].pk]),
        {"resident": chosen.pk, "note": "住所で確認", **CONFIRMED},
    )
    supervisor.first_name, supervisor.last_name = "花子", "審査"
    supervisor.save()
    before = AccessLog.objects.count()
    html = page(supervisor_client.get(reverse("isa-record", args=[decisions[0].isa_record_id])))
    assert "突合の結果" in html and "住民と照合済み" in html
    assert "候補を確認" in html and "住所で確認" in html and supervisor.get_full_name() in html
    assert chosen.resident_code in html and "候補1の点数の内訳" in html
    assert "照合を取り消す" in html
    entries = list(AccessLog.objects.order_by("id")[before:])
    assert len(entries) == 1 and decisions[0].isa_record_id in entries[0].object_ids


def test_clerks_see_the_record_page_without_the_overturn_form(municipality, clerk_client):
    resident(municipality)
    batch = isa_batch(municipality, [{}])
    match(batch)
    decision = decision_of(batch)
    assert decision.status == "linked"
    response = clerk_client.get(reverse("isa-record", args=[decision.isa_record_id]))
    assert response.status_code == 200
    assert "自動照合" in page(response) and "照合を取り消す" not in page(response)
    response = clerk_client.post(
        reverse("review-overturn", args=[decision.isa_record_id]), {"reason": "違う"}
    )
    assert response.status_code == 403


def test_overturn_an_automatic_match_with_a_reason(municipality, supervisor, supervisor_client):
    person = resident(municipality)
    other = resident(municipality, name_alpha="NGUYEN VAN ANH", birth_date=date(1998, 4, 21))
    batch = isa_batch(municipality, [{}])
    match(batch)
    decision = decision_of(batch)
    url = reverse("review-overturn", args=[decision.isa_record_id])
    response = supervisor_client.post(url, {"reason": "  "})
    assert response.status_code == 200 and "取り消す理由を書いてください。" in page(response)
    html = page(supervisor_client.get(url, {"q": "NGUYEN"}))
    assert "今の照合先" in html and ">付け替える<" in html
    response = supervisor_client.post(url, {"resident": other.pk, "reason": "在留カードの生年月日が違う"})
    assert response["Location"] == reverse("isa-record", args=[decision.isa_record_id])
    event = MatchEvent.objects.get(decision=decision)
    assert (event.action, event.resident_before, event.resident_after, event.note) == (
        "overturned",
        person.pk,
        other.pk,
        "在留カードの生年月日が違う",
    )
    html = page(supervisor_client.get(response["Location"]))
    assert "自動照合を取消" in html and other.resident_code in html


# Starting the matching from the batch page ------------------------------------------------------


def test_the_batch_page_starts_matching_and_shows_the_counts(
    municipality, clerk_client, django_capture_on_commit_callbacks
):
    resident(municipality)
    resident(municipality, name_alpha="TRAN THI BINH", sex="F", birth_date=date(2000, 1, 5))
    resident(
        municipality,
        name_alpha="TRAN THI BINH",
        sex="F",
        birth_date=date(2000, 1, 5),
        address="東京都小金井市本町1丁目2番3号 コーポ本町202",
    )
    batch = isa_batch(
        municipality,
        [
            {},
            {"name": "TRAN THI BINH", "sex": "F", "birth_date": date(2000, 1, 5)},
            {"name": "BUDI SANTOSO", "birth_date": date(1990, 12, 1)},
        ],
    )
    html = page(clerk_client.get(reverse("batch-detail", args=[batch.pk])))
    assert "突合を開始" in html and reverse("batch-match", args=[batch.pk]) in html
    with django_capture_on_commit_callbacks(execute=True):
        response = clerk_client.post(reverse("batch-match", args=[batch.pk]))
    assert response["Location"] == reverse("batch-detail", args=[batch.pk])
    assert MatchRun.objects.get(batch=batch).status == "succeeded"
    html = page(clerk_client.get(response["Location"]))
    # the tasks ran when the request's transaction committed (here: when the capture ended)
    assert "突合を開始しました" in html or "突合が完了しました" in html
    for label in ("自動照合", "要確認", "該当なし", "過去の判断による照合"):
        assert f"<dt>{label}</dt>" in html
    assert ">突合を開始</button>" not in html
    assert reverse("isa-record", args=[decision_of(batch, 1).isa_record_id]) in html
    assert "審査待ち" in html and "照合済み" in html and "該当なし" in html


def test_the_batch_page_links_the_review_queue_for_supervisors(municipality, supervisor_client):
    batch, _ = twins_batch(municipality, NAMES[:1])
    html = page(supervisor_client.get(reverse("batch-detail", args=[batch.pk])))
    assert reverse("review-queue") + "?month=2026-10" in html


def test_the_batch_page_shows_progress_while_matching_runs(municipality, clerk, clerk_client):
    from enrollment.linking import runs

    resident(municipality)
    batch = isa_batch(municipality, [{}])
    runs.match_start(batch=batch, user=clerk, dispatch=False)
    html = page(clerk_client.get(reverse("batch-detail", args=[batch.pk])))
    assert 'class="job-progress"' in html and "の突合" in html


def test_matching_cannot_start_without_the_permission(municipality, auditor):
    batch = isa_batch(municipality, [{}])
    assert signed_in(auditor).post(reverse("batch-match", args=[batch.pk])).status_code == 403
    assert not MatchRun.objects.exists()


def test_the_batch_page_shows_each_records_decision_without_a_query_per_record(
    municipality, clerk_client, django_assert_max_num_queries
):
    small, _ = twins_batch(municipality, NAMES[:1])
    with django_assert_max_num_queries(30) as first:
        clerk_client.get(reverse("batch-detail", args=[small.pk]))
    large, _ = twins_batch(municipality, NAMES, month=date(2026, 11, 1))
    with django_assert_max_num_queries(len(first.captured_queries)):
        html = page(clerk_client.get(reverse("batch-detail", args=[large.pk])))
    assert html.count("審査待ち</span>") == 4


# An earlier "not resident here" --------------------------------------------------------------


def test_not_resident_is_remembered_and_shown_when_the_person_comes_back(municipality, supervisor):
    """Issue 15 item 3: the same person in next month's file, after a "not resident" decision,
    comes with that decision on the queue and on the review page; another person does not."""
    batch, _ = twins_batch(municipality, NAMES[:2])
    supervisor.first_name, supervisor.last_name = "健一", "鈴木"
    supervisor.save()
    before = decision_of(batch, 1)
    review_not_resident(decision=before, user=supervisor, note="市外在住を確認")
    later = isa_batch(
        municipality,
        [
            {"name": NAMES[0], "birth_date": date(1990, 1, 10), "address": "東京都小金井市本町1丁目2番3号"},
            {"name": NAMES[1], "birth_date": date(1991, 2, 11), "address": "東京都小金井市本町1丁目2番3号"},
        ],
        month=date(2026, 11, 1),
    )
    match(later)
    again, other = decision_of(later, 1), decision_of(later, 2)
    assert again.status == other.status == LinkStatus.PENDING_REVIEW
    client = signed_in(supervisor)

    queue_html = page(client.get(reverse("review-queue") + "?month=2026-11"))
    assert queue_html.count("前回「住民でない」（2026年10月）") == 1
    rows = queue_html[queue_html.index("<tbody>") :].split("</tr>")
    tagged = [row for row in rows if "前回「住民でない」" in row]
    assert len(tagged) == 1 and item_url(again) in tagged[0]

    html = page(client.get(item_url(again)))
    assert "以前に「住民でない」と判断された人です" in html
    notice = html[html.index('id="earlier-not-resident"') :]
    assert "2026年10月" in notice and supervisor.get_full_name() in notice and "市外在住を確認" in notice
    assert reverse("isa-record", args=[before.isa_record_id]) in notice
    assert "以前に「住民でない」" not in page(client.get(item_url(other)))


def test_the_queue_states_the_rule_it_applies(queue, supervisor_client, settings):
    """Issue 15 item 11: every condition of an automatic match is on the page, with the figures
    the engine uses (a record lacking any one of them waits here, if its letter depends on it)."""
    html = page(supervisor_client.get(reverse("review-queue")))
    rule = html[html.index('id="review-rule"') : html.index("</section>", html.index('id="review-rule"'))]
    target = f"{100 * settings.NHI_MATCH_TARGET_PRECISION:.4g}%"
    review = f"{100 * settings.NHI_MATCH_REVIEW_PROBABILITY:.4g}%"
    assert "<strong>すべて</strong>に当たるときだけ" in rule
    assert f"本人である確率が{target}以上" in rule
    assert "同じ住所に、氏名（英字）・生年月日・性別が同じ住民がほかにいない" in rule
    assert "性別が一致している" in rule and "読めなかった値がない" in rule
    assert f"確率{review}以上の読み方" in rule and "通知を出すかどうか、または宛先が変わる記録だけ" in rule
    assert "年金一覧" in html


def test_the_queue_puts_what_is_at_stake_first_and_says_so(municipality, queue, supervisor_client):
    decisions, _ = queue
    assert all(d.stake == d.explanation["stake"] > 0 for d in decisions)  # stored from the engine
    # The newest record has the most at stake: it comes first; equal stakes stay oldest first.
    for decision, stake in zip(decisions, (0.4, 0.4, 0.9), strict=True):
        MatchDecision.objects.filter(pk=decision.pk).update(stake=stake)
    expected = [decisions[2], decisions[0], decisions[1]]

    def rows(query=""):
        html = page(supervisor_client.get(reverse("review-queue") + query))
        return html, [html.index(f'href="{item_url(d, query)}" lang="en"') for d in expected]

    html, positions = rows()
    assert positions == sorted(positions)
    assert "重要度の高い順" in html and "古いものから順" not in html
    assert "90%" in html and "40%" in html
    assert f'class="button" href="{item_url(decisions[2])}"' in html  # 審査を始める: most at stake
    for query in ("?month=2026-10", "?annex=1", "?reason=same_name_dob_sex"):  # filters keep the order
        _, positions = rows(query)
        assert positions == sorted(positions)
    # 後で審査する（次の記録へ） follows the same order.
    html = page(supervisor_client.get(item_url(decisions[2])))
    assert f'href="{item_url(decisions[0])}" hx-get' in html
    html = page(supervisor_client.get(item_url(decisions[0])))
    assert f'href="{item_url(decisions[1])}" hx-get' in html
