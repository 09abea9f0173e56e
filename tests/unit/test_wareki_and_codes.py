"""Era dates and municipality codes: every notation the files use, and the impossible ones."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nhi_portal.domain.codes import lg_code_problem, with_check_digit
from nhi_portal.domain.wareki import DateProblem, format_wareki, parse_date


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("20240401", date(2024, 4, 1)),
        ("2024/04/01", date(2024, 4, 1)),
        ("2024/4/1", date(2024, 4, 1)),
        ("2024-04-01", date(2024, 4, 1)),
        ("2024年4月1日", date(2024, 4, 1)),
        ("令和6年4月1日", date(2024, 4, 1)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("R6.4.1", date(2024, 4, 1)),
        ("r06.04.01", date(2024, 4, 1)),
        ("Ｒ６．４．１", date(2024, 4, 1)),
        ("H10.5.3", date(1998, 5, 3)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("昭和64年1月7日", date(1989, 1, 7)),
        ("S55.12.31", date(1980, 12, 31)),
        ("4100503", date(1998, 5, 3)),  # legacy 7-digit era code, 4 = 平成
        ("２０２４０４０１", date(2024, 4, 1)),
        (" 2024-04-01 ", date(2024, 4, 1)),
    ],
)
def test_every_notation_parses(raw, expected):
    assert parse_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason_part"),
    [
        ("令和0年4月1日", "ありません"),
        ("R0.4.1", "ありません"),
        ("20240230", "存在しない"),
        ("2024年2月30日", "存在しない"),
        ("令和1年4月30日", "期間"),  # 令和 began on 2019-05-01
        ("平成31年5月1日", "期間"),  # 平成 ended on 2019-04-30
        ("2024/13/01", "存在しない"),
        ("yesterday", "読めません"),
        ("", "空"),
    ],
)
def test_impossible_dates_say_why(raw, reason_part):
    with pytest.raises(DateProblem) as exc:
        parse_date(raw)
    assert reason_part in exc.value.reason


def test_letter_dates_show_era_and_western_year():
    assert format_wareki(date(2026, 12, 25)) == "令和8年（2026年）12月25日"
    assert format_wareki(date(2019, 5, 1)) == "令和元年（2019年）5月1日"
    assert format_wareki(date(2019, 4, 30)) == "平成31年（2019年）4月30日"


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_formatted_era_dates_parse_back(day):
    assert parse_date(format_wareki(day, with_western=False)) == day


@given(st.text(max_size=30))
def test_parser_raises_only_its_own_error(text):
    try:
        parse_date(text)
    except DateProblem:
        pass


def test_check_digit_example_from_the_domain():
    assert with_check_digit("13210") == "132101"  # 小金井市
    assert lg_code_problem("132101") is None
    assert "検査数字" in lg_code_problem("132102")
    assert "6桁" in lg_code_problem("13210")
