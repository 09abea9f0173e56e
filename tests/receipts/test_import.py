"""Importing assessment (賦課) and payment (収納) files: whole or nothing with every wrong line
named, notations (era years, full-width digits, 円 and △), CP932, corrections, idempotency by
content and by receipt number, the commands and the nightly inbox."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from nhi_portal import nightly
from nhi_portal.models import BatchStatus, ImportIssue
from receipts.models import Assessment, Payment, PaymentChannel
from tests.receipts.helpers import ASSESSMENT_HEADER, HH, PAYMENT_HEADER, csv_bytes, import_csv

pytestmark = pytest.mark.django_db

ASSESSMENTS = [f"{HH},2025,{k},10000,2025-{5 + k:02d}-30" for k in range(1, 5)]


def current(municipality):
    return {
        (a.household_head_code, a.fiscal_year, a.instalment): (a.amount, a.due_date)
        for a in Assessment.objects.filter(municipality=municipality, is_current=True)
    }


def test_assessments_are_imported(municipality):
    batch = import_csv(municipality, "assessments", csv_bytes(ASSESSMENT_HEADER, ASSESSMENTS))
    assert batch.status == BatchStatus.IMPORTED, batch.rejection_reason
    assert batch.summary == {"rows": 4, "created": 4, "corrected": 0, "unchanged": 0, "superseded_in_file": 0}
    assert current(municipality)[(HH, 2025, 3)] == (10000, date(2025, 8, 30))


def test_one_wrong_row_rejects_the_whole_file_and_names_every_wrong_line(municipality):
    rows = [
        *ASSESSMENTS,
        f"{HH},2025,5,abc,2025-10-31",
        "1234,2025,6,10000,2025-11-30",
        f"{HH},2025,7,10000,2027-01-31",
        f"{HH},2025,第30期,10000,2025-12-31",
    ]
    batch = import_csv(municipality, "assessments", csv_bytes(ASSESSMENT_HEADER, rows))
    assert batch.status == BatchStatus.REJECTED
    assert not Assessment.objects.exists()
    reason = batch.rejection_reason
    assert "4行に誤りがあるため、ファイル全体を取り込みませんでした" in reason
    assert "6行目、列「amount」: 「abc」 — 金額は円単位の整数で指定してください" in reason
    assert "7行目、列「household_head_code」" in reason and "11桁" in reason
    assert "8行目、列「due_date」" in reason and "2025年度の範囲" in reason
    assert "9行目、列「instalment」" in reason


def test_a_bad_header_rejects_the_file(municipality):
    batch = import_csv(
        municipality, "payments", csv_bytes("household_head_code,fiscal_year,amount", [f"{HH},2025,1"])
    )
    assert batch.status == BatchStatus.REJECTED
    assert "必要な列がありません" in batch.rejection_reason and "paid_date" in batch.rejection_reason


def test_notations_the_offices_use_are_read(municipality):
    header = "世帯主住民票コード,年度,期別,調定額,納期限"
    rows = [f'{HH},令和7年度,第1期,"12,300円",令和7年6月30日', f"{HH},R7,２,１２３００,2025/07/31"]
    batch = import_csv(municipality, "assessments", csv_bytes(header, rows, encoding="cp932", newline="\r\n"))
    assert batch.status in (BatchStatus.IMPORTED, BatchStatus.NEEDS_ATTENTION), batch.rejection_reason
    assert batch.encoding == "cp932"
    assert current(municipality) == {
        (HH, 2025, 1): (12300, date(2025, 6, 30)),
        (HH, 2025, 2): (12300, date(2025, 7, 31)),
    }


def test_a_later_row_for_the_same_instalment_is_a_correction(municipality):
    import_csv(municipality, "assessments", csv_bytes(ASSESSMENT_HEADER, ASSESSMENTS), filename="a.csv")
    rows = [f"{HH},2025,2,9000,2025-07-30", f"{HH},2025,2,8000,2025-07-31", f"{HH},2025,3,10000,2025-08-30"]
    batch = import_csv(municipality, "assessments", csv_bytes(ASSESSMENT_HEADER, rows), filename="b.csv")
    assert batch.status == BatchStatus.IMPORTED
    assert batch.summary["corrected"] == 1 and batch.summary["unchanged"] == 1
    assert batch.summary["superseded_in_file"] == 1
    assert current(municipality)[(HH, 2025, 2)] == (8000, date(2025, 7, 31))
    history = Assessment.objects.filter(municipality=municipality, instalment=2).order_by("id")
    # the file's own earlier line (9000) was never current: it stays in the stored file only
    assert [(a.amount, a.is_current) for a in history] == [(10000, False), (8000, True)]
    # the unchanged row added no history
    assert Assessment.objects.filter(municipality=municipality, instalment=3).count() == 1


def test_the_same_file_twice_changes_nothing(municipality):
    data = csv_bytes(ASSESSMENT_HEADER, ASSESSMENTS)
    first = import_csv(municipality, "assessments", data, filename="a.csv")
    again = import_csv(municipality, "assessments", data, filename="copy.csv")
    assert again.pk == first.pk
    assert Assessment.objects.count() == 4


def test_payments_prepayments_and_refunds(municipality):
    rows = [
        f"{HH},2025,1,10000,2025-06-30,transfer",
        f"{HH},2025,2,50000,2025-04-15,前納",
        f"{HH},2025,1,△3000,2025-09-01,還付",
        f"{HH},2025,3,2000,2025-09-02,コンビニ",
    ]
    batch = import_csv(municipality, "payments", csv_bytes(PAYMENT_HEADER, rows))
    assert batch.status == BatchStatus.IMPORTED, batch.rejection_reason
    assert sorted(Payment.objects.values_list("amount", "channel")) == [
        (-3000, PaymentChannel.REFUND), (2000, PaymentChannel.KONBINI), (10000, PaymentChannel.TRANSFER),
        (50000, PaymentChannel.PREPAYMENT),
    ]  # fmt: skip


def test_a_refund_must_be_negative_and_a_payment_positive(municipality):
    rows = [
        f"{HH},2025,1,3000,2025-09-01,refund",
        f"{HH},2025,1,-3000,2025-09-01,bank",
        f"{HH},2025,1,0,2025-09-01,bank",
    ]
    batch = import_csv(municipality, "payments", csv_bytes(PAYMENT_HEADER, rows))
    assert batch.status == BatchStatus.REJECTED
    assert "2行目" in batch.rejection_reason and "還付（refund）は負の金額" in batch.rejection_reason
    assert "3行目" in batch.rejection_reason and "負の金額は還付（refund）の行だけ" in batch.rejection_reason
    assert "4行目" in batch.rejection_reason and "0円" in batch.rejection_reason
    assert not Payment.objects.exists()


def test_a_payment_in_the_future_or_an_unknown_channel_is_refused(municipality):
    rows = [f"{HH},2025,1,3000,2099-09-01,bank", f"{HH},2025,1,3000,2025-09-01,paypay"]
    batch = import_csv(municipality, "payments", csv_bytes(PAYMENT_HEADER, rows))
    assert batch.status == BatchStatus.REJECTED
    assert "未来の日付" in batch.rejection_reason and "納付方法は bank" in batch.rejection_reason


def test_receipt_numbers_make_a_resent_extract_harmless(municipality):
    header = PAYMENT_HEADER + ",receipt_number"
    first = [f"{HH},2025,1,10000,2025-06-30,bank,R-001", f"{HH},2025,2,10000,2025-07-31,bank,R-002"]
    import_csv(municipality, "payments", csv_bytes(header, first), filename="june.csv")
    later = [*first, f"{HH},2025,3,10000,2025-08-29,bank,R-003"]
    batch = import_csv(municipality, "payments", csv_bytes(header, later), filename="august.csv")
    assert batch.status == BatchStatus.IMPORTED
    assert batch.summary == {"rows": 3, "created": 1, "already_recorded": 2}
    assert Payment.objects.count() == 3


def test_a_receipt_number_with_other_content_or_twice_in_a_file_is_an_error(municipality):
    header = PAYMENT_HEADER + ",receipt_number"
    import_csv(municipality, "payments", csv_bytes(header, [f"{HH},2025,1,10000,2025-06-30,bank,R-001"]))
    rows = [
        f"{HH},2025,1,9000,2025-06-30,bank,R-001",
        f"{HH},2025,2,1,2025-07-01,bank,R-9",
        f"{HH},2025,3,1,2025-07-01,bank,R-9",
    ]
    batch = import_csv(municipality, "payments", csv_bytes(header, rows), filename="b.csv")
    assert batch.status == BatchStatus.REJECTED
    assert (
        "別の内容で取込済み" in batch.rejection_reason
        and "収納番号が重複しています（3行目と同じ）" in batch.rejection_reason
    )
    assert Payment.objects.count() == 1


def test_cleaned_values_are_warnings_and_the_batch_waits_for_a_clerk(municipality):
    rows = [f"{HH},2025,1,10\u200b000,2025-06-30,bank"]
    batch = import_csv(municipality, "payments", csv_bytes(PAYMENT_HEADER, rows))
    assert batch.status == BatchStatus.NEEDS_ATTENTION
    assert Payment.objects.get().amount == 10000
    assert ImportIssue.objects.filter(batch=batch, severity="warning").exists()


def test_the_municipality_wall_holds_for_imports(municipality, other_municipality):
    import_csv(municipality, "assessments", csv_bytes(ASSESSMENT_HEADER, ASSESSMENTS))
    batch = import_csv(other_municipality, "assessments", csv_bytes(ASSESSMENT_HEADER, ASSESSMENTS[:1]))
    assert batch.summary["created"] == 1  # not a correction of the other city's row
    assert Assessment.objects.filter(municipality=other_municipality).count() == 1


def test_the_commands(municipality, tmp_path):
    path = tmp_path / "assessments.csv"
    path.write_bytes(csv_bytes(ASSESSMENT_HEADER, ASSESSMENTS))
    out = StringIO()
    call_command("import_assessments", str(path), "--lg-code", municipality.lg_code, stdout=out)
    assert "4行" in out.getvalue() and "取込完了" in out.getvalue()
    bad = tmp_path / "payments.csv"
    bad.write_bytes(csv_bytes(PAYMENT_HEADER, [f"{HH},2025,1,x,2025-06-30,bank"]))
    with pytest.raises(CommandError, match="2行目、列「amount」"):
        call_command("import_payments", str(bad), "--lg-code", municipality.lg_code, stdout=StringIO())


def test_the_nightly_inbox_imports_assessments_before_payments(municipality, settings):
    inbox = nightly.inbox_for(municipality)
    (inbox / "payments").mkdir(parents=True)
    (inbox / "assessments").mkdir(parents=True)
    (inbox / "payments" / "p.csv").write_bytes(
        csv_bytes(PAYMENT_HEADER, [f"{HH},2025,1,10000,2025-06-30,bank"])
    )
    (inbox / "assessments" / "a.csv").write_bytes(csv_bytes(ASSESSMENT_HEADER, ASSESSMENTS))
    run = nightly.nightly_create(municipality=municipality)
    run = nightly.nightly_execute(run_id=run.pk)
    assert run.step_state("inbox")["status"] == "done", run.error
    assert Assessment.objects.count() == 4 and Payment.objects.count() == 1
    assert run.step_state("arrears")["status"] == "done"
    assert (inbox / "done").is_dir()


def test_era_fiscal_years_must_exist(municipality):
    from receipts.intake import parse_fiscal_year

    assert parse_fiscal_year("平成31年度") == (2019, None) and parse_fiscal_year("令和元年度") == (2019, None)
    assert parse_fiscal_year("H30")[0] == 2018
    assert parse_fiscal_year("令和0年度")[0] is None and "ありません" in parse_fiscal_year("令和0年度")[1]
    assert parse_fiscal_year("昭和80年度")[0] is None
    rows = [f"{HH},令和0年度,1,12300,2025-07-31,bank", f"{HH},昭和80年度,1,12300,2025-07-31,bank"]
    batch = import_csv(municipality, "payments", csv_bytes(PAYMENT_HEADER, rows))
    assert batch.status == BatchStatus.REJECTED
    assert (
        "2行目、列「fiscal_year」" in batch.rejection_reason
        and "3行目、列「fiscal_year」" in batch.rejection_reason
    )
