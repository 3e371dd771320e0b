"""Waiting for the app to reach a state (polls land asynchronously) without sleeping blindly."""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot

from cnnlab.tui.screens.experiments import ExperimentsScreen


async def until(pilot: Pilot[None], condition: Callable[[], bool], tries: int = 200) -> None:
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("the app never reached the expected state")


def home(pilot: Pilot[None]) -> ExperimentsScreen:
    screen = pilot.app.screen
    assert isinstance(screen, ExperimentsScreen)
    return screen


def shown_ids(screen: ExperimentsScreen) -> list[str]:
    return list(screen.table.rows_by_key)
