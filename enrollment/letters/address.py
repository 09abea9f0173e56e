"""Does an address fit the envelope window? Checked before a letter is printed, so a letter whose
address would be cut off or unreadable is held with a reason instead of being mailed.

Widths are estimated, not measured: full-width characters 1 em, half-width 0.5 em, except Latin
capitals and digits, which are wider in Noto Sans CJK JP (≈0.65 and 0.55 em). The estimate errs
on the wide side; tests/letters check against the rendered PDF that a line at the limit fits.
"""

from __future__ import annotations

import re
import unicodedata

from .content import LayoutConfig
from .fonts import unprintable_in_japanese

PT_PER_MM = 72 / 25.4
_POSTAL = re.compile(r"^(\d{3})-?(\d{4})$")


def char_width_em(char: str) -> float:
    if unicodedata.east_asian_width(char) in ("F", "W", "A"):
        return 1.0
    if "A" <= char <= "Z" or char in "MW@%&":
        return 0.65
    if char.isdigit():
        return 0.55
    return 0.5


def text_width_em(text: str) -> float:
    return sum(char_width_em(c) for c in text)


def normalize_postal_code(raw: str) -> str | None:
    """'1840004', '184-0004', '〒１８４－０００４' → '184-0004'; None if not 7 digits."""
    text = unicodedata.normalize("NFKC", raw or "").strip().lstrip("〒").strip()
    text = text.replace("ー", "-").replace("−", "-").replace("‐", "-")
    m = _POSTAL.match(text)
    return f"{m[1]}-{m[2]}" if m else None


def _available_width_pt(layout: LayoutConfig) -> float:
    return layout.text_box_mm[2] * PT_PER_MM


def name_line(name: str) -> str:
    return f"{name.strip()} 様"


def name_font_pt(name: str, layout: LayoutConfig) -> float | None:
    """Font size for the addressee line: `name_font_pt`, smaller for a long name, never below
    `min_name_font_pt`; None if the name does not fit even then."""
    width_em = text_width_em(name_line(name))
    if width_em == 0:
        return layout.name_font_pt
    fitting = _available_width_pt(layout) / width_em
    if fitting >= layout.name_font_pt:
        return layout.name_font_pt
    if fitting >= layout.min_name_font_pt:
        return round(fitting - 0.05, 1)  # round down
    return None


def max_address_lines(layout: LayoutConfig) -> int:
    """Address lines that fit under the postal code and above the name."""
    height_pt = layout.text_box_mm[3] * PT_PER_MM
    line = layout.address_font_pt * layout.line_height
    used = line + layout.name_gap_mm * PT_PER_MM + layout.name_font_pt * layout.line_height
    return max(0, int((height_pt - used) // line))


def check_address(
    lines: list[str] | tuple[str, ...],
    postal_code: str,
    layout: LayoutConfig,
    *,
    name: str | None = None,
) -> list[str]:
    """Problems (Japanese sentences) that keep this address from printing inside the window.

    Empty list = fits. `name`, if given, is the addressee name (printed with 様 under the address).
    """
    problems: list[str] = []
    if not (postal_code or "").strip():
        problems.append("郵便番号がありません")
    elif normalize_postal_code(postal_code) is None:
        problems.append(f"郵便番号「{postal_code}」は7桁の数字ではありません")

    lines = [line.strip() for line in lines if line and line.strip()]
    if not lines:
        problems.append("住所がありません")
    limit = max_address_lines(layout)
    if len(lines) > limit:
        problems.append(f"住所が{len(lines)}行あり、窓に入るのは{limit}行までです")
    width_pt = _available_width_pt(layout)
    capacity_em = width_pt / layout.address_font_pt
    for number, line in enumerate(lines, start=1):
        width = text_width_em(line)
        if width > capacity_em:
            problems.append(
                f"住所の{number}行目が窓の幅を超えます（約{width:.1f}文字分、"
                f"{layout.address_font_pt:g}ptで入るのは{capacity_em:.1f}文字分まで）"
            )
        if bad := unprintable_in_japanese(line):
            problems.append(f"住所の{number}行目に印字できない文字があります（{_codes(bad)}）")

    if name is not None:
        if not name.strip():
            problems.append("宛名がありません")
        else:
            if name_font_pt(name, layout) is None:
                problems.append(
                    f"宛名「{name}」が長すぎて、{layout.min_name_font_pt:g}ptでも窓の幅に入りません"
                )
            if bad := unprintable_in_japanese(name):
                problems.append(f"宛名に印字できない文字があります（{_codes(bad)}）")
    return problems


def _codes(chars: list[str]) -> str:
    return "、".join(f"U+{ord(c):04X}" for c in chars)
