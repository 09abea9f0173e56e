"""Server-rendered SVG charts (docs/ui.md "Charts"): geometry only, in plain Python; the template
draws it with the `chart-*` classes (no style or fill attributes, no JavaScript)."""

from __future__ import annotations

from dataclasses import dataclass, field

WIDTH, HEIGHT = 600, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 36


@dataclass
class Series:
    label: str
    css: str  # chart-series-1 …
    points: str = ""  # polyline points "x,y x,y"
    dots: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class Bar:
    css: str
    x: float
    y: float
    width: float
    height: float
    label: str


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


def line_chart(
    x_labels: list[str], series: list[tuple[str, list[float | None]]], *, top_value: float = 1.0
) -> Chart:
    """Lines of rates (0..top_value) over months; a None value leaves a gap at the end."""
    n = max(1, len(x_labels))
    plot_width = WIDTH - LEFT - RIGHT
    step = plot_width / max(1, n - 1) if n > 1 else 0
    xs = [round(LEFT + i * step, 1) for i in range(n)]
    chart = Chart(
        WIDTH,
        HEIGHT,
        list(zip(xs, x_labels, strict=True)),
        _y_ticks(top_value, True),
        _y(0, top_value),
        LEFT,
        WIDTH - RIGHT,
    )
    for index, (label, values) in enumerate(series, start=1):
        line = Series(label, f"chart-series-{index}")
        for x, value in zip(xs, values, strict=False):
            if value is None:
                continue
            y = _y(min(value, top_value), top_value)
            line.dots.append((x, y))
        line.points = " ".join(f"{x},{y}" for x, y in line.dots)
        chart.series.append(line)
    return chart


def bar_chart(
    groups: list[str], series: list[tuple[str, list[float | None]]], *, top_value: float = 1.0
) -> Chart:
    """Grouped bars (one group per fiscal year, one bar per series)."""
    n = max(1, len(groups))
    plot_width = WIDTH - LEFT - RIGHT
    group_width = plot_width / n
    bar_width = min(48.0, group_width * 0.7 / max(1, len(series)))
    chart = Chart(WIDTH, HEIGHT, [], _y_ticks(top_value, True), _y(0, top_value), LEFT, WIDTH - RIGHT)
    for g, name in enumerate(groups):
        center = LEFT + group_width * (g + 0.5)
        chart.x_labels.append((round(center, 1), name))
        start = center - bar_width * len(series) / 2
        for s, (_label, values) in enumerate(series):
            value = values[g]
            if value is None:
                continue
            y = _y(min(value, top_value), top_value)
            chart.bars.append(
                Bar(
                    f"chart-series-{s + 1}",
                    round(start + s * bar_width, 1),
                    y,
                    round(bar_width - 2, 1),
                    round(chart.axis_y - y, 1),
                    f"{value * 100:.1f}%",
                )
            )
    for index, (label, _values) in enumerate(series, start=1):
        chart.series.append(Series(label, f"chart-series-{index}"))
    return chart
