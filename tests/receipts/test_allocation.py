"""The 充当 rules in plain Python: how payments, prepayments and refunds reach instalments."""

from datetime import date

from receipts.allocation import AssessedInstalment, PaymentRow, allocate, fiscal_year_of

DUES = [date(2025, 6, 30), date(2025, 7, 31), date(2025, 8, 31), date(2025, 9, 30)]


def plan(*amounts, year=2025):
    return [AssessedInstalment(year, k, a, DUES[k - 1]) for k, a in enumerate(amounts, start=1)]


def paid(accounts):
    return [s.paid for s in accounts[0].instalments]


def test_a_payment_pays_the_instalment_it_names():
    accounts = allocate(
        plan(1000, 1000, 1000), [PaymentRow(2025, 2, 1000, date(2025, 7, 1))], as_of=date(2025, 12, 1)
    )
    assert paid(accounts) == [0, 1000, 0]


def test_what_exceeds_an_instalment_goes_to_the_next_unpaid_ones_in_order():
    payments = [PaymentRow(2025, 2, 1000, date(2025, 7, 1)), PaymentRow(2025, 1, 2500, date(2025, 8, 1))]
    accounts = allocate(plan(1000, 1000, 1000, 1000), payments, as_of=date(2025, 12, 1))
    # 1 is paid, the excess 1,500 skips the already paid 2 and reaches 3 and half of 4
    assert paid(accounts) == [1000, 1000, 1000, 500]
    assert accounts[0].credit == 0


def test_a_payment_on_a_later_instalment_never_pays_an_earlier_one():
    accounts = allocate(
        plan(1000, 1000), [PaymentRow(2025, 2, 5000, date(2025, 6, 1))], as_of=date(2025, 12, 1)
    )
    assert paid(accounts) == [0, 1000]
    assert accounts[0].credit == 4000  # 過納: nothing after instalment 2 in this fiscal year


def test_excess_does_not_flow_into_another_fiscal_year():
    instalments = plan(1000, year=2024) + plan(1000, 1000)
    accounts = allocate(instalments, [PaymentRow(2024, 1, 3000, date(2025, 5, 1))], as_of=date(2025, 12, 1))
    assert [a.fiscal_year for a in accounts] == [2024, 2025]
    assert accounts[0].credit == 2000 and paid(accounts[1:]) == [0, 0]


def test_a_prepayment_names_its_first_instalment_and_covers_the_following_as_they_fall_due():
    prepayment = PaymentRow(2025, 2, 2500, date(2025, 4, 15), "prepayment")
    accounts = allocate(plan(1000, 1000, 1000, 1000), [prepayment], as_of=date(2025, 8, 1))
    assert paid(accounts) == [0, 1000, 1000, 500]
    # on 1 August instalment 2 was due and is paid; 3 and half of 4 are covered ahead
    assert accounts[0].paid_ahead(date(2025, 8, 1)) == 1500
    assert [s.is_overdue(date(2025, 8, 1)) for s in accounts[0].instalments] == [True, False, False, False]


def test_a_refund_reduces_what_its_instalment_receives():
    payments = [PaymentRow(2025, 1, 1000, date(2025, 6, 1)), PaymentRow(2025, 1, -400, date(2025, 9, 1))]
    accounts = allocate(plan(1000, 1000), payments, as_of=date(2025, 12, 1))
    assert paid(accounts) == [600, 0]


def test_a_refund_of_an_overpayment_takes_back_the_excess_first():
    payments = [PaymentRow(2025, 1, 1500, date(2025, 6, 1)), PaymentRow(2025, 1, -500, date(2025, 9, 1))]
    accounts = allocate(plan(1000, 1000), payments, as_of=date(2025, 12, 1))
    assert paid(accounts) == [1000, 0]


def test_a_refund_never_makes_a_paid_amount_negative():
    payments = [PaymentRow(2025, 1, 1000, date(2025, 6, 1)), PaymentRow(2025, 2, -700, date(2025, 9, 1))]
    accounts = allocate(plan(1000, 1000), payments, as_of=date(2025, 12, 1))
    assert paid(accounts) == [1000, 0]


def test_payments_count_from_their_paid_date():
    payments = [PaymentRow(2025, 1, 1000, date(2025, 7, 10))]
    assert paid(allocate(plan(1000), payments, as_of=date(2025, 7, 9))) == [0]
    assert paid(allocate(plan(1000), payments, as_of=date(2025, 7, 10))) == [1000]


def test_fiscal_year_of():
    assert fiscal_year_of(date(2026, 3, 31)) == 2025
    assert fiscal_year_of(date(2026, 4, 1)) == 2026
