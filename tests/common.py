"""Helpers for tests that wait on real sockets."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import time

from homeassistant.core import HomeAssistant


async def wait_for(
    hass: HomeAssistant, predicate: Callable[[], bool], within: float = 5.0, what: str = ""
) -> float:
    """Wait (real time) until predicate() holds; return the seconds it took."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > within:
            raise AssertionError(f"timed out after {within} s waiting for {what or predicate}")
        await asyncio.sleep(0.02)
        await hass.async_block_till_done()
    return time.monotonic() - start


def state_of(hass: HomeAssistant, entity_id: str) -> str | None:
    """The state string of an entity, or None when it does not exist."""
    state = hass.states.get(entity_id)
    return None if state is None else state.state


def number_of(hass: HomeAssistant, entity_id: str) -> float:
    """The numeric state of an entity; NaN when it has none (unknown, unavailable, missing)."""
    try:
        return float(state_of(hass, entity_id) or "nan")
    except ValueError:
        return float("nan")


async def set_manual(hass: HomeAssistant, station: str = "bay_1") -> None:
    """Take a station out of the site's coordination: its current limit is then the user's."""
    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": f"select.{station}_control_mode", "option": "manual"},
        blocking=True,
    )
