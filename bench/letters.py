"""Letter printing benchmark (issue 14: letters a foreign resident can act on).

  BENCH_DATABASE=nhi_letters_bench python -m bench.letters [--letters 10000] [--sample 30] [--previews 10]

In a child process on a fresh PostgreSQL database (BENCH_DATABASE, default nhi_bench), with
synthetic people only: N residents and N letters of every kind — enrollment and withdrawal
reminders, the second reminder of each, and welcome letters (加入のお知らせ) of closed cases — in
every language (a mix of Japanese only, vi, en, id, my, zh-Hans, ne; some addressed to a head of
household, some for Japanese nationals). Then it measures:

1. the print-batch service for every kind (print_batch_create → print_batch_render: take the
   letters, check them, render one PDF with its cover sheet, store it, mark them printed), all
   kinds together — seconds and letters/min; target ≤ 60 s for 10,000 letters;
2. the sheets: how many letters are one side of one sheet, both sides of one sheet, or more
   (target: Japanese only on one sheet, bilingual on one sheet printed on both sides; a
   withdrawal reminder's reply form is a sheet of its own);
3. a preview as the letter page makes it (content + render_letter), median of `--previews`
   letters of variants already laid out (target ≤ 0.2 s), the first preview of a variant
   no process has laid out yet, and the first preview of a variant the letters worker laid out
   ahead (warm_bodies into the shared store) in a process that laid out nothing itself;
4. one document per letter (render_letter for `--sample` letters of new variants) against the
   batch's cost per letter.

The render uses worker processes (this process is not daemonic), as on a `-P solo` worker.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import time
from contextlib import ExitStack
from dataclasses import replace
from datetime import date, timedelta

from bench.common import DATA, Timer, fresh_database, peak_rss_mb, run_child


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the engine's worker processes):
    unlike wall time, not inflated by other work on the machine."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


LG_CODE = "132101"
# nationality → share of letters; the language follows (JP→Japanese only, VN→vi, PH→en, …)
NATIONALITIES = {"VN": 0.32, "PH": 0.12, "ID": 0.14, "MM": 0.12, "CN": 0.10, "NP": 0.10, "JP": 0.10}
GIVEN = {
    "VN": ["VAN AN", "THI BINH", "VAN CUONG", "THI DUNG", "MINH HIEU", "THI LAN", "QUOC KHANH"],
    "PH": ["MARIA CLARA", "JOSE MIGUEL", "ANNA MAE", "JOHN PAUL", "KRISTINE JOY"],
    "ID": ["SITI NURHALIZA", "BUDI SANTOSO", "DEWI LESTARI", "AGUS SETIAWAN", "RINA WATI"],
    "MM": ["KYAW MIN", "THANDAR AYE", "MYO WIN", "SU SU HLAING", "ZAW ZAW"],
    "CN": ["XIAOMING", "LI NA", "JIANGUO", "MEIHUA", "HAOYU"],
    "NP": ["RAM BAHADUR", "SITA KUMARI", "BISHNU PRASAD", "GITA DEVI", "HARI KRISHNA"],
    "JP": ["TARO", "HANAKO", "ICHIRO", "YUKI", "KENTA"],
}
FAMILY = {
    "VN": ["NGUYEN", "TRAN", "LE", "PHAM", "HOANG", "VU"],
    "PH": ["SANTOS", "REYES", "CRUZ", "BAUTISTA", "GARCIA"],
    "ID": ["WIJAYA", "HIDAYAT", "SAPUTRA", "KURNIAWAN", "PRATAMA"],
    "MM": ["AUNG", "HTET", "NAING", "OO", "THEIN"],
    "CN": ["WANG", "LI", "ZHANG", "LIU", "CHEN"],
    "NP": ["GURUNG", "SHRESTHA", "TAMANG", "RAI", "THAPA"],
    "JP": ["YAMADA", "SATO", "SUZUKI", "TANAKA", "ITO"],
}
TOWNS = ["本町", "中町", "前原町", "東町", "緑町", "梶野町", "桜町", "貫井北町"]
# (letter kind, second reminder) → share of letters
KINDS = {("enrollment", False): 0.35, ("withdrawal", False): 0.2, ("enrollment", True): 0.15,
         ("withdrawal", True): 0.1, ("welcome", False): 0.2}  # fmt: skip


def build_letters(municipality, count: int, seed: int = 11) -> None:
    """`count` residents, each with a case and one queued letter of a kind drawn from KINDS."""
    from enrollment.cases.letters import address_lines
    from enrollment.letters import language_for_nationality
    from enrollment.models import CaseState, Letter, ReminderCase, Resident

    rng = random.Random(seed)
    codes, weights = zip(*NATIONALITIES.items(), strict=True)
    kinds, kind_weights = zip(*KINDS.items(), strict=True)
    today = date.today()
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
                nationality=nationality, residence_status="特定技能1号" if nationality != "JP" else "",
                lg_code=LG_CODE, address=f"東京都小金井市{town}{block}{building}",
                postal_code=f"184{rng.randint(0, 15):04d}", status="resident",
            )
        )  # fmt: skip
    Resident.objects.bulk_create(residents, batch_size=5000)
    residents = list(Resident.objects.filter(municipality=municipality).order_by("resident_code"))
    drawn = [rng.choices(kinds, kind_weights)[0] for _ in residents]
    states = {("enrollment", False): CaseState.LETTER_QUEUED, ("withdrawal", False): CaseState.LETTER_QUEUED,
              ("enrollment", True): CaseState.SECOND_QUEUED, ("withdrawal", True): CaseState.SECOND_QUEUED,
              ("welcome", False): CaseState.CLOSED}  # fmt: skip
    cases = ReminderCase.objects.bulk_create(
        [
            ReminderCase(municipality=municipality, resident=r, kind="withdrawal" if kind == "withdrawal" else "enrollment",
                         source="isa_1", state=states[kind, second], lost_employee_insurance=rng.random() < 0.25,
                         close_reason="enrolled" if kind == "welcome" else "")
            for r, (kind, second) in zip(residents, drawn, strict=True)
        ],
        batch_size=5000,
    )  # fmt: skip
    first_sent = today - timedelta(days=45)
    letters = []
    for i, (resident, case, (kind, second)) in enumerate(zip(residents, cases, drawn, strict=True)):
        head = residents[(i + 1) % count] if rng.random() < 0.1 else resident  # a head of household
        letters.append(
            Letter(
                municipality=municipality, case=case, kind=kind, second=second,
                number=f"{LG_CODE}-{today.year}-{i + 1:06d}",
                language=language_for_nationality(resident.nationality) or "ja",
                addressee_name=head.name_alpha, subject_name=resident.name_alpha if head is not resident else "",
                postal_code=head.postal_code, address_lines=list(address_lines(head.address)),
                ex_officio_notice=kind == "withdrawal",
                lost_employee_insurance=case.lost_employee_insurance and kind == "enrollment",
                first_letter_date=first_sent if second else None,
            )
        )  # fmt: skip
    Letter.objects.bulk_create(letters, batch_size=5000)


def child(count: int, sample: int, previews: int) -> dict:
    """Runs inside the measured process."""
    import django

    django.setup()
    from collections import Counter

    from django.conf import settings

    from enrollment.cases import printing
    from enrollment.cases.letters import layout, sender_for
    from enrollment.letters import render_letter, warm_bodies
    from enrollment.letters.context import variant_of
    from enrollment.letters.render import _BODY_CACHE, sheet_shape
    from enrollment.models import Letter
    from nhi_portal.scoping import municipality_scope
    from nhi_portal.services import municipality_for_code

    # No body laid out by an earlier run: every figure starts cold.
    if settings.NHI_LETTER_BODY_DIR:
        shutil.rmtree(settings.NHI_LETTER_BODY_DIR, ignore_errors=True)
    municipality = municipality_for_code(LG_CODE, create=True)
    # Every query as the letters page and its print worker make them: inside the municipality.
    scope = ExitStack()
    scope.enter_context(municipality_scope(municipality.pk))
    municipality.address, municipality.postal_code = "東京都小金井市本町六丁目6番3号", "1848504"
    municipality.phone, municipality.mayor_title = "042-387-9999", "小金井市長"
    municipality.office_name_latin = "Koganei City Hall, Insurance and Pension Division"
    municipality.address_latin, municipality.counter = (
        "6-6-3 Honcho, Koganei-shi, Tokyo",
        "第二庁舎1階 5番窓口",
    )
    municipality.counter_latin, municipality.opening_hours_latin = "Annex 1F, Counter 5", "Mon-Fri 8:30-17:15"
    municipality.interpreter_service = "窓口で タブレット通訳を 使えます"
    municipality.interpreter_service_latin = "tablet interpreter at the counter"
    municipality.prepayment_allowed = True
    municipality.save()
    with Timer() as setup:
        build_letters(municipality, count)

    page_layout, sender = layout(), sender_for(municipality)
    letters = list(Letter.objects.filter(municipality=municipality).select_related("case__resident"))
    contents = {lt.pk: printing.letter_content(lt) for lt in letters}
    variants = len({variant_of(c) for c in contents.values()})
    # Warm the process as a worker would be (fonts, templates): not part of the batch figure.
    render_letter(printing.letter_content(letters[0]), page_layout, sender)
    _BODY_CACHE.clear()

    cpu = cpu_seconds()
    batches = []
    with Timer() as batch_timer:
        for kind, second in printing.GROUP_SLUGS.values():
            batch = printing.print_batch_create(
                municipality=municipality, kind=kind, second=second, user=None, enqueue=False
            )
            batch = printing.print_batch_render(batch_id=batch.pk)
            if batch.status != "ready":
                raise SystemExit(f"print batch {kind} second={second} failed: {batch.error}")
            batches.append(batch)
    batch_cpu = cpu_seconds() - cpu
    per_variant = Counter(variant_of(c) for c in contents.values())
    shapes: Counter = Counter()
    for key, (_, body) in _BODY_CACHE.items():
        shapes[sheet_shape(body)] += per_variant[key[0]]
    # A variant's body as printed: bilingual letters on two sides of one sheet, Japanese-only on one.
    languages = Counter((c.foreign_language is None, c.kind.value) for c in contents.values())

    def preview(letter) -> float:
        started = time.perf_counter()
        fresh = Letter.objects.select_related("case__resident", "municipality").get(pk=letter.pk)
        render_letter(printing.letter_content(fresh), page_layout, sender)
        return time.perf_counter() - started

    cpu = cpu_seconds()
    times = [preview(letter) for letter in letters[:previews]]
    preview_cpu = (cpu_seconds() - cpu) / previews
    # New variants: a first preview that lays out its body (a letter issued on another day).
    fresh_variants = [replace(contents[lt.pk], issue_date=contents[lt.pk].issue_date - timedelta(days=3 + i))
                      for i, lt in enumerate(letters[previews : previews + sample])]  # fmt: skip
    with Timer() as one_by_one:
        for content in fresh_variants:
            render_letter(content, page_layout, sender)
    # As a clerk meets a letter queued today: the letters worker has laid out today's variants
    # (warm_bodies, after the nightly batch and after midnight) into the shared store; the
    # preview runs in a web process that laid out nothing (here: this process's cache emptied).
    warmed = [
        replace(c, deadline=c.deadline + timedelta(days=7))
        if c.deadline
        else replace(c, issue_date=c.issue_date - timedelta(days=60))
        for c in fresh_variants
    ]
    cpu = cpu_seconds()
    with Timer() as warm_timer:
        warm_bodies(warmed, page_layout, sender)
    warm_cpu = cpu_seconds() - cpu
    _BODY_CACHE.clear()
    warmed_times = []
    cpu = cpu_seconds()
    for content in warmed:
        started = time.perf_counter()
        render_letter(content, page_layout, sender)
        warmed_times.append(time.perf_counter() - started)
    warmed_cpu = (cpu_seconds() - cpu) / len(warmed)

    scope.close()
    return {
        "letters": sum(b.letter_count for b in batches),
        "pages": sum(b.page_count for b in batches),
        "batches": [(printing.group_label(b.kind, b.second), b.letter_count, b.page_count) for b in batches],
        "variants": variants,
        "shapes": sorted(shapes.items()),
        "japanese_only": sum(n for (ja, _), n in languages.items() if ja),
        "pdf_mb": sum(b.pdf.size for b in batches) / 1e6,
        "setup_seconds": setup.seconds,
        "seconds": batch_timer.seconds,
        "cpu_seconds": batch_cpu,
        "preview_cpu": preview_cpu,
        "preview_median": statistics.median(times),
        "preview_max": max(times),
        "one_by_one_per_letter": one_by_one.seconds / len(fresh_variants),
        "warm_seconds": warm_timer.seconds,
        "warm_cpu": warm_cpu,
        "warmed_variants": len({variant_of(c) for c in warmed}),
        "warmed_median": statistics.median(warmed_times),
        "warmed_max": max(warmed_times),
        "warmed_cpu": warmed_cpu,
        "sample": len(fresh_variants),
        "peak_mb": peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--letters", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=30)
    parser.add_argument("--previews", type=int, default=10)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.letters, args.sample, args.previews)))
        return

    url = fresh_database()
    options = ["--letters", str(args.letters), "--sample", str(args.sample), "--previews", str(args.previews)]
    r = run_child("bench.letters", ["--child", *options], url)
    per_letter = r["seconds"] / r["letters"]
    rate = r["letters"] / r["seconds"] * 60
    print(f"\nprint batches: {r['letters']:,} letters ({r['japanese_only']:,} Japanese only), {r['pages']:,} pages,"
          f" {r['variants']} variants, {r['pdf_mb']:.1f} MB (data built in {r['setup_seconds']:.1f} s)")  # fmt: skip
    for label, letters, pages in r["batches"]:
        print(f"  {label:<12} {letters:6,} letters {pages:7,} pages")
    print(f"  service, every kind (create + render + store): {r['seconds']:7.1f} s  {rate:8,.0f} letters/min"
          f"  (target at 10,000: ≤ 60 s)")  # fmt: skip
    print(f"  CPU (parent + workers)           : {r['cpu_seconds']:7.1f} s  {r['cpu_seconds'] / r['letters'] * 1000:.1f} ms/letter"
          f"  (÷ 2 = {r['cpu_seconds'] / 2:.0f} s: the floor on two free cores)")  # fmt: skip
    print("  sheets per letter (variants as laid out):")
    for shape, n in r["shapes"]:
        print(f"    {shape:<24} {n:6,} letters")
    print(f"  preview (one letter)             : {r['preview_median']:7.3f} s median of {args.previews}"
          f" (max {r['preview_max']:.3f} s, CPU {r['preview_cpu']:.3f} s; target ≤ 0.2 s)")  # fmt: skip
    print(f"  first preview of a new variant   : {r['one_by_one_per_letter']:7.3f} s/letter"
          f" (sample of {r['sample']}) vs {per_letter:.4f} s/letter batched"
          f" = {r['one_by_one_per_letter'] / per_letter:,.1f}×")  # fmt: skip
    print(f"  first preview, variant laid out ahead by the letters worker (warm_bodies, {r['warmed_variants']} variants in"
          f" {r['warm_seconds']:.1f} s, {r['warm_cpu']:.1f} s CPU), in a process that laid out nothing:"
          f" {r['warmed_median']:.3f} s median (max {r['warmed_max']:.3f} s, CPU {r['warmed_cpu']:.3f} s; target ≤ 0.2 s)")  # fmt: skip
    print(f"  peak memory (parent)             : {r['peak_mb']:7,.0f} MB")
    out = DATA / "letters-results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({**r, "options": vars(args)}, indent=2))
    print(f"\nfigures written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
