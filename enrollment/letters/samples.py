"""Sample letters (synthetic people only) and a script that renders a PNG of every page of every
letter kind in every language into docs/letters/, so a person can look at the layout.

    DJANGO_SETTINGS_MODULE=nhi_portal.settings.test python -m enrollment.letters.samples [out_dir]
    DJANGO_SETTINGS_MODULE=nhi_portal.settings.test python -m enrollment.letters.samples --bench 1000

Needs poppler-utils (pdftoppm).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path

from .content import LayoutConfig, LetterContent, LetterKind, Sender
from .languages import LANGUAGES

DOCS_DIR = Path(__file__).resolve().parents[2] / "docs" / "letters"

SAMPLE_SENDER = Sender(
    municipality_name="小金井市",
    department="市民部 保険年金課",
    postal_code="184-8504",
    address="東京都小金井市本町6丁目6番3号",
    phone="042-387-9999",
    opens="8:30",
    closes="17:15",
    issuer="小金井市長",
    office_latin="Koganei City Hall, Insurance and Pension Division",
    counter="第二庁舎1階 5番窓口",
    address_latin="6-6-3 Honcho, Koganei-shi, Tokyo",
    counter_latin="Annex Building 1F, Counter 5",
    hours="平日 8時30分〜17時15分",
    hours_latin="Mon–Fri 8:30–17:15",
    interpreter="窓口で タブレット通訳（やく）を 使（つか）えます（英語・ベトナム語・中国語 など 13言語）",
    interpreter_latin="tablet interpreter at the counter (English, Vietnamese, Chinese and 10 more languages)",
    prepayment=True,
)

# One synthetic resident per letter language; nationality picks the language.
SAMPLE_PEOPLE: dict[str, tuple[str, str]] = {
    "ja": ("山田 太郎", "JP"),
    "en": ("SANTOS MARIA CLARA", "PH"),
    "vi": ("NGUYEN VAN AN", "VN"),
    "id": ("SITI NURHALIZA", "ID"),
    "my": ("AUNG KYAW MIN", "MM"),
    "zh-Hans": ("WANG XIAOMING", "CN"),
    "ne": ("RAM BAHADUR GURUNG", "NP"),
}

SAMPLE_KINDS = ("enrollment", "withdrawal", "enrollment_second", "withdrawal_second", "welcome")


def sample_letter(kind: str = "enrollment", lang: str = "vi", number: int = 123) -> LetterContent:
    """A synthetic letter: `kind` is one of SAMPLE_KINDS, `lang` a key of SAMPLE_PEOPLE."""
    name, nationality = SAMPLE_PEOPLE[lang]
    base_kind, _, second = kind.partition("_")
    letter_kind = LetterKind(base_kind)
    withdrawal = letter_kind == LetterKind.WITHDRAWAL
    if letter_kind == LetterKind.WELCOME:
        deadline = None
    else:
        deadline = date(2026, 12, 25) if not second else date(2027, 2, 12)
    return LetterContent(
        kind=letter_kind,
        letter_number=f"132101-2026-{number:06d}",
        issue_date=date(2026, 11, 25) if not second else date(2027, 1, 8),
        deadline=deadline,
        postal_code="1840004",
        address_lines=("東京都小金井市本町1丁目2番3号", "コーポ本町101"),
        addressee_name=name,
        subject_name=name,
        nationality=nationality,
        second=bool(second),
        first_letter_date=date(2026, 11, 25) if second else None,
        ex_officio_notice=withdrawal,
        lost_employee_insurance=letter_kind == LetterKind.ENROLLMENT,
    )


def sample_batch(count: int) -> list[LetterContent]:
    """`count` letters cycling through every kind and language (for benchmarks)."""
    combos = [(k, lang) for k in SAMPLE_KINDS for lang in SAMPLE_PEOPLE]
    letters = []
    for i in range(count):
        kind, lang = combos[i % len(combos)]
        letter = sample_letter(kind, lang, number=i + 1)
        letters.append(replace(letter, postal_code=f"184{i % 10000:04d}"))
    return letters


def write_pngs(out_dir: Path, layout: LayoutConfig | None = None, *, resolution: int = 60) -> list[Path]:
    """Render every kind × language and save each page as a PNG in `out_dir`:
    <kind>_<lang>-1.png (front), -2.png (back of a bilingual sheet), -form.png (the reply form of
    a withdrawal reminder, a sheet of its own). Earlier images of these letters are removed first,
    so a page that no longer exists does not linger."""
    from .render import render_letter

    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise RuntimeError("pdftoppm (poppler-utils) is not installed")
    layout = layout or LayoutConfig()
    out_dir.mkdir(parents=True, exist_ok=True)
    for kind in SAMPLE_KINDS:
        for old in out_dir.glob(f"{kind}_*.png"):
            old.unlink()
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in SAMPLE_KINDS:
            for lang in LANGUAGES:
                letter = sample_letter(kind, lang)
                pdf = Path(tmp) / f"{kind}_{lang}.pdf"
                pdf.write_bytes(render_letter(letter, layout, SAMPLE_SENDER))
                prefix = Path(tmp) / f"{kind}_{lang}"
                subprocess.run(  # noqa: S603 - fixed program and our own paths
                    [pdftoppm, "-r", str(resolution), "-png", pdf, prefix], check=True
                )
                pages = sorted(
                    Path(tmp).glob(f"{kind}_{lang}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1])
                )
                names = [f"{kind}_{lang}-{n}.png" for n in range(1, len(pages) + 1)]
                if letter.reply_form:
                    names[-1] = f"{kind}_{lang}-form.png"
                for page, name in zip(pages, names, strict=True):
                    target = out_dir / name
                    shutil.move(page, target)
                    _shrink_png(target)
                    written.append(target)
    return written


def _shrink_png(path: Path) -> None:
    """16 grey levels, 4 bits a pixel: a letter page stays readable at a third of the size."""
    from PIL import Image  # WeasyPrint depends on Pillow

    with Image.open(path) as image:
        grey = image.convert("L").quantize(colors=16, method=Image.Quantize.MEDIANCUT)
    grey.save(path, optimize=True, bits=4)


def benchmark(count: int, *, workers: int | None = None, previews: int = 7) -> dict:
    """Time a batch of `count` synthetic letters and single-letter previews (after a warm-up).
    CPU seconds include the worker processes: unlike wall time they do not depend on what else
    the machine is running."""
    import resource
    import time

    from .render import render_letter, render_letters

    def cpu() -> float:
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    layout = LayoutConfig()
    render_letter(sample_letter("withdrawal", "vi"), layout, SAMPLE_SENDER)  # load fonts once
    walls, cpus = [], []
    for i in range(previews):  # a different kind and language each time
        letter = sample_letter(SAMPLE_KINDS[i % 4], list(SAMPLE_PEOPLE)[i % 7], number=900 + i)
        start, start_cpu = time.perf_counter(), cpu()
        render_letter(letter, layout, SAMPLE_SENDER)
        walls.append(time.perf_counter() - start)
        cpus.append(cpu() - start_cpu)
    letters = sample_batch(count)
    start, start_cpu = time.perf_counter(), cpu()
    pdf = render_letters(letters, layout, SAMPLE_SENDER, workers=workers)
    seconds, cpu_seconds = time.perf_counter() - start, cpu() - start_cpu
    return {
        "letters": count,
        "seconds": round(seconds, 1),
        "letters_per_minute": round(count / seconds * 60),
        "cpu_ms_per_letter": round(cpu_seconds / count * 1000, 1),
        "pdf_mb": round(len(pdf) / 2**20, 1),
        "preview_seconds_median": round(sorted(walls)[len(walls) // 2], 3),
        "preview_cpu_seconds_median": round(sorted(cpus)[len(cpus) // 2], 3),
    }


def main(argv: list[str] | None = None) -> int:
    import django

    django.setup()
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--bench"]:
        print(benchmark(int(args[1]) if len(args) > 1 else 1000))
        return 0
    out_dir = Path(args[0]) if args else DOCS_DIR
    for path in write_pngs(out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
