"""Arrears benchmark (issue: arrears as of a date for 500,000 households in ≤ 60 s).

  python -m bench.arrears [--households 500000] [--as-of 2026-03-15] [--naive-sample 2000] [--no-python]

On a fresh PostgreSQL database of its own (BENCH_ARREARS_DATABASE, default nhi_bench_arrears),
it fills, with set-based SQL, one municipality with `households` households: every household has
the 10 instalments of FY2025 (due June–March), one in five also the 10 of FY2024, i.e. 6,000,000
instalments for 500,000 households, and about as many payment rows: on time by transfer, bank or
konbini, late, partial, a prepayment naming the first instalment, refunds, households that stop
paying, households that never pay. Then it times, each as a separate measurement:

1. the portal's query (arrears/engine.py: arrears per household as of the date) in PostgreSQL;
2. the naive way: for each household one ORM query for its instalments and one for its payments,
   then the Python reference rules (arrears/rules.py), on `naive-sample` households and scaled up
   to all of them;
3. the Python reference over all rows streamed in one pass (what the SQLite demo does), unless
   --no-python.

It checks that every way gives the same households, amounts and dates, and prints the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date

from bench.common import DATA, Timer, fresh_database

ARREARS_DB = os.environ.get("BENCH_ARREARS_DATABASE", "nhi_bench_arrears")
LG_CODE = "132101"


def _setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nhi_portal.settings.base")
    os.environ.setdefault("NHI_LOG_LEVEL", "WARNING")
    import django

    django.setup()


# A deterministic pseudo-random number in [0, 1000) for household h and salt s, in SQL.
_R = "(((({h}::bigint * 2654435761 + {s} * 40503) %% 4294967291) * 16807) %% 1000)"


def _r(h: str, salt: int) -> str:
    return _R.format(h=h, s=salt)


FILL_SQL = f"""
INSERT INTO receipts_assessment
    (municipality_id, household_head_code, fiscal_year, instalment, amount, due_date, is_current, line, recorded_at, note)
SELECT %(m)s, lpad((10000000000 + h)::text, 11, '0'), fy, k,
       (2000 + {_r("h", 1)} * 20)::int AS amount,
       (date_trunc('month', make_date(fy, 6, 1) + (k - 1) * interval '1 month') + interval '1 month - 1 day')::date,
       TRUE, 0, now(), ''
FROM generate_series(1, %(n)s) AS h
CROSS JOIN generate_series(2024, 2025) AS fy
CROSS JOIN generate_series(1, 10) AS k
WHERE fy = 2025 OR h %% 5 = 0;

-- Payments: one behaviour per household (r = 0..999).
WITH i AS (
    SELECT a.household_head_code AS hh, (a.household_head_code::bigint - 10000000000) AS h,
           a.fiscal_year AS fy, a.instalment AS k, a.amount, a.due_date,
           {_r("(a.household_head_code::bigint - 10000000000)", 2)} AS r
    FROM receipts_assessment a WHERE a.municipality_id = %(m)s
), rows AS (
    -- on time (70%%), by transfer, bank or konbini, up to 20 days before the due date; a third of
    -- them pay each instalment in two halves, the second half on the due date
    SELECT hh, fy, k, CASE WHEN r %% 3 = 0 THEN amount / 2 ELSE amount END,
           due_date - ({_r("h", 3)} %% 20)::int AS paid, r FROM i WHERE r < 700
    UNION ALL
    SELECT hh, fy, k, amount - amount / 2, due_date, r FROM i WHERE r < 700 AND r %% 3 = 0
    UNION ALL
    -- late (10%%): 10-160 days after the due date
    SELECT hh, fy, k, amount, due_date + (10 + {_r("h", 4)} %% 150)::int, r FROM i WHERE r >= 700 AND r < 800
    UNION ALL
    -- partial (8%%): 60%% of each instalment, on time
    SELECT hh, fy, k, (amount * 6 / 10)::int, due_date, r FROM i WHERE r >= 800 AND r < 880
    UNION ALL
    -- stop paying after the third instalment (5%%)
    SELECT hh, fy, k, amount, due_date, r FROM i WHERE r >= 880 AND r < 930 AND k <= 3
    UNION ALL
    -- prepayment (前納) of the whole year in April, naming instalment 1, plus a second payment
    -- in the autumn (4%%)
    SELECT hh, fy, 1, amount * 10, make_date(fy, 4, 20), r FROM i WHERE r >= 930 AND r < 970 AND k = 1
    UNION ALL
    SELECT hh, fy, 6, amount, due_date, r FROM i WHERE r >= 930 AND r < 970 AND k = 6
    -- 970-999: never pay (3%%)
)
INSERT INTO receipts_payment
    (municipality_id, household_head_code, fiscal_year, instalment, amount, paid_date, channel, receipt_number,
     line, recorded_at, note)
SELECT %(m)s, hh, fy, k, amount, paid,
       CASE WHEN r >= 930 AND r < 970 AND k = 1 THEN 'prepayment'
            ELSE (ARRAY['transfer', 'transfer', 'bank', 'konbini', 'counter'])[1 + (r %% 5)] END,
       '', 0, now(), ''
FROM rows WHERE paid <= %(as_of)s
UNION ALL
-- refunds (1%%): 1,000 yen back on instalment 2 of the households that paid it
SELECT %(m)s, hh, fy, 2, -1000, due_date + 30, 'refund', '', 0, now(), ''
FROM i WHERE k = 2 AND r < 700 AND h %% 100 = 7 AND due_date + 30 <= %(as_of)s;
"""


def fill(municipality_id: int, households: int, as_of: date) -> dict:
    from django.db import connection

    with Timer() as timer, connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute(FILL_SQL, {"m": municipality_id, "n": households, "as_of": as_of})
        cursor.execute("VACUUM ANALYZE receipts_assessment")
        cursor.execute("VACUUM ANALYZE receipts_payment")
        cursor.execute("SELECT count(*) FROM receipts_assessment")
        instalments = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM receipts_payment")
        payments = cursor.fetchone()[0]
    return {"instalments": instalments, "payments": payments, "fill_seconds": timer.seconds}


def measure_sql(municipality_id: int, as_of: date, runs: int) -> tuple[list, list[float]]:
    from arrears import engine

    times = []
    result: list = []
    for _ in range(runs):
        with Timer() as timer:
            result = engine.arrears_by_household(municipality_id=municipality_id, as_of=as_of)
        times.append(timer.seconds)
    return result, times


def measure_naive(municipality_id: int, as_of: date, sample: int) -> tuple[dict, float, int]:
    """The naive way: per household, one query for its instalments and one for its payments."""
    from arrears import rules
    from receipts.allocation import AssessedInstalment, PaymentRow
    from receipts.models import Assessment, Payment

    codes = list(
        Assessment.objects.filter(municipality_id=municipality_id, is_current=True)
        .order_by("household_head_code")
        .values_list("household_head_code", flat=True)
        .distinct()[:sample]
    )
    found = {}
    with Timer() as timer:
        for code in codes:
            instalments = [
                AssessedInstalment(*row)
                for row in Assessment.objects.filter(
                    municipality_id=municipality_id, household_head_code=code, is_current=True
                ).values_list("fiscal_year", "instalment", "amount", "due_date")
            ]
            payments = [
                PaymentRow(*row)
                for row in Payment.objects.filter(municipality_id=municipality_id, household_head_code=code)
                .filter(paid_date__lte=as_of)
                .values_list("fiscal_year", "instalment", "amount", "paid_date")
            ]
            result = rules.household_arrears(code, instalments, payments, as_of=as_of)
            if result is not None:
                found[code] = result
    return found, timer.seconds, len(codes)


def measure_python(municipality_id: int, as_of: date) -> tuple[list, float]:
    """The Python reference over every row, streamed in household order (two server-side cursors)."""
    from arrears import rules
    from receipts.allocation import AssessedInstalment, PaymentRow
    from receipts.models import Assessment, Payment

    with Timer() as timer:
        instalments = iter(
            Assessment.objects.filter(municipality_id=municipality_id, is_current=True)
            .order_by("household_head_code")
            .values_list("household_head_code", "fiscal_year", "instalment", "amount", "due_date")
            .iterator(chunk_size=20_000)
        )
        payments = iter(
            Payment.objects.filter(municipality_id=municipality_id, paid_date__lte=as_of)
            .order_by("household_head_code")
            .values_list("household_head_code", "fiscal_year", "instalment", "amount", "paid_date")
            .iterator(chunk_size=20_000)
        )
        out = []
        next_i, next_p = next(instalments, None), next(payments, None)
        while next_i is not None or next_p is not None:
            code = min(r[0] for r in (next_i, next_p) if r is not None)
            mine_i, mine_p = [], []
            while next_i is not None and next_i[0] == code:
                mine_i.append(AssessedInstalment(*next_i[1:]))
                next_i = next(instalments, None)
            while next_p is not None and next_p[0] == code:
                mine_p.append(PaymentRow(*next_p[1:]))
                next_p = next(payments, None)
            result = rules.household_arrears(code, mine_i, mine_p, as_of=as_of)
            if result is not None:
                out.append(result)
    return out, timer.seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--households", type=int, default=500_000)
    parser.add_argument("--as-of", default="2026-03-15")
    parser.add_argument("--naive-sample", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3, help="SQL runs (the best and every time are printed)")
    parser.add_argument("--no-python", action="store_true", help="skip the full Python reference pass")
    args = parser.parse_args()
    as_of = date.fromisoformat(args.as_of)

    url = fresh_database(ARREARS_DB)
    _setup_django(url)
    from django.db import connection

    from nhi_portal.services import municipality_for_code

    municipality = municipality_for_code(LG_CODE, create=True)
    print(f"filling {args.households:,} households …", flush=True)
    sizes = fill(municipality.pk, args.households, as_of)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('receipts_assessment') + pg_total_relation_size('receipts_payment'))"
        )
        size = cursor.fetchone()[0]
    print(
        f"  {sizes['instalments']:,} instalments, {sizes['payments']:,} payment rows ({size} with indexes),"
        f" filled in {sizes['fill_seconds']:.0f} s",
        flush=True,
    )

    sql_rows, sql_times = measure_sql(municipality.pk, as_of, args.runs)
    best = min(sql_times)
    print(f"\nPostgreSQL (arrears/engine.py) as of {as_of}: {len(sql_rows):,} households in arrears")
    print(
        f"  runs: {', '.join(f'{t:.1f} s' for t in sql_times)}; best {best:.1f} s (target ≤ 60 s)", flush=True
    )

    naive, naive_seconds, sampled = measure_naive(municipality.pk, as_of, args.naive_sample)
    households = args.households
    naive_all = naive_seconds / sampled * households
    print(
        f"\nnaive per-household loop (2 ORM queries + rules per household): {naive_seconds:.1f} s for {sampled:,} households"
    )
    print(
        f"  scaled to {households:,} households: ≈ {naive_all:,.0f} s  →  SQL is ≈ {naive_all / best:,.0f}× faster"
    )
    by_code = {r.household_head_code: r for r in sql_rows}
    sample_codes = sorted(naive)
    mismatches = [c for c in sample_codes if by_code.get(c) != naive[c]]
    in_sql_not_naive = [
        r.household_head_code
        for r in sql_rows
        if r.household_head_code <= max(sample_codes, default="") and r.household_head_code not in naive
    ]
    print(f"  sample check: {len(mismatches) + len(in_sql_not_naive)} differences", flush=True)

    result = {
        "households": args.households,
        "as_of": args.as_of,
        **sizes,
        "database_size": size,
        "households_in_arrears": len(sql_rows),
        "sql_seconds": sql_times,
        "naive_sample": sampled,
        "naive_seconds_sample": naive_seconds,
        "naive_seconds_scaled": naive_all,
        "ratio_naive_to_sql": naive_all / best,
    }
    if not args.no_python:
        py_rows, py_seconds = measure_python(municipality.pk, as_of)
        same = py_rows == sql_rows
        print(
            f"\nPython reference, one streamed pass over all rows: {py_seconds:.1f} s  →  SQL is {py_seconds / best:.1f}× faster"
        )
        print(f"  identical to SQL: {same}", flush=True)
        result.update(python_seconds=py_seconds, python_identical=same, ratio_python_to_sql=py_seconds / best)
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        result["postgres"] = cursor.fetchone()[0].split(" on ")[0]
    result["load_average"] = os.getloadavg()
    DATA.mkdir(parents=True, exist_ok=True)
    out = DATA / f"arrears-{args.households}.json"
    out.write_text(json.dumps(result, indent=2, default=str))
    print(
        f"\nload average {result['load_average'][0]:.1f} (2 cores, shared machine); figures written to {out}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
