"""Watchdogs registered by the apps (the shared base does not import them): each picks up work
that a killed worker or a restarted broker left waiting."""

from __future__ import annotations

from collections.abc import Callable

from nhi_portal import nightly

_WATCHDOGS: dict[str, Callable[..., list]] = {"nightly": nightly.nightly_watchdog}


def register_watchdog(name: str, fn: Callable[..., list]) -> None:
    _WATCHDOGS[name] = fn


def run_watchdogs(*, stall_seconds: int) -> dict:
    return {name: fn(stall_seconds=stall_seconds) for name, fn in _WATCHDOGS.items()}
