"""The Arrow fast paths of the name and address columns (values.*_column, used through
columns.map_column) clean every cell exactly as the one-value Python functions do: same values,
same problems on the same rows — on arbitrary text mixing the characters they take with those
they must leave to Python."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nhi_portal.intake import values
from nhi_portal.intake.columns import map_column

# Everyday register text, and what must not take the fast path: accents, tabs, zero-width and
# bidi characters, private use, formulas and markup, full-width and half-width forms, ideographic
# and ordinary spaces, kana voicing marks, compatibility ideographs, Roman numerals.
PIECES = [
    "東京都小金井市本町", "1丁目2番3号", "１－２－３", "コーポ本町", "２０１号室", "ｺｰﾎﾟ", "ｶﾞ", "NGUYEN", "nguyen",
    "VAN AN", "Nguyễn", "DE LA CRUZ", "O'BRIEN", "SMITH-JONES", "ß", "ŉ", " ", "  ", "\u3000", "\t", "\u200b",
    "\u202e", "\ue000", "=cmd", "+1", "@x", "-", "<b>", ">", "?", "AN?", "ヴ", "゛", "\u309b", "\uf929", "Ⅱ", "々",
    "ヶ", "ー", "〜", "～", "¥", "\\", "\x7f", "\x85", "\u00a0", "、", "。", ",", ".", "", "ｱ", "ﾞ", "㈱", "①",
    "カ\u3099", "\u309a", "\u302d\u302a", "〶", "ゟ",
]  # fmt: skip
cells = st.lists(st.sampled_from(PIECES), max_size=6).map("".join)

CASES = {
    "address": (values.address_cell, values.address_cells, values.address_column),
    "text": (values.text_cell, values.text_cells, values.text_column),
    "name": (values.name_alpha_cell, values.name_alpha_cells, values.name_alpha_column),
    "name_optional": (
        lambda raw: values.name_alpha_cell(raw, required=False),
        lambda vs: values.name_alpha_cells(vs, required=False),
        lambda column: values.name_alpha_column(column, required=False),
    ),
}


@pytest.mark.parametrize("kind", sorted(CASES))
@settings(max_examples=300, deadline=None)
@given(column=st.lists(cells, min_size=1, max_size=30))
def test_the_arrow_fast_path_cleans_as_python_does(kind, column):
    fn, many, vector = CASES[kind]
    array = pa.array(column, pa.string())
    python = map_column(array, fn, many=many)
    arrow = map_column(array, fn, many=many, vector=vector)
    assert arrow.values.to_pylist() == python.values.to_pylist()
    assert arrow.problems == python.problems


def test_plain_japanese_cells_take_the_fast_path():
    column = pa.array(["東京都小金井市本町１－２－３\u3000コーポ本町２０１", "ｺｰﾎﾟ  本町"])
    cleaned, ok = values.address_column(column)
    assert ok.to_pylist() == [True, True]
    assert cleaned.to_pylist() == ["東京都小金井市本町1-2-3 コーポ本町201", "コーポ 本町"]


@settings(max_examples=2000, deadline=None)
@given(
    body=st.lists(st.sampled_from([b"a", b",", b'"', b"\n", b"\r", b"\t", b"x"]), max_size=16).map(b"".join),
    delimiter=st.sampled_from([",", "\t"]),
)
def test_the_numpy_stray_quote_search_finds_what_the_regular_expression_finds(body, delimiter):
    from nhi_portal.intake.table import _STRAY_QUOTE, _stray_quote_at

    assert _stray_quote_at(body, delimiter) == bool(_STRAY_QUOTE[delimiter].search(body))
