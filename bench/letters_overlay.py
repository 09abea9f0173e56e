"""Overlay A/B (issue 14): the personal-data overlays of 250 letters (unique names, addresses and
numbers) laid out by WeasyPrint, as before, against drawn by enrollment/letters/overlay.py, in one
process, alternated, CPU time per letter (less sensitive to other work on the machine than wall).

  DJANGO_SETTINGS_MODULE=nhi_portal.settings.test python -m bench.letters_overlay [--rounds 3]
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import replace

FAMILY = ["NGUYEN", "TRAN", "SANTOS", "WANG", "AUNG", "GURUNG", "WIJAYA", "REYES", "LI", "HTET", "PHAM"]
GIVEN = ["VAN AN", "THI BINH", "MARIA CLARA", "XIAOMING", "KYAW MIN", "RAM BAHADUR", "SITI", "JOSE MIGUEL"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import django

    django.setup()
    from enrollment.letters import LANGUAGES, LayoutConfig
    from enrollment.letters.context import geometry, overlay_context
    from enrollment.letters.overlay import draw_overlays, overlay_pages
    from enrollment.letters.pdf import render_job
    from enrollment.letters.render import _job
    from enrollment.letters.samples import SAMPLE_KINDS, SAMPLE_SENDER, sample_letter

    layout = LayoutConfig(duplex=True)
    g = geometry(layout)
    base = [sample_letter(kind, lang) for kind in SAMPLE_KINDS for lang in LANGUAGES]
    rng = random.Random(5)

    def overlays(seed: int) -> list[dict]:
        letters = [
            replace(
                rng.choice(base),
                letter_number=f"132101-2026-{seed * 1000 + i:06d}",
                addressee_name=f"{rng.choice(FAMILY)} {rng.choice(GIVEN)} {seed}{i}",
                address_lines=(
                    f"東京都小金井市本町{rng.randint(1, 6)}丁目{rng.randint(1, 30)}番{rng.randint(1, 20)}号",
                    f"コーポ本町{seed}{i}号",
                ),
            )
            for i in range(250)
        ]
        return [overlay_context(letter, layout, SAMPLE_SENDER) for letter in letters]

    warm = overlays(0)[:5]  # fonts, templates, stylesheets loaded before measuring
    render_job(_job(layout, overlays=warm))
    draw_overlays(overlay_pages(warm, layout, g))
    for r in range(1, args.rounds + 1):
        chunk = overlays(r)
        started = time.process_time()
        render_job(_job(layout, overlays=chunk))
        before = (time.process_time() - started) / len(chunk) * 1000
        chunk = overlays(r + 100)
        started = time.process_time()
        draw_overlays(overlay_pages(chunk, layout, g))
        after = (time.process_time() - started) / len(chunk) * 1000
        print(f"round {r}: WeasyPrint layout {before:.2f} ms/letter, drawn {after:.3f} ms/letter"
              f" ({before / after:.0f}×), CPU time")  # fmt: skip


if __name__ == "__main__":
    main()
