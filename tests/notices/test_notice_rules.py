"""Notice rules: who may open a draft, four eyes on approval, the refusals, and the closing
reasons that stay with a rejected or withdrawn notice."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from enrollment.models import NoticeEvent, NoticeState, SendMethod
from enrollment.notices import services
from tests.conftest import _persona
from tests.factories import ResidentFactory
from tests.notices.conftest import draft_input

pytestmark = pytest.mark.django_db


def test_no_draft_without_the_municipality_settings(person):
    assert "設定" in services.draft_refusal(resident=person)


def test_no_draft_for_someone_not_in_the_nhi_ledger(notice_settings, municipality):
    outsider = ResidentFactory(municipality=municipality, resident_code="55500000099")
    assert "被保険者台帳" in services.draft_refusal(resident=outsider)


def test_no_draft_for_a_japanese_national(notice_settings, municipality):
    japanese = ResidentFactory(municipality=municipality, nationality="JP", name_alpha="")
    assert "外国籍" in services.draft_refusal(resident=japanese)


def test_one_open_notice_per_person(notice_settings, person, clerk):
    first = services.notice_create(resident=person, user=clerk, data=draft_input(notice_settings))
    refusal = services.draft_refusal(resident=person)
    assert first.number in refusal
    with pytest.raises(services.NoticeRefused):
        services.notice_create(resident=person, user=clerk, data=draft_input(notice_settings))


def test_numbers_run_per_fiscal_year(notice_settings, person, municipality, clerk):
    other = ResidentFactory(municipality=municipality, resident_code="55500000022")
    from tests.factories import NhiMembershipFactory

    NhiMembershipFactory(municipality=municipality, resident_code=other.resident_code)
    a = services.notice_create(
        resident=person, user=clerk, data=draft_input(notice_settings), today=date(2026, 12, 1)
    )
    b = services.notice_create(
        resident=other, user=clerk, data=draft_input(notice_settings), today=date(2026, 12, 2)
    )
    assert (a.number, b.number) == ("2026-0001", "2026-0002")


def test_a_draft_needs_a_ground_and_a_dated_fact(notice_settings, person, clerk):
    with pytest.raises(services.NoticeRefused, match="理由"):
        services.notice_create(
            resident=person,
            user=clerk,
            data=services.DraftInput(grounds=[], facts=draft_input(notice_settings).facts),
        )
    with pytest.raises(services.NoticeRefused, match="事実"):
        services.notice_create(
            resident=person,
            user=clerk,
            data=services.DraftInput(grounds=list(notice_settings.grounds.all()), facts=[]),
        )


def submitted(notice_settings, person, writer):
    notice = services.notice_create(resident=person, user=writer, data=draft_input(notice_settings))
    return services.notice_submit(notice=notice, user=writer)


def test_the_writer_cannot_approve_even_as_a_supervisor(notice_settings, person, supervisor, municipality):
    notice = submitted(notice_settings, person, supervisor)
    assert "別の監督者" in services.approval_refusal(notice, supervisor)
    with pytest.raises(services.NoticeRefused, match="別の監督者"):
        services.notice_approve(notice=notice, user=supervisor)
    notice.refresh_from_db()
    assert notice.state == NoticeState.SUBMITTED and not notice.pdf


def test_whoever_edited_the_draft_cannot_approve_it(notice_settings, person, clerk, municipality):
    colleague = _persona("supervisor", municipality, "colleague")
    notice = services.notice_create(resident=person, user=clerk, data=draft_input(notice_settings))
    services.notice_update(notice=notice, user=colleague, data=draft_input(notice_settings))
    notice = services.notice_submit(notice=notice, user=clerk)
    assert "別の監督者" in services.approval_refusal(notice, colleague)


def test_a_clerk_cannot_approve(notice_settings, person, clerk, municipality):
    writer = _persona("clerk", municipality, "writer")
    notice = submitted(notice_settings, person, writer)
    assert "監督者だけ" in services.approval_refusal(notice, clerk)


def test_a_second_supervisor_approves_and_the_notice_form_is_kept(notice_settings, person, clerk, supervisor):
    notice = submitted(notice_settings, person, clerk)
    services.notice_approve(notice=notice, user=supervisor, note="資料を確認", today=date(2026, 12, 3))
    notice.refresh_from_db()
    assert notice.state == NoticeState.APPROVED
    assert notice.approved_by == supervisor and notice.issue_date == date(2026, 12, 3)
    assert notice.pdf.read().startswith(b"%PDF") and len(notice.pdf_sha256) == 64
    assert list(NoticeEvent.objects.filter(notice=notice).values_list("action", flat=True)) == [
        "created", "submitted", "approved",
    ]  # fmt: skip


def test_sending_is_recorded_with_day_method_and_who(notice_settings, person, clerk, supervisor):
    notice = submitted(notice_settings, person, clerk)
    today = timezone.localdate()
    services.notice_approve(notice=notice, user=supervisor, today=today)
    with pytest.raises(services.NoticeRefused, match="未来"):
        services.notice_record_sent(
            notice=notice, user=clerk, sent_on=today + timedelta(days=1), method="mail"
        )
    with pytest.raises(services.NoticeRefused, match="より前"):
        services.notice_record_sent(
            notice=notice, user=clerk, sent_on=today - timedelta(days=1), method="mail"
        )
    with pytest.raises(services.NoticeRefused, match="その他"):
        services.notice_record_sent(notice=notice, user=clerk, sent_on=today, method=SendMethod.OTHER)
    services.notice_record_sent(
        notice=notice, user=clerk, sent_on=today, method=SendMethod.REGISTERED_MAIL, note="書留番号 123"
    )
    notice.refresh_from_db()
    assert (notice.state, notice.sent_on, notice.sent_method, notice.sent_by) == (
        NoticeState.SENT, today, SendMethod.REGISTERED_MAIL, clerk,
    )  # fmt: skip
    with pytest.raises(services.NoticeRefused):
        services.notice_withdraw(notice=notice, user=clerk, reason="遅すぎる")


def test_a_rejected_notice_keeps_its_reason_and_is_closed(notice_settings, person, clerk, supervisor):
    notice = submitted(notice_settings, person, clerk)
    with pytest.raises(services.NoticeRefused, match="理由"):
        services.notice_reject(notice=notice, user=supervisor, reason="  ")
    services.notice_reject(
        notice=notice, user=supervisor, reason="事実が療養の申請1件だけで、根拠として足りない"
    )
    notice.refresh_from_db()
    assert notice.state == NoticeState.REJECTED
    assert (
        notice.close_reason == "事実が療養の申請1件だけで、根拠として足りない"
        and notice.closed_by == supervisor
    )
    assert services.draft_refusal(resident=person) is None  # a new draft may be written


def test_a_withdrawn_notice_keeps_its_reason(notice_settings, person, clerk, municipality):
    notice = submitted(notice_settings, person, clerk)
    stranger = _persona("clerk", municipality, "stranger")
    assert "書いた人か監督者" in services.withdraw_refusal(notice, stranger)
    services.notice_withdraw(notice=notice, user=clerk, reason="本人が在職証明書を提出した")
    notice.refresh_from_db()
    assert (notice.state, notice.close_reason) == (NoticeState.WITHDRAWN, "本人が在職証明書を提出した")


def test_only_a_draft_can_be_edited(notice_settings, person, clerk):
    notice = submitted(notice_settings, person, clerk)
    with pytest.raises(services.NoticeRefused, match="下書きだけ"):
        services.notice_update(notice=notice, user=clerk, data=draft_input(notice_settings))


def test_setup_gives_the_standard_grounds_once(municipality):
    from io import StringIO

    from django.core.management import call_command

    from enrollment.models import NoticeSettings
    from enrollment.notices.defaults import STANDARD_GROUNDS

    for _ in range(2):
        out = StringIO()
        call_command(
            "setup_notices",
            "--lg-code",
            municipality.lg_code,
            "--bureau",
            "東京出入国在留管理局長",
            stdout=out,
        )
    found = NoticeSettings.objects.get(municipality=municipality)
    assert found.grounds.count() == len(STANDARD_GROUNDS) and "今回追加 0件" in out.getvalue()
    assert all("平成31年1月7日付保国発0107第1号" in g.legal_basis for g in found.grounds.all())
