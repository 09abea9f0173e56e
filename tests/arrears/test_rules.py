"""The arrears rules in plain Python: months in arrears, instalment agreements (分納誓約) and who
is flagged for the linkage and why."""

from datetime import date

from arrears.rules import (
    AgreementTerms,
    LinkageParameters,
    MembershipPeriod,
    OverdueInstalment,
    PersonFacts,
    Reason,
    add_months,
    agreement_state,
    linkage_decision,
    months_in_arrears,
    paid_since,
)
from receipts.allocation import PaymentRow

HH = "10000000001"
AS_OF = date(2026, 1, 15)


def test_months_in_arrears_counts_calendar_months_and_is_at_least_one():
    assert months_in_arrears(date(2025, 6, 30), date(2025, 7, 1)) == 1
    assert months_in_arrears(date(2025, 6, 30), date(2025, 11, 5)) == 5
    assert months_in_arrears(date(2025, 6, 15), date(2025, 6, 20)) == 1
    assert months_in_arrears(date(2024, 12, 31), date(2026, 1, 1)) == 13


def test_agreed_dates_are_monthly_and_keep_the_month_end():
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    terms = AgreementTerms(date(2025, 8, 10), date(2025, 8, 31), 5000, 4)
    assert terms.schedule() == [date(2025, 8, 31), date(2025, 9, 30), date(2025, 10, 31), date(2025, 11, 30)]
    assert terms.total == 20000


def test_an_agreement_is_honoured_while_the_agreed_amounts_are_paid():
    terms = AgreementTerms(date(2025, 8, 10), date(2025, 8, 31), 5000, 6)
    payments = [PaymentRow(2024, 1, 5000, date(2025, 8, 29)), PaymentRow(2024, 1, 5000, date(2025, 9, 30))]
    # on 30 September only the August payment was due (a date is late the day after)
    state = agreement_state(
        terms,
        paid_since=paid_since(payments, agreed_on=terms.agreed_on, as_of=date(2025, 9, 30)),
        as_of=date(2025, 9, 30),
    )
    assert (state.payments_due, state.due_so_far, state.paid_since, state.honoured) == (1, 5000, 10000, True)
    state = agreement_state(terms, paid_since=10000, as_of=date(2025, 11, 1))
    assert (state.due_so_far, state.honoured, state.shortfall) == (15000, False, 5000)
    # payments before the agreement do not count towards it
    assert (
        paid_since([PaymentRow(2024, 1, 9000, date(2025, 8, 9))], agreed_on=terms.agreed_on, as_of=AS_OF) == 0
    )


def overdue(code=HH, year=2024, k=1, due=date(2024, 6, 30), assessed=10000, paid=0):
    return OverdueInstalment(code, year, k, due, assessed, paid)


def person(nationality="VN", resident=True, periods=((HH, date(2024, 4, 1), None),)):
    return PersonFacts(1, "20000000001", nationality, resident, tuple(MembershipPeriod(*p) for p in periods))


def decide(p, rows, agreements=None, **params):
    return linkage_decision(p, {HH: rows}, agreements or {}, LinkageParameters(AS_OF, **params))


def test_a_foreign_insured_person_in_arrears_is_flagged_with_the_figures():
    d = decide(person(), [overdue(), overdue(k=2, due=date(2024, 7, 31), paid=4000)])
    assert (d.flagged, d.reason) == (True, Reason.ARREARS)
    assert (d.overdue_amount, d.oldest_due_date, d.months, d.fiscal_years) == (
        16000,
        date(2024, 6, 30),
        19,
        (2024,),
    )


def test_japanese_nationals_and_people_of_households_without_arrears_are_not_listed():
    assert decide(person("JP"), [overdue()]) is None
    assert (
        linkage_decision(person(), {"99999999999": [overdue("99999999999")]}, {}, LinkageParameters(AS_OF))
        is None
    )


def test_someone_who_left_the_register_is_excluded():
    d = decide(person(resident=False), [overdue()])
    assert (d.flagged, d.reason) == (False, Reason.NOT_RESIDENT)


def test_only_years_the_person_was_insured_in_that_household_count():
    joined_2025 = person(periods=((HH, date(2025, 5, 1), None),))
    d = decide(joined_2025, [overdue(year=2024)])
    assert (d.flagged, d.reason) == (False, Reason.NOT_INSURED_IN_YEAR)
    d = decide(joined_2025, [overdue(year=2024), overdue(year=2025, due=date(2025, 6, 30))])
    assert d.flagged and d.fiscal_years == (2025,)


def test_thresholds_exclude_small_or_recent_arrears():
    d = decide(person(), [overdue(due=date(2025, 12, 31), assessed=3000)], min_months=2)
    assert (d.flagged, d.reason) == (False, Reason.BELOW_THRESHOLD)
    d = decide(person(), [overdue(assessed=3000)], min_amount=5000)
    assert d.reason == Reason.BELOW_THRESHOLD


def test_an_honoured_agreement_excuses_the_arrears_it_was_made_for():
    terms = AgreementTerms(date(2025, 8, 10), date(2025, 8, 31), 5000, 10)
    honoured = agreement_state(terms, paid_since=25000, as_of=AS_OF)
    d = decide(person(), [overdue()], {HH: (terms, honoured)})
    assert (d.flagged, d.reason) == (False, Reason.AGREEMENT_HONOURED)
    broken = agreement_state(terms, paid_since=5000, as_of=AS_OF)
    d = decide(person(), [overdue()], {HH: (terms, broken)})
    assert (d.flagged, d.reason) == (True, Reason.AGREEMENT_BROKEN)
    # an instalment that fell due after the agreement is not covered by it
    d = decide(person(), [overdue(), overdue(year=2025, due=date(2025, 9, 30))], {HH: (terms, honoured)})
    assert (d.flagged, d.reason) == (True, Reason.ARREARS_AFTER_AGREEMENT)


def test_a_finished_agreement_no_longer_excuses_what_is_still_unpaid():
    terms = AgreementTerms(date(2025, 8, 10), date(2025, 8, 31), 5000, 2)
    done = agreement_state(terms, paid_since=10000, as_of=AS_OF)
    assert done.finished and done.honoured
    d = decide(person(), [overdue()], {HH: (terms, done)})
    assert (d.flagged, d.reason) == (True, Reason.ARREARS)


# Who is flagged: the household head always; adult members and minors by the office's setting.


def policy_person(code: str, birth: date):
    return PersonFacts(1, code, "VN", True, (MembershipPeriod(HH, date(2024, 4, 1), None),), birth)


def test_the_head_is_flagged_members_by_setting_and_minors_not_by_default():
    rows = [overdue(due=date(2024, 6, 30))]
    as_of = date(2024, 11, 1)
    head, adult, child = (
        policy_person(HH, date(1990, 1, 1)),
        policy_person("20000000002", date(2000, 1, 1)),
        policy_person("20000000003", date(2019, 5, 1)),  # 5 years old
    )
    settings = {"flag_adult_members": True, "flag_minors": False}  # the settings' defaults
    assert linkage_decision(head, {HH: rows}, {}, LinkageParameters(as_of, **settings)).flagged
    assert linkage_decision(adult, {HH: rows}, {}, LinkageParameters(as_of, **settings)).flagged
    kept_out = linkage_decision(child, {HH: rows}, {}, LinkageParameters(as_of, **settings))
    assert (kept_out.flagged, kept_out.reason) == (False, Reason.MINOR_NOT_FLAGGED)
    members_off = LinkageParameters(as_of, flag_adult_members=False, flag_minors=False)
    adult_out = linkage_decision(adult, {HH: rows}, {}, members_off)
    assert (adult_out.flagged, adult_out.reason) == (False, Reason.MEMBER_NOT_FLAGGED)
    assert linkage_decision(head, {HH: rows}, {}, members_off).flagged  # the head owes the premium
    # Turning 18 on the as-of date: an adult from that day.
    eighteen = policy_person("20000000004", date(2006, 11, 1))
    assert linkage_decision(eighteen, {HH: rows}, {}, LinkageParameters(as_of, **settings)).flagged
    assert not linkage_decision(
        eighteen, {HH: rows}, {}, LinkageParameters(date(2024, 10, 31), **settings)
    ).flagged
