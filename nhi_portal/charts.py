"""Server-rendered SVG charts, the portal's one way to draw a chart (docs/ui.md "Charts"): geometry
in plain Python, drawn by `components/chart.html` with the `chart-*` classes (no style or fill
attributes, no JavaScript). Every chart carries its numbers as a table too (`Chart.table_head`,
`Chart.table_rows`), shown under the drawing and printed with it.

Readable on paper in black and white: bars are drawn in legend order, small bar charts print their
values on the bars, and the second line of a line chart is dashed with square markers."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

WIDTH, HEIGHT = 600, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 16, 36
VALUE_LABEL_MAX_BARS = 16  # above this many bars the values would overlap: the table has them


@dataclass
class Series:
    label: str
    css: str  # chart-series-1 …
    points: str = ""  # polyline points "x,y x,y"
    dots: list[tuple[float, float]] = field(default_factory=list)
    square: bool = False  # marker shape (tells the lines apart in black and white)

    @property
    def markers(self) -> list[tuple[float, float, float, float]]:
        """(centre x, centre y, corner x, corner y) of each point's marker."""
        return [(x, y, round(x - 3.5, 1), round(y - 3.5, 1)) for x, y in self.dots]


@dataclass
class Bar:
    css: str
    x: float
    y: float
    width: float
    height: float
    label: str  # "4月 全世帯: 63.0%" (the SVG title, read on hover)
    value_text: str = ""  # printed above the bar when the chart shows values
    text_x: float = 0
    text_y: float = 0


@dataclass
class Chart:
    width: int
    height: int
    x_labels: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    axis_y: float  # y of the horizontal axis
    left: float
    right: float
    series: list[Series] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    show_values: bool = False
    table_head: list[str] = field(default_factory=list)  # first column's title, then the series
    table_rows: list[tuple[str, list[str]]] = field(default_factory=list)
    has_data: bool = False  # some value above zero: otherwise a page says so instead of drawing


def format_value(value: float | None, *, percent: bool) -> str:
    if value is None:
        return "—"
    if percent:
        return f"{value * 100:.1f}%"
    return f"{value:,.0f}"


def nice_top(largest: float, *, percent: bool) -> float:
    """The top of the value axis: 100% for rates (or a round figure above the largest rate over
    100%), for counts the smallest 4 × (1, 2, 2.5 or 5 × 10^k) that holds the largest value."""
    if percent:
        return max(1.0, math.ceil(largest * 4) / 4)
    if largest <= 4:
        return 4.0
    raw = largest / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    steps = [s * magnitude for s in (1, 2, 2.5, 5, 10)]
    return 4 * next(s for s in steps if s >= raw and s == int(s))


def _y(value: float, top_value: float) -> float:
    plot = HEIGHT - TOP - BOTTOM
    return round(TOP + plot * (1 - value / top_value), 1)


def _y_ticks(top_value: float, percent: bool) -> list[tuple[float, str]]:
    return [
        (
            _y(top_value * i / 4, top_value),
            f"{round(100 * top_value * i / 4)}%" if percent else f"{top_value * i / 4:,.0f}",
        )
        for i in range(5)
    ]


def _largest(series: list[tuple[str, list[float | None]]]) -> float:
    return max((v for _, values in series for v in values if v is not None), default=0)


def _table(
    first: str, x_labels: list[str], series: list[tuple[str, list[float | None]]], percent: bool
) -> tuple[list[str], list[tuple[str, list[str]]]]:
    head = [first, *(label for label, _ in series)]
    rows = [
        (
            name,
            [format_value(values[i] if i < len(values) else None, percent=percent) for _, values in series],
        )
        for i, name in enumerate(x_labels)
    ]
    return head, rows


def line_chart(
    x_labels: list[str],
    series: list[tuple[str, list[float | None]]],
    *,
    top_value: float | None = None,
    percent: bool = True,
    first_column: str = "月",
    row_labels: list[str] | None = None,
) -> Chart:
    """Lines over months (rates 0..1 by default, or counts); a None value leaves a gap.
    `row_labels`: the table's row names when the axis labels are short ("4月" → "2025年4月")."""
    top_value = top_value or nice_top(_largest(series), percent=percent)
    n = max(1, len(x_labels))
    plot_width = WIDTH - LEFT - RIGHT
    step = plot_width / max(1, n - 1) if n > 1 else 0
    xs = [round(LEFT + i * step, 1) for i in range(n)]
    head, rows = _table(first_column, row_labels or x_labels, series, percent)
    chart = Chart(
        WIDTH,
        HEIGHT,
        list(zip(xs, x_labels, strict=True)),
        _y_ticks(top_value, percent),
        _y(0, top_value),
        LEFT,
        WIDTH - RIGHT,
        table_head=head,
        table_rows=rows,
        has_data=_largest(series) > 0,
    )
    for index, (label, values) in enumerate(series, start=1):
        line = Series(label, f"chart-series-{index}", square=index % 2 == 0)
        for x, value in zip(xs, values, strict=False):
            if value is None:
                continue
            line.dots.append((x, _y(min(value, top_value), top_value)))
        line.points = " ".join(f"{x},{y}" for x, y in line.dots)
        chart.series.append(line)
    return chart


def bar_chart(
    groups: list[str],
    series: list[tuple[str, list[float | None]]],
    *,
    top_value: float | None = None,
    percent: bool = True,
    show_values: bool | None = None,
    first_column: str = "",
    row_labels: list[str] | None = None,
) -> Chart:
    """Grouped bars: one group per x label (a fiscal year, a month, an age band), one bar per series,
    in legend order. Values are printed on the bars when there are few of them."""
    top_value = top_value or nice_top(_largest(series), percent=percent)
    n = max(1, len(groups))
    plot_width = WIDTH - LEFT - RIGHT
    group_width = plot_width / n
    bar_width = min(48.0, group_width * 0.8 / max(1, len(series)))
    if show_values is None:
        show_values = n * len(series) <= VALUE_LABEL_MAX_BARS
    head, rows = _table(first_column, row_labels or groups, series, percent)
    chart = Chart(
        WIDTH,
        HEIGHT,
        [],
        _y_ticks(top_value, percent),
        _y(0, top_value),
        LEFT,
        WIDTH - RIGHT,
        show_values=show_values,
        table_head=head,
        table_rows=rows,
        has_data=_largest(series) > 0,
    )
    for g, name in enumerate(groups):
        center = LEFT + group_width * (g + 0.5)
        chart.x_labels.append((round(center, 1), name))
        start = center - bar_width * len(series) / 2
        for s, (label, values) in enumerate(series):
            value = values[g] if g < len(values) else None
            if value is None:
                continue
            y = _y(min(value, top_value), top_value)
            x = round(start + s * bar_width, 1)
            width = round(max(1.0, bar_width - 2), 1)
            text = format_value(value, percent=percent)
            chart.bars.append(
                Bar(
                    f"chart-series-{s + 1}",
                    x,
                    y,
                    width,
                    round(chart.axis_y - y, 1),
                    f"{name} {label}: {text}",
                    text,
                    round(x + width / 2, 1),
                    round(y - 4, 1),
                )
            )
    for index, (label, _values) in enumerate(series, start=1):
        chart.series.append(Series(label, f"chart-series-{index}"))
    return chart
