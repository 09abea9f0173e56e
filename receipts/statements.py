"""The payment status statement (納付状況証明書) as PDF: A4 portrait, Noto Sans CJK JP, Japanese
era dates, the office as issuer — the layout rules of the letters (enrollment/letters), rendered by
the same WeasyPrint pipeline (`enrollment.letters.pdf`). Templates: templates/receipts/statement.html
and statement.css."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.template.loader import render_to_string

from enrollment.cases.letters import sender_for
from enrollment.letters.pdf import RenderJob, render_job
from nhi_portal.domain.wareki import era_of, format_wareki
from receipts.selectors import HouseholdAccount


def wareki(day: date | None) -> str:
    return format_wareki(day, with_western=False) if day else "—"


def fiscal_year_label(year: int) -> str:
    """令和7年度（2025年度）."""
    era = era_of(date(year, 4, 1))
    number = year - era.first_year + 1
    return f"{era.name}{'元' if number == 1 else number}年度（{year}年度）"


@dataclass(frozen=True)
class StatementFacts:
    number: str
    issue_date: date
    resident_name: str
    resident_name_is_latin: bool
    resident_birth_date: date | None
    resident_address: str
    head_name: str
    purpose: str


def statement_context(account: HouseholdAccount, facts: StatementFacts, municipality, fiscal_years) -> dict:
    years = [y for y in account.years if y.fiscal_year in set(fiscal_years)]
    shown_payments = [
        p for p in account.payments if p.fiscal_year in set(fiscal_years) and p.paid_date <= account.as_of
    ]
    sender = sender_for(municipality)
    return {
        "facts": facts,
        "issue_date": format_wareki(facts.issue_date),
        "as_of": format_wareki(account.as_of),
        "birth_date": wareki(facts.resident_birth_date),
        "sender": sender,
        "years": [
            {
                "label": fiscal_year_label(y.fiscal_year),
                "rows": [
                    {**r, "due_date_ja": wareki(r["due_date"])} for r in y.rows if r["due_date"] is not None
                ],
                "assessed": sum(r["assessed"] for r in y.rows),
                "paid": sum(r["paid"] for r in y.rows),
                "overdue": y.overdue_amount,
                "not_yet_due": sum(r["remainder"] for r in y.rows if not r["due"]),
                "paid_ahead": y.paid_ahead,
                "credit": y.account.credit,
            }
            for y in years
        ],
        "payments": [
            {
                "paid_date": wareki(p.paid_date),
                "fiscal_year": fiscal_year_label(p.fiscal_year),
                "instalment": p.instalment,
                "amount": p.amount,
                "channel": p.get_channel_display(),
            }
            for p in shown_payments
        ],
        "covered_ahead": [
            {**r, "label": fiscal_year_label(r["fiscal_year"]), "due_date_ja": wareki(r["due_date"])}
            for r in account.covered_ahead
            if r["fiscal_year"] in set(fiscal_years)
        ],
        "overdue_total": sum(y.overdue_amount for y in years),
        "household_head_code": account.household_head_code,
    }


def render_statement(context: dict) -> bytes:
    html = render_to_string("receipts/statement.html", context)
    css = render_to_string("receipts/statement.css", {})
    return render_job(RenderJob(html, css)).pdf
