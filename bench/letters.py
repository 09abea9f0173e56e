"""Letter printing benchmark (issue: reminder cases, multilingual letters, ex officio withdrawal).

  python -m bench.letters [--letters 10000] [--deadlines 3] [--sample 50] [--previews 10]

In a child process on a fresh PostgreSQL database (nhi_bench), with synthetic people only:
N residents, their enrollment cases and N queued letters are written with the ORM (a language
mix of vi, en, id, my, zh-Hans, ne; `--deadlines` reply deadlines; some letters addressed to a
head of household, some asking for proof of lost employee insurance). Then it measures:

1. the print-batch service (print_batch_create → print_batch_render: take the letters, check
   them, render one PDF with its cover sheet, store it, mark the letters printed) — seconds,
   letters/min and pages/s; target ≤ 3 minutes for 10,000 letters (≥ 3,300 letters/min);
2. a preview as the letter page makes it (content + render_letter), median of `--previews`;
   target ≤ 0.5 s;
3. one document per letter (render_letter for each of `--sample` letters) against the batch's
   cost per letter, as a ratio.

Each distinct deadline is another variant body in the batch (laid out once, ~0.3 s of CPU): a
real batch has one issue date and so one deadline; several make this a harder case.
The render uses worker processes (this process is not daemonic), as on a `-P solo` worker.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import date, timedelta

from bench.common import DATA, Timer, fresh_database, peak_rss_mb, run_child


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the engine's worker processes):
    unlike wall time, not inflated by other work on the machine."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


LG_CODE = "132101"
# nationality → share of letters; the language follows (VN→vi, PH→en, ID→id, MM→my, CN→zh-Hans, NP→ne)
NATIONALITIES = {"VN": 0.38, "PH": 0.14, "ID": 0.16, "MM": 0.12, "CN": 0.10, "NP": 0.10}
GIVEN = {
    "VN": ["VAN AN", "THI BINH", "VAN CUONG", "THI DUNG", "MINH HIEU", "THI LAN", "QUOC KHANH"],
    "PH": ["MARIA CLARA", "JOSE MIGUEL", "ANNA MAE", "JOHN PAUL", "KRISTINE JOY"],
    "ID": ["SITI NURHALIZA", "BUDI SANTOSO", "DEWI LESTARI", "AGUS SETIAWAN", "RINA WATI"],
    "MM": ["KYAW MIN", "THANDAR AYE", "MYO WIN", "SU SU HLAING", "ZAW ZAW"],
    "CN": ["XIAOMING", "LI NA", "JIANGUO", "MEIHUA", "HAOYU"],
    "NP": ["RAM BAHADUR", "SITA KUMARI", "BISHNU PRASAD", "GITA DEVI", "HARI KRISHNA"],
}
FAMILY = {
    "VN": ["NGUYEN", "TRAN", "LE", "PHAM", "HOANG", "VU"],
    "PH": ["SANTOS", "REYES", "CRUZ", "BAUTISTA", "GARCIA"],
    "ID": ["WIJAYA", "HIDAYAT", "SAPUTRA", "KURNIAWAN", "PRATAMA"],
    "MM": ["AUNG", "HTET", "NAING", "OO", "THEIN"],
    "CN": ["WANG", "LI", "ZHANG", "LIU", "CHEN"],
    "NP": ["GURUNG", "SHRESTHA", "TAMANG", "RAI", "THAPA"],
}
TOWNS = ["本町", "中町", "前原町", "東町", "緑町", "梶野町", "桜町", "貫井北町"]


def build_letters(municipality, count: int, deadlines: int, seed: int = 11) -> None:
    """`count` residents, each with an enrollment case and one queued letter."""
    from enrollment.models import CaseState, Letter, ReminderCase, Resident

    rng = random.Random(seed)
    codes, weights = zip(*NATIONALITIES.items(), strict=True)
    today = date.today()
    due = [today + timedelta(days=31 + 14 * i) for i in range(deadlines)]
    residents = []
    for i in range(count):
        nationality = rng.choices(codes, weights)[0]
        name = f"{rng.choice(FAMILY[nationality])} {rng.choice(GIVEN[nationality])}"
        town, block = (
            rng.choice(TOWNS),
            f"{rng.randint(1, 6)}丁目{rng.randint(1, 30)}番{rng.randint(1, 20)}号",
        )
        building = f" コーポ{town}{rng.randint(1, 4)}0{rng.randint(1, 9)}" if rng.random() < 0.7 else ""
        residents.append(
            Resident(
                municipality=municipality, resident_code=f"{50000000000 + i:011d}", name_alpha=name,
                sex=rng.choice("MF"), birth_date=date(1985, 1, 1) + timedelta(days=rng.randint(0, 6000)),
                nationality=nationality, residence_status="特定技能1号", lg_code=LG_CODE,
                address=f"東京都小金井市{town}{block}{building}",
                postal_code=f"184{rng.randint(0, 15):04d}", status="resident",
            )
        )  # fmt: skip
    Resident.objects.bulk_create(residents, batch_size=5000)
    residents = list(Resident.objects.filter(municipality=municipality).order_by("resident_code"))
    cases = ReminderCase.objects.bulk_create(
        [
            ReminderCase(municipality=municipality, resident=r, kind="enrollment", source="isa_1",
                         state=CaseState.LETTER_QUEUED, lost_employee_insurance=rng.random() < 0.25)
            for r in residents
        ],
        batch_size=5000,
    )  # fmt: skip
    from enrollment.cases.letters import address_lines
    from enrollment.letters import language_for_nationality

    letters = []
    for i, (resident, case) in enumerate(zip(residents, cases, strict=True)):
        head = residents[(i + 1) % count] if rng.random() < 0.1 else resident  # a head of household
        letters.append(
            Letter(
                municipality=municipality, case=case, kind="enrollment",
                number=f"{LG_CODE}-{today.year}-{i + 1:06d}",
                language=language_for_nationality(resident.nationality) or "ja",
                addressee_name=head.name_alpha, subject_name=resident.name_alpha if head is not resident else "",
                postal_code=head.postal_code, address_lines=list(address_lines(head.address)),
                lost_employee_insurance=case.lost_employee_insurance, deadline=rng.choice(due),
            )
        )  # fmt: skip
    Letter.objects.bulk_create(letters, batch_size=5000)


def child(count: int, deadlines: int, sample: int, previews: int) -> dict:
    """Runs inside the measured process."""
    import django

    django.setup()
    from enrollment.cases import printing
    from enrollment.cases.letters import layout, sender_for
    from enrollment.letters import render_letter
    from enrollment.letters.context import variant_of
    from enrollment.models import Letter
    from nhi_portal.services import municipality_for_code

    municipality = municipality_for_code(LG_CODE, create=True)
    municipality.address, municipality.postal_code = "東京都小金井市本町六丁目6番3号", "1848504"
    municipality.phone, municipality.mayor_title = "042-387-9999", "小金井市長"
    municipality.save()
    with Timer() as setup:
        build_letters(municipality, count, deadlines)

    page_layout, sender = layout(), sender_for(municipality)
    letters = list(Letter.objects.filter(municipality=municipality).select_related("case__resident"))
    variants = len({variant_of(printing.letter_content(lt)) for lt in letters})
    # Warm the process as a worker would be (fonts, templates): not part of the batch figure.
    render_letter(printing.letter_content(letters[0]), page_layout, sender)

    cpu = cpu_seconds()
    with Timer() as batch_timer:
        batch = printing.print_batch_create(
            municipality=municipality, kind="enrollment", second=False, user=None, enqueue=False
        )
        batch = printing.print_batch_render(batch_id=batch.pk)
    batch_cpu = cpu_seconds() - cpu
    if batch.status != "ready":
        raise SystemExit(f"print batch failed: {batch.error}")

    times, cpu = [], cpu_seconds()
    for letter in letters[:previews]:
        started = time.perf_counter()
        render_letter(printing.letter_content(Letter.objects.select_related("case__resident",
                      "municipality").get(pk=letter.pk)), page_layout, sender)  # fmt: skip
        times.append(time.perf_counter() - started)

    preview_cpu = (cpu_seconds() - cpu) / previews
    sampled = letters[previews : previews + sample]
    with Timer() as one_by_one:
        for letter in sampled:
            render_letter(printing.letter_content(letter), page_layout, sender)

    return {
        "letters": batch.letter_count,
        "pages": batch.page_count,
        "variants": variants,
        "pdf_mb": batch.pdf.size / 1e6,
        "setup_seconds": setup.seconds,
        "seconds": batch_timer.seconds,
        "cpu_seconds": batch_cpu,
        "preview_cpu": preview_cpu,
        "preview_median": statistics.median(times),
        "preview_max": max(times),
        "one_by_one_per_letter": one_by_one.seconds / len(sampled),
        "sample": len(sampled),
        "peak_mb": peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--letters", type=int, default=10_000)
    parser.add_argument("--deadlines", type=int, default=3)
    parser.add_argument("--sample", type=int, default=50)
    parser.add_argument("--previews", type=int, default=10)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.letters, args.deadlines, args.sample, args.previews)))
        return

    url = fresh_database()
    options = ["--letters", str(args.letters), "--deadlines", str(args.deadlines),
               "--sample", str(args.sample), "--previews", str(args.previews)]  # fmt: skip
    r = run_child("bench.letters", ["--child", *options], url)
    per_letter = r["seconds"] / r["letters"]
    rate = r["letters"] / r["seconds"] * 60
    print(f"\nprint batch: {r['letters']:,} letters, {r['pages']:,} pages, {r['variants']} variants, "
          f"{r['pdf_mb']:.1f} MB (data built in {r['setup_seconds']:.1f} s)")  # fmt: skip
    print(f"  service (create + render + store): {r['seconds']:7.1f} s  {rate:8,.0f} letters/min"
          f"  {r['pages'] / r['seconds']:6.1f} pages/s  (target at 10,000: ≤ 180 s, ≥ 3,300 letters/min)")  # fmt: skip
    print(f"  CPU (parent + workers)           : {r['cpu_seconds']:7.1f} s  {r['cpu_seconds'] / r['letters'] * 1000:.1f} ms/letter"
          f"  (÷ 2 = {r['cpu_seconds'] / 2:.0f} s: the floor on two free cores)")  # fmt: skip
    print(f"  preview (one letter)             : {r['preview_median']:7.2f} s median of {args.previews}"
          f" (max {r['preview_max']:.2f} s, CPU {r['preview_cpu']:.2f} s; target ≤ 0.5 s)")  # fmt: skip
    print(f"  one document per letter          : {r['one_by_one_per_letter']:7.3f} s/letter"
          f" (sample of {r['sample']}) vs {per_letter:.3f} s/letter batched"
          f" = {r['one_by_one_per_letter'] / per_letter:,.1f}×")  # fmt: skip
    print(f"  peak memory (parent)             : {r['peak_mb']:7,.0f} MB")
    out = DATA / "letters-results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({**r, "options": vars(args)}, indent=2))
    print(f"\nfigures written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
