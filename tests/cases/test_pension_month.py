"""Issue 15: the Japan Pension Service's lists as monthly input — uploaded (form and API), matched
like an ISA file (from the batch page and by the nightly batch), taken into cases by the same
rules (category 2 lost → enrollment reminder ③-1, category 1/3 lost → withdrawal reminder ③-2)
and counted on the dashboard; then the ex officio withdrawal exported with its loss date and the
approver's name, and the person page waiting for the core system. Also the refusals a clerk
now sees on the form, with the values kept."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from enrollment.cases import services
from enrollment.linking import runs
from enrollment.linking.nightly import match_step
from enrollment.models import CaseKind, CaseState, Letter, LetterStatus, MatchRun, ReminderCase
from nhi_portal.models import ImportBatch, ImportKind
from nhi_portal.nightly import nightly_create
from tests.cases.test_case_rules import sent
from tests.conftest import signed_in
from tests.factories import NhiMembershipFactory, ResidentFactory, UserFactory
from tests.intake.helpers import run_import

pytestmark = pytest.mark.django_db

LOST_ON = date(2026, 9, 1)
HEADER = ["氏名（英字）", "性別", "生年月日", "住所", "資格喪失年月日"]


def pension_bytes(*rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode("cp932")


def the_person(municipality, *, insured: bool):
    person = ResidentFactory(
        municipality=municipality, name_alpha="TRAN VAN HUNG", birth_date=date(1996, 7, 3)
    )
    if insured:
        NhiMembershipFactory(
            municipality=municipality,
            resident_code=person.resident_code,
            household_head_code=person.resident_code,
            acquired_date=date(2025, 4, 1),
        )
    return person


ROW = (
    "TRAN VAN HUNG",
    "男",
    "1996-07-03",
    "東京都小金井市本町1丁目2番3号 コーポ本町101",
    LOST_ON.isoformat(),
)


def test_the_upload_form_and_the_api_take_both_pension_lists(
    municipality, clerk, django_capture_on_commit_callbacks
):
    client = signed_in(clerk)
    form = client.get(reverse("batch-upload")).content.decode()
    assert "年金 第2号被保険者資格喪失者一覧" in form and "年金 第1号・第3号被保険者資格喪失者一覧" in form
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
        reverse("batch-upload"),
        {"kind": "pension_cat13_lost", "mode": "delta",
             "files": [SimpleUploadedFile("cat13.csv", pension_bytes(ROW), content_type="text/csv")]},
        )  # fmt: skip
    batch = ImportBatch.objects.get(kind=ImportKind.PENSION_CAT13_LOST)
    assert response["Location"] == reverse("batch-detail", args=[batch.pk])
    assert batch.has_landed and batch.isa_records.get().annex == 22
    with django_capture_on_commit_callbacks(execute=True):
        api = client.post(
            "/api/batches/upload/",
            {"kind": "pension_cat2_lost", "file": SimpleUploadedFile("cat2.csv", pension_bytes(ROW))},
        )
    assert api.status_code == 202, api.content
    assert ImportBatch.objects.get(kind=ImportKind.PENSION_CAT2_LOST).isa_records.get().annex == 21


def test_a_cat13_list_is_matched_from_the_batch_page_and_opens_a_withdrawal_case(
    municipality, clerk, django_capture_on_commit_callbacks
):
    person = the_person(municipality, insured=True)
    batch = run_import(municipality, pension_bytes(ROW), kind="pension_cat13_lost", filename="cat13.csv")
    client = signed_in(clerk)
    page = client.get(reverse("batch-detail", args=[batch.pk])).content.decode()
    assert "住民記録との突合" in page and "年金一覧の記録（1件）" in page
    assert "資格喪失届の勧奨" in page  # what matching leads to
    assert reverse("batch-match", args=[batch.pk]) in page

    with django_capture_on_commit_callbacks(execute=True):  # the workers (eager here) match it
        client.post(reverse("batch-match", args=[batch.pk]))
    done = client.get(reverse("batch-detail", args=[batch.pk])).content.decode()
    assert "次にすること" in done and "まだケースになっていません" in done
    assert reverse("batch-open-cases", args=[batch.pk]) in done
    assert ReminderCase.objects.count() == 0  # nothing before the clerk asks

    opened = client.post(reverse("batch-open-cases", args=[batch.pk]), follow=True).content.decode()
    case = ReminderCase.objects.get()
    assert (case.resident, case.kind, case.source) == (person, CaseKind.WITHDRAWAL, "pension_cat13")
    assert case.state == CaseState.LETTER_QUEUED
    assert "ケースを1件作成" in opened and "通知書の画面で印刷用PDFを作ってください" in opened
    assert reverse("batch-open-cases", args=[batch.pk]) not in opened  # nothing left to take in

    dashboard = client.get(reverse("dashboard")).content.decode()
    panel = dashboard[dashboard.index('id="funnel-pension-h"') :]
    row = panel[panel.index("第1号・第3号被保険者資格喪失一覧") :].split("</tr>")[0]
    cells = [c.split(">")[-1] for c in row.split("</td>")][:-1]
    assert cells[1:5] == ["1", "1", "1", "0"]  # records, linked, cases, sent a letter


def test_a_cat2_list_opens_an_enrollment_case_asking_for_proof(municipality):
    person = the_person(municipality, insured=False)
    batch = run_import(municipality, pension_bytes(ROW), kind="pension_cat2_lost", filename="cat2.csv")
    runs.run_inline(runs.match_start(batch=batch, dispatch=False))
    services.cases_open(municipality=municipality, batch=batch)
    case = ReminderCase.objects.get()
    assert (case.resident, case.kind, case.source) == (person, CaseKind.ENROLLMENT, "pension_cat2")
    assert case.lost_employee_insurance
    assert Letter.objects.get(case=case).kind == CaseKind.ENROLLMENT


def test_the_nightly_match_step_matches_pension_lists(municipality):
    the_person(municipality, insured=True)
    batch = run_import(municipality, pension_bytes(ROW), kind="pension_cat13_lost", filename="cat13.csv")
    summary = match_step(run=nightly_create(municipality=municipality))
    assert MatchRun.objects.get(batch=batch).status == "succeeded"
    assert "自動照合 1件" in summary


def test_only_register_kinds_are_refused_matching(municipality):
    register = run_import(
        municipality, b"resident_code,name_alpha\r\n", kind="residents", filename="residents.csv"
    )
    with pytest.raises(runs.NotMatchable, match="ISAファイルと年金の資格喪失者一覧"):
        runs.match_start(batch=register, dispatch=False)


# Ex officio: the loss date, the approver's name, waiting for the core system ---------------------


def due_withdrawal(municipality, clerk) -> ReminderCase:
    the_person(municipality, insured=True)
    batch = run_import(municipality, pension_bytes(ROW), kind="pension_cat13_lost", filename="cat13.csv")
    runs.run_inline(runs.match_start(batch=batch, dispatch=False))
    services.cases_open(municipality=municipality)
    today = timezone.localdate()
    case = sent(ReminderCase.objects.get(), on=today - timedelta(days=80), user=clerk)
    services.case_queue_second(case=case, user=clerk)
    return sent(case, on=today - timedelta(days=30), user=clerk)


def test_the_export_names_the_loss_date_and_the_approver_and_the_person_waits_for_the_core_system(
    municipality, clerk
):
    case = due_withdrawal(municipality, clerk)
    client = signed_in(clerk)
    form = client.get(reverse("case-propose", args=[case.pk])).content.decode()
    assert 'value="2026-09-01"' in form  # the pension list's date, ready to check
    client.post(reverse("case-propose", args=[case.pk]), {"loss_date": "2026-09-01", "note": "年金WMで確認"})
    confirm = client.get(reverse("case-propose-confirm", args=[case.pk])).content.decode()
    assert "資格喪失年月日" in confirm and "2026-09-01" in confirm
    assert "data-shortcut=" not in confirm[confirm.index("confirm-panel") :]  # no key decides
    client.post(reverse("case-propose-confirm", args=[case.pk]))
    case.refresh_from_db()
    assert (case.state, case.loss_date) == (CaseState.EX_OFFICIO_PROPOSED, LOST_ON)

    approver = UserFactory(username="kacho", municipality=municipality, role="supervisor",
                           first_name="健一", last_name="鈴木")  # fmt: skip
    boss = signed_in(approver)
    boss.post(reverse("case-approve", args=[case.pk]), {"reason": "年金WMで第2号被保険者を確認"})
    boss.post(reverse("case-approve-confirm", args=[case.pk]))
    person = reverse("person-detail", args=[case.resident_id])
    assert "職権喪失 承認済み" in boss.get(person).content.decode()

    export = services.ex_officio_export(municipality=municipality, user=approver)
    rows = list(csv.DictReader(io.StringIO(export.file.open("rb").read().decode("utf-8-sig"))))
    assert rows[0]["loss_date"] == "2026-09-01"
    assert rows[0]["approved_by"] == approver.get_full_name() != approver.username

    page = boss.get(person).content.decode()
    assert "職権喪失 基幹系の処理待ち" in page and "加入中</span>" not in page
    assert "資格喪失年月日 2026-09-01" in page and f"出力 #{export.pk}" in page
    # The ledger shows the loss: no longer waiting.
    from enrollment.models import NhiMembership

    NhiMembership.objects.filter(resident_code=case.resident.resident_code).update(lost_date=LOST_ON)
    page = boss.get(person).content.decode()
    assert "基幹系の処理待ち" not in page and "加入していない" in page


def test_a_loss_date_the_office_cannot_use_is_refused_on_the_form(municipality, clerk):
    case = due_withdrawal(municipality, clerk)
    client = signed_in(clerk)
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = client.post(reverse("case-propose", args=[case.pk]), {"loss_date": future, "note": "確認メモ"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "資格喪失年月日に未来の日付は入力できません。" in html and "確認メモ" in html
    early = client.post(reverse("case-propose", args=[case.pk]), {"loss_date": "2024-01-01"}).content.decode()
    assert "国保の資格取得日（2025-04-01）より前です" in early


# Refusals on the form ------------------------------------------------------------------------------


def test_a_second_reminder_before_the_deadline_is_refused_before_any_confirmation(municipality, clerk):
    person = the_person(municipality, insured=False)
    batch = run_import(municipality, pension_bytes(ROW), kind="pension_cat2_lost", filename="cat2.csv")
    runs.run_inline(runs.match_start(batch=batch, dispatch=False))
    services.cases_open(municipality=municipality)
    case = sent(
        ReminderCase.objects.get(resident=person), on=timezone.localdate() - timedelta(days=3), user=clerk
    )
    client = signed_in(clerk)
    detail = client.get(reverse("case-detail", args=[case.pk])).content.decode()
    assert "今は再勧奨できません" in detail and reverse("case-second-confirm", args=[case.pk]) not in detail
    page = client.get(reverse("case-second-confirm", args=[case.pk])).content.decode()
    assert "今はこの操作ができません" in page and "がまだ過ぎていません" in page
    assert "前に確認してください" not in page and "内容を確認する" not in page
    assert Letter.objects.filter(case=case, second=True).count() == 0


def test_a_return_date_before_the_sending_date_is_refused_on_the_form_with_the_values_kept(
    municipality, clerk
):
    person = the_person(municipality, insured=False)
    batch = run_import(municipality, pension_bytes(ROW), kind="pension_cat2_lost", filename="cat2.csv")
    runs.run_inline(runs.match_start(batch=batch, dispatch=False))
    services.cases_open(municipality=municipality)
    sent_on = timezone.localdate() - timedelta(days=5)
    case = sent(ReminderCase.objects.get(resident=person), on=sent_on, user=clerk)
    letter = Letter.objects.get(case=case)
    url = reverse("case-returned", args=[case.pk, letter.pk])
    early = (sent_on - timedelta(days=2)).isoformat()
    response = signed_in(clerk).post(url, {"returned_on": early, "note": "宛所不明"})
    html = response.content.decode()
    assert response.status_code == 200
    assert f"返戻日が送付日（{sent_on:%Y-%m-%d}）より前です" in html
    assert f'value="{early}"' in html and "宛所不明" in html
    letter.refresh_from_db()
    assert letter.status == LetterStatus.SENT


def test_the_nightly_batch_takes_a_pension_list_from_the_inbox_to_a_case(municipality, settings, tmp_path):
    from enrollment.cases.nightly import cases_step
    from nhi_portal.nightly import sweep_inbox

    settings.INBOX_DIR = tmp_path
    person = the_person(municipality, insured=True)
    folder = tmp_path / municipality.lg_code / "pension_cat13_lost"
    folder.mkdir(parents=True)
    (folder / "nenkin_202610.csv").write_bytes(pension_bytes(ROW))
    run = nightly_create(municipality=municipality)
    assert "取込 1件" in sweep_inbox(run=run)
    match_step(run=run)
    assert "ケース作成 1件" in cases_step(run=run)
    case = ReminderCase.objects.get(resident=person)
    assert (case.kind, case.source) == (CaseKind.WITHDRAWAL, "pension_cat13")
