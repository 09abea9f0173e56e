"""CSV cells a spreadsheet would run as a formula are neutralised, in every export."""

import pytest

from nhi_portal.csvsafe import neutralise, neutralise_cell


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+81 3 1234", "'+81 3 1234"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ('=HYPERLINK("http://example.invalid","x")', '\'=HYPERLINK("http://example.invalid","x")'),
        ("-12", "-12"),  # a negative number stays a number
        ("+3.5", "+3.5"),
        ("NGUYEN VAN AN", "NGUYEN VAN AN"),
        ("東京都小金井市本町1-2-3", "東京都小金井市本町1-2-3"),
        ("", ""),
        (None, ""),
        (42, "42"),
    ],
)
def test_a_cell_that_would_run_as_a_formula_is_neutralised(value, written):
    assert neutralise_cell(value) == written


def test_a_whole_row():
    assert neutralise(["=a", "b", None, -1]) == ["'=a", "b", "", "-1"]
