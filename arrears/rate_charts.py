"""The collection-rate charts (収納率のグラフ), drawn from `selectors.collection_rates` for the
collection-rate page and the dashboard alike: all households against households with a foreign head."""

from __future__ import annotations

from arrears import selectors
from nhi_portal import charts

ALL = "全世帯"
FOREIGN = "世帯主が外国籍の世帯"


def month_chart(year: selectors.YearRates) -> charts.Chart:
    """April to March of one fiscal year: the cumulative rate at each month's end (gaps ahead)."""
    months = selectors.fiscal_months(year.fiscal_year)
    values = {m.month: m for m in year.months}
    return charts.line_chart(
        [f"{m:%-m}月" for m in months],
        [
            (ALL, [values[m].rate_all if m in values else None for m in months]),
            (FOREIGN, [values[m].rate_foreign if m in values else None for m in months]),
        ],
    )


def year_chart(years: list[selectors.YearRates]) -> charts.Chart:
    ordered = sorted(years, key=lambda y: y.fiscal_year)
    return charts.bar_chart(
        [f"{y.fiscal_year}年度" for y in ordered],
        [(ALL, [y.rate_all for y in ordered]), (FOREIGN, [y.rate_foreign for y in ordered])],
        first_column="年度",
    )
