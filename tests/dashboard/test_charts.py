"""The portal's one way to draw a chart (nhi_portal.charts): axis, bars, lines and the table of
the same numbers. No database."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string

from nhi_portal import charts


@pytest.mark.parametrize(
    ("largest", "percent", "top"),
    [(0, False, 4), (3, False, 4), (5, False, 8), (48, False, 80), (1234, False, 2000), (0.63, True, 1.0),
     (1.1, True, 1.25)],
)  # fmt: skip
def test_the_value_axis_ends_at_a_round_figure(largest, percent, top):
    assert charts.nice_top(largest, percent=percent) == top


def test_bars_in_legend_order_with_their_values_and_a_table():
    chart = charts.bar_chart(
        ["7日未満", "7〜13日"],
        [("審査待ち", [3, 0]), ("うち再審査", [1, None])],
        percent=False,
        first_column="日数",
    )
    assert [b.css for b in chart.bars] == ["chart-series-1", "chart-series-2", "chart-series-1"]
    assert chart.show_values and [b.value_text for b in chart.bars] == ["3", "1", "0"]
    assert chart.bars[0].x < chart.bars[1].x < chart.bars[2].x
    assert chart.bars[0].height > chart.bars[1].height > chart.bars[2].height == 0
    assert chart.table_head == ["日数", "審査待ち", "うち再審査"]
    assert chart.table_rows == [("7日未満", ["3", "1"]), ("7〜13日", ["0", "—"])]
    assert chart.has_data


def test_many_bars_leave_their_values_to_the_table():
    chart = charts.bar_chart(
        [f"{m}月" for m in range(1, 13)], [("a", [1] * 12), ("b", [1] * 12)], percent=False
    )
    assert not chart.show_values


def test_the_second_line_has_square_markers_for_black_and_white_print():
    chart = charts.line_chart(
        ["4月", "5月", "6月"], [("全世帯", [0.1, 0.2, None]), ("外国籍", [0.05, None, None])]
    )
    first, second = chart.series
    assert not first.square and second.square
    assert len(first.dots) == 2 and first.points.count(",") == 2
    assert chart.table_rows[0] == ("4月", ["10.0%", "5.0%"]) and chart.table_rows[2] == ("6月", ["—", "—"])


def test_the_component_draws_without_style_and_gives_the_numbers():
    chart = charts.bar_chart(["2024年度", "2025年度"], [("全世帯", [0.9, 0.5])], first_column="年度")
    html = render_to_string(
        "components/chart.html", {"chart": chart, "chart_id": "t", "title": "収納率", "desc": "説明"}
    )
    assert 'aria-labelledby="t-title"' in html and '<desc id="t-desc">説明</desc>' in html
    assert "style=" not in html and "fill=" not in html
    assert "<caption>収納率</caption>" in html and '<td class="num">90.0%</td>' in html
    assert html.count('class="chart-value"') == 2 and "data-print-open" in html


def test_an_empty_chart_says_so():
    chart = charts.bar_chart(["a"], [("x", [0])], percent=False)
    html = render_to_string(
        "components/chart.html",
        {"chart": chart, "chart_id": "t", "title": "審査待ち", "desc": "", "empty": "審査待ちはありません。"},
    )
    assert "<svg" not in html and "審査待ちはありません。" in html and "<table" in html
