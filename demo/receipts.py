"""Synthetic premium assessments (賦課), payments (収納) and instalment agreements (分納誓約) for the
NHI households of a generated demo data set. Pure Python, no Django.

    generate_receipts(Path("var/demo/…"), seed=1)

reads `residents.csv` and `nhi_ledger.csv` in that folder (written by `generator.generate`) and
writes beside them:

- `assessments.csv` — the ten instalments (期別, due at the end of June … March) of every household
  with an NHI member in each fiscal year, prorated from the month it joined; the remainder of the
  division in the first instalment, as municipalities do. A few reductions (減額更正) appear as a
  later row for the same household, year and instalment (a correction).
- `payments.csv` — what each household paid up to the as-of date (`receipt_number` makes re-sent
  rows harmless): most on time by account transfer, bank or konbini, some late, partly or not at
  all, a few prepaying (前納) the year in April, refunds (還付) after the reductions, and the
  instalments of agreements. Households whose head is a foreign national pay less often (DOMAIN.md
  §1: collection rate 63% against 93%).
- `instalment_agreements.csv` — agreements made by some households in arrears; most are kept.

Deterministic: the same folder and seed give the same bytes (one random.Random per household,
seeded from the seed and the household code; no clock)."""

from __future__ import annotations

import calendar
import csv
import json
import random
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

ASSESSMENT_HEADER = ("household_head_code", "fiscal_year", "instalment", "amount", "due_date")
PAYMENT_HEADER = (
    "household_head_code",
    "fiscal_year",
    "instalment",
    "amount",
    "paid_date",
    "channel",
    "receipt_number",
)
AGREEMENT_HEADER = ("household_head_code", "agreed_on", "first_due_date", "monthly_amount", "months", "note")

# Payment behaviour of a household for a year: (name, share for Japanese heads, share for foreign heads).
# Expected collection ≈ 96% for Japanese-headed and ≈ 63% for foreign-headed households.
BEHAVIOURS = (
    ("transfer", 0.55, 0.16),  # 口座振替 on the due date
    ("slip", 0.27, 0.16),  # bank or konbini slip, up to 20 days before the due date
    ("late", 0.08, 0.12),  # 5-120 days after the due date
    ("partial", 0.03, 0.12),  # part of most instalments
    ("stopped", 0.02, 0.17),  # pays the first instalments, then stops
    ("none", 0.01, 0.22),  # never pays
    ("prepay", 0.04, 0.05),  # 前納: the whole year in April
)
REDUCTION_SHARE = 0.01  # households whose assessment is reduced after they paid (→ refund)
AGREEMENT_SHARE = 0.25  # households in arrears for last year that sign an agreement
AGREEMENT_KEPT = 0.7


@dataclass
class ReceiptsSummary:
    as_of: str
    fiscal_years: list[int]
    households: int
    assessments: int
    corrections: int
    payments: int
    prepayments: int
    refunds: int
    agreements: int
    assessed: dict[str, int] = field(default_factory=dict)  # "all" / "foreign_head"
    collected: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2) + "\n"


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def due_dates(fiscal_year: int) -> list[date]:
    """Instalments 1-10: the end of June … the end of March."""
    return [_month_end(fiscal_year + (m < 4), m) for m in (6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]


def _fiscal_year_of(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def _iso(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def _read_households(out_dir: Path) -> tuple[dict[str, list[tuple[date, date | None]]], dict[str, str]]:
    periods: dict[str, list[tuple[date, date | None]]] = defaultdict(list)
    with (out_dir / "nhi_ledger.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            acquired = _iso(row["acquired_date"])
            if acquired is not None:
                periods[row["household_head_code"]].append((acquired, _iso(row["lost_date"])))
    nationality: dict[str, str] = {}
    with (out_dir / "residents.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["resident_code"] in periods:
                nationality[row["resident_code"]] = row["nationality"]
    return periods, nationality


def _default_as_of(out_dir: Path) -> date:
    summary = out_dir / "summary.json"
    if summary.exists():
        return date.fromisoformat(json.loads(summary.read_text(encoding="utf-8"))["register_date"])
    raise FileNotFoundError(f"{summary} is missing: pass as_of")


def _members_in_year(spans: list[tuple[date, date | None]], fiscal_year: int) -> tuple[int, date | None]:
    """(members insured at some point in the year, first day anyone was insured in it)."""
    start, end = date(fiscal_year, 4, 1), date(fiscal_year + 1, 3, 31)
    first = None
    count = 0
    for acquired, lost in spans:
        if acquired <= end and (lost is None or lost > start):
            count += 1
            begin = max(acquired, start)
            first = begin if first is None or begin < first else first
    return count, first


def _plan(rng: random.Random, members: int, first_day: date, fiscal_year: int) -> list[tuple[int, int, date]]:
    """(instalment, amount, due date) for the instalments due after the household joined."""
    dues = due_dates(fiscal_year)
    numbers = [k for k, due in enumerate(dues, start=1) if due >= first_day]
    if not numbers:
        return []
    annual = 30_000 + 42_000 * members + rng.randrange(0, 160_000)  # 平等割 + 均等割 + 所得割
    annual = annual * len(numbers) // 10 // 100 * 100
    each = annual // len(numbers) // 100 * 100
    first = annual - each * (len(numbers) - 1)
    return [(k, first if i == 0 else each, dues[k - 1]) for i, k in enumerate(numbers)]


def _behaviour(rng: random.Random, foreign: bool) -> str:
    roll = rng.random()
    for name, japanese, foreigner in BEHAVIOURS:
        share = foreigner if foreign else japanese
        if roll < share:
            return name
        roll -= share
    return BEHAVIOURS[0][0]


class _Receipts:
    def __init__(self) -> None:
        self.number = 0

    def next(self, fiscal_year: int) -> str:
        self.number += 1
        return f"R{fiscal_year}-{self.number:07d}"


def generate_receipts(
    out_dir: Path, *, seed: int = 1, as_of: date | None = None, fiscal_years: int = 2
) -> ReceiptsSummary:
    """Write assessments.csv, payments.csv and instalment_agreements.csv for the households of
    `out_dir`'s nhi_ledger.csv, payments up to `as_of` (default: the register date in summary.json),
    for the `fiscal_years` fiscal years up to the one `as_of` falls in."""
    out_dir = Path(out_dir)
    as_of = as_of or _default_as_of(out_dir)
    current = _fiscal_year_of(as_of)
    years = list(range(current - fiscal_years + 1, current + 1))
    periods, nationality = _read_households(out_dir)
    receipts = _Receipts()
    assessments: list[tuple] = []
    corrections: list[tuple] = []
    payments: list[tuple] = []
    agreements: list[tuple] = []
    totals = {"assessed": defaultdict(int), "collected": defaultdict(int)}
    households = 0

    def paid(code, year, k, amount, day, channel, foreign):
        if day > as_of:
            return
        payments.append((code, year, k, amount, day.isoformat(), channel, receipts.next(year)))
        totals["collected"]["all"] += amount
        if foreign:
            totals["collected"]["foreign_head"] += amount

    for code in sorted(periods):
        rng = random.Random(f"{seed}:receipts:{code}")
        foreign = nationality.get(code, "JP") not in ("JP", "")
        assessed_any = False
        last_year_overdue: list[tuple[int, int, int, date]] = []  # (year, k, unpaid, due)
        for year in years:
            members, first_day = _members_in_year(periods[code], year)
            if not members or first_day is None:
                continue
            plan = _plan(rng, members, first_day, year)
            if not plan:
                continue
            assessed_any = True
            for k, amount, due in plan:
                assessments.append((code, year, k, amount, due.isoformat()))
                totals["assessed"]["all"] += amount
                if foreign:
                    totals["assessed"]["foreign_head"] += amount
            behaviour = _behaviour(rng, foreign)
            if behaviour == "prepay" and plan[0][0] != 1:
                behaviour = "slip"  # joined during the year: no prepayment in April
            unpaid: list[tuple[int, int, int, date]] = []
            if behaviour == "prepay":
                day = date(year, 4, rng.randrange(10, 30))
                paid(code, year, plan[0][0], sum(a for _, a, _ in plan), day, "prepayment", foreign)
            else:
                stop = rng.randrange(1, 6)
                channel = (
                    "transfer"
                    if behaviour == "transfer"
                    else rng.choice(("bank", "konbini", "konbini", "counter"))
                )
                for index, (k, amount, due) in enumerate(plan):
                    if behaviour == "none" or (behaviour == "stopped" and index >= stop):
                        unpaid.append((year, k, amount, due))
                        continue
                    if behaviour == "transfer":
                        paid(code, year, k, amount, due, "transfer", foreign)
                    elif behaviour in ("slip", "stopped"):
                        paid(
                            code,
                            year,
                            k,
                            amount,
                            due - timedelta(days=rng.randrange(0, 20)),
                            channel,
                            foreign,
                        )
                    elif behaviour == "late":
                        paid(
                            code,
                            year,
                            k,
                            amount,
                            due + timedelta(days=rng.randrange(5, 120)),
                            channel,
                            foreign,
                        )
                    elif behaviour == "partial":
                        if rng.random() < 0.25:
                            unpaid.append((year, k, amount, due))
                            continue
                        part = amount * rng.randrange(40, 80) // 100 // 100 * 100
                        paid(
                            code, year, k, part, due - timedelta(days=rng.randrange(0, 10)), channel, foreign
                        )
                        unpaid.append((year, k, amount - part, due))
            # A reduction (減額更正) after payment: a correcting row, and the excess refunded.
            if (
                behaviour in ("transfer", "slip", "prepay")
                and rng.random() < REDUCTION_SHARE
                and len(plan) > 3
            ):
                k, amount, due = plan[2]
                cut = min(amount - 100, rng.randrange(1, 10) * 1000)
                corrections.append((code, year, k, amount - cut, due.isoformat()))
                totals["assessed"]["all"] -= cut
                if foreign:
                    totals["assessed"]["foreign_head"] -= cut
                paid(code, year, k, -cut, due + timedelta(days=rng.randrange(30, 60)), "refund", foreign)
            if year == years[0] and len(years) > 1:
                last_year_overdue = [u for u in unpaid if u[3] < date(year + 1, 4, 1)]
        if assessed_any:
            households += 1
        # Some households in arrears for last year sign an agreement this year; most keep it.
        debt = sum(u[2] for u in last_year_overdue)
        if debt >= 10_000 and rng.random() < AGREEMENT_SHARE:
            agreed_on = date(current, rng.randrange(5, 10), rng.randrange(1, 28))
            if agreed_on < as_of:
                monthly = max(5_000, -(-debt // 12) // 1000 * 1000)
                months = -(-debt // monthly)
                first_due = _month_end(agreed_on.year, agreed_on.month)
                agreements.append(
                    (
                        code,
                        agreed_on.isoformat(),
                        first_due.isoformat(),
                        monthly,
                        months,
                        "デモ: 窓口で分納相談",
                    )
                )
                kept = rng.random() < AGREEMENT_KEPT
                year, first_k = last_year_overdue[0][0], last_year_overdue[0][1]
                for n in range(months if kept else rng.randrange(0, 3)):
                    day = _month_end(
                        first_due.year + (first_due.month + n - 1) // 12, (first_due.month + n - 1) % 12 + 1
                    )
                    paid(
                        code,
                        year,
                        first_k,
                        monthly,
                        day - timedelta(days=rng.randrange(0, 5)),
                        "counter",
                        foreign,
                    )

    _write(out_dir / "assessments.csv", ASSESSMENT_HEADER, [*assessments, *corrections])
    payments.sort(key=lambda p: (p[4], p[0], p[1], p[2]))
    _write(out_dir / "payments.csv", PAYMENT_HEADER, payments)
    _write(out_dir / "instalment_agreements.csv", AGREEMENT_HEADER, agreements)
    summary = ReceiptsSummary(
        as_of=as_of.isoformat(),
        fiscal_years=years,
        households=households,
        assessments=len(assessments),
        corrections=len(corrections),
        payments=len(payments),
        prepayments=sum(1 for p in payments if p[5] == "prepayment"),
        refunds=sum(1 for p in payments if p[5] == "refund"),
        agreements=len(agreements),
        assessed=dict(totals["assessed"]),
        collected=dict(totals["collected"]),
        files=["assessments.csv", "payments.csv", "instalment_agreements.csv"],
    )
    (out_dir / "receipts_summary.json").write_text(summary.to_json(), encoding="utf-8")
    return summary


def _write(path: Path, header: tuple, rows: list[tuple]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
