"""Writes of the receipts app: single corrections (the admin; files go through the intake) and the
payment status statement. Keyword-only, one transaction each."""

from __future__ import annotations

import hashlib
import logging
from datetime import date

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from enrollment.models import Resident
from nhi_portal.changelog import log_instance_change
from receipts import selectors
from receipts.intake import assessments_make_current, due_date_problem
from receipts.models import Assessment, Payment, PaymentStatement
from receipts.statements import StatementFacts, render_statement, statement_context

logger = logging.getLogger(__name__)


class StatementRefused(Exception):
    pass


@transaction.atomic
def assessment_record(*, assessment: Assessment, user) -> Assessment:
    """Record one assessment row by hand (更正, the admin): it becomes the current one for its
    household, fiscal year and instalment; the earlier row stays as history. Logged in the ChangeLog."""
    if assessment.amount is None or assessment.amount < 0:
        raise ValidationError({"amount": "賦課額に負の値は使えません。"})
    if problem := due_date_problem(assessment.due_date, assessment.fiscal_year):
        raise ValidationError({"due_date": problem})
    assessment.municipality_id = user.municipality_id
    assessment.is_current = False
    assessment.recorded_by = user
    assessment.full_clean(exclude=["municipality", "batch", "recorded_by"])
    assessment.save()
    assessments_make_current(batch_id=None, municipality_id=user.municipality_id, ids=[assessment.pk])
    log_instance_change(user=user, instance=assessment, before=None)
    assessment.refresh_from_db()
    return assessment


@transaction.atomic
def payment_record(*, payment: Payment, user) -> Payment:
    """Record one payment, prepayment or refund by hand (e.g. a counter payment not yet in a file)."""
    payment.municipality_id = user.municipality_id
    payment.recorded_by = user
    payment.full_clean(exclude=["municipality", "batch", "recorded_by"])
    payment.save()
    log_instance_change(user=user, instance=payment, before=None)
    return payment


def _next_number(municipality, year: int) -> str:
    prefix = f"{municipality.lg_code}-S{year}-"
    last = (
        PaymentStatement.objects.filter(municipality=municipality, number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return f"{prefix}{(int(last.rsplit('-', 1)[1]) + 1) if last else 1:06d}"


def statement_issue(
    *, user, resident: Resident, as_of: date, fiscal_years: list[int], purpose: str = ""
) -> PaymentStatement:
    """Issue a payment status statement (納付状況証明書) for the resident's household as of a date:
    number it, render the PDF, keep it with its SHA-256 and who issued it."""
    if resident.municipality_id != user.municipality_id:
        raise StatementRefused("この自治体の住民ではありません。")
    if as_of > timezone.localdate():
        raise StatementRefused("基準日に未来の日付は指定できません。")
    code = selectors.household_of(resident, on=as_of)
    account = selectors.household_account(user=user, household_head_code=code, as_of=as_of)
    available = {y.fiscal_year for y in account.years}
    years = sorted(set(fiscal_years) & available)
    if not years:
        raise StatementRefused("この世帯には、指定された年度の保険料の賦課がありません。")
    municipality = user.municipality
    head = account.head
    for _attempt in range(3):
        try:
            with transaction.atomic():
                today = timezone.localdate()
                number = _next_number(municipality, today.year)
                facts = StatementFacts(
                    number=number,
                    issue_date=today,
                    resident_name=resident.name_alpha or resident.name_kanji or resident.name_kana,
                    resident_name_is_latin=bool(resident.name_alpha),
                    resident_birth_date=resident.birth_date,
                    resident_address=resident.address,
                    head_name=(head.name_kanji or head.name_alpha or head.name_kana) if head else "",
                    purpose=purpose,
                )
                pdf = render_statement(statement_context(account, facts, municipality, years))
                statement = PaymentStatement.objects.create(
                    municipality=municipality,
                    number=number,
                    resident=resident,
                    resident_code=resident.resident_code,
                    household_head_code=code,
                    as_of=as_of,
                    fiscal_years=years,
                    purpose=purpose,
                    issued_by=user,
                    sha256=hashlib.sha256(pdf).hexdigest(),
                )
                statement.file.save(f"{number}.pdf", ContentFile(pdf), save=True)
        except IntegrityError:
            continue  # two clerks took the same number at the same moment: take the next
        logger.info("statement %s issued by user %s", statement.number, user.pk)
        return statement
    raise StatementRefused("証明番号を採番できませんでした。もう一度お試しください。")
