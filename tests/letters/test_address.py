"""The address check that holds a letter whose address would not show in the envelope window."""

from __future__ import annotations

import pytest

from enrollment.letters import LayoutConfig, check_address, max_address_lines, normalize_postal_code
from enrollment.letters.address import name_font_pt, text_width_em

LINES = ["東京都小金井市本町1丁目2番3号", "コーポ本町101"]


def test_a_normal_address_fits(layout):
    assert check_address(LINES, "1840004", layout, name="NGUYEN VAN AN") == []


@pytest.mark.parametrize("raw", ["1840004", "184-0004", "〒184-0004", "〒１８４－０００４", " 184-0004 "])
def test_postal_code_notations(raw):
    assert normalize_postal_code(raw) == "184-0004"


@pytest.mark.parametrize(
    ("raw", "reason"), [("", "ありません"), ("184-004", "7桁"), ("18400045", "7桁"), ("abc-defg", "7桁")]
)
def test_missing_or_malformed_postal_code(layout, raw, reason):
    problems = check_address(LINES, raw, layout)
    assert len(problems) == 1 and reason in problems[0]


def test_default_window_takes_four_address_lines(layout):
    assert max_address_lines(layout) == 4
    assert check_address([*LINES, "A棟", "B号室"], "1840004", layout) == []
    problems = check_address([*LINES, "A棟", "B号室", "C"], "1840004", layout)
    assert problems == ["住所が5行あり、窓に入るのは4行までです"]


def test_a_line_too_wide_for_the_window(layout):
    line = "東京都小金井市本町一丁目二番三号コーポ本町サンプルハイツ"
    problems = check_address([line], "1840004", layout)
    assert len(problems) == 1 and "1行目が窓の幅を超えます" in problems[0]
    wider = LayoutConfig(window_width_mm=130)
    assert check_address([line], "1840004", wider) == []


def test_width_estimate(layout):
    assert text_width_em("東京") == 2
    assert text_width_em("ab") == 1
    assert text_width_em("AB12") == pytest.approx(2 * 0.65 + 2 * 0.55)


def test_characters_the_font_cannot_print_hold_the_letter(layout):
    # A register's private-use 外字 would print as a tofu box.
    problems = check_address(["東京都小金井市本町\ue001丁目"], "1840004", layout)
    assert problems == ["住所の1行目に印字できない文字があります（U+E001）"]
    assert check_address(["髙﨑市𠮷野町1番"], "1840004", layout) == []  # variants the font has


def test_long_names_shrink_then_hold(layout):
    assert name_font_pt("NGUYEN VAN AN", layout) == layout.name_font_pt
    shrunk = name_font_pt("BISHNU PRASAD BHATTARAI KHATRI", layout)
    assert layout.min_name_font_pt <= shrunk < layout.name_font_pt
    problems = check_address(LINES, "1840004", layout, name="X" * 60)
    assert len(problems) == 1 and "長すぎて" in problems[0]
    assert check_address(LINES, "1840004", layout, name=" ") == ["宛名がありません"]


def test_empty_address(layout):
    assert check_address([" ", ""], "1840004", layout) == ["住所がありません"]
