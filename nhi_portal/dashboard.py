"""The dashboard's panels (ダッシュボード). The shared base cannot import the apps above it, so each
app registers its panels here (in `AppConfig.ready`): a template, the permissions that let a user
see it, and a function that reads its figures — a fixed number of queries, every one scoped to the
user's municipality. The dashboard view shows the panels the user may see, in order.

Panels show counts and file names only, never a person's data: the dashboard writes no access log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from nhi_portal.access import has_portal_permission


@dataclass(frozen=True)
class Panel:
    name: str
    order: int
    template: str  # rendered with `panel` (the data) in its context
    any_of: tuple[str, ...]  # portal permissions: the user sees the panel with any one of them
    build: Callable[..., dict]  # build(user=…, today=…) -> the template's `panel`


@dataclass(frozen=True)
class ShownPanel:
    name: str
    template: str
    data: dict


_PANELS: dict[str, Panel] = {}


def register_panel(panel: Panel) -> None:
    _PANELS[panel.name] = panel


def panels() -> list[Panel]:
    return sorted(_PANELS.values(), key=lambda p: p.order)


def panels_for(*, user, today: date) -> list[ShownPanel]:
    return [
        ShownPanel(panel.name, panel.template, panel.build(user=user, today=today))
        for panel in panels()
        if any(has_portal_permission(user, perm) for perm in panel.any_of)
    ]


def _register_base_panels() -> None:
    from nhi_portal import selectors

    register_panel(
        Panel(
            "system",
            10,
            "portal/panels/system.html",
            ("import_files", "run_matching", "administer"),
            selectors.system_health,
        )
    )
    register_panel(
        Panel("intake", 20, "portal/panels/intake.html", ("import_files",), selectors.intake_month)
    )
    register_panel(
        Panel("audit", 90, "portal/panels/audit.html", ("view_access_log",), selectors.access_month)
    )


_register_base_panels()
