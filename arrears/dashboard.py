"""The arrears app's dashboard panel (registered in ArrearsConfig.ready): the collection rate of
households with a foreign head against all households, from the collection-rate selector."""

from __future__ import annotations

from datetime import date

from arrears import rate_charts, selectors
from nhi_portal.dashboard import Panel, register_panel
from receipts.statements import fiscal_year_label


def _collection(*, user, today: date) -> dict:
    if not user.municipality_id:
        return {"year": None}
    years = selectors.collection_rates(municipality_id=user.municipality_id, today=today)
    year = years[0] if years else None
    return {
        "year": year,
        "label": fiscal_year_label(year.fiscal_year) if year else "",
        "chart": rate_charts.month_chart(year) if year else None,
    }


def register() -> None:
    register_panel(Panel("collection", 60, "arrears/panels/collection.html", ("view_arrears",), _collection))
