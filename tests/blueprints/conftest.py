"""Load the repository's blueprints into a test Home Assistant and make automations from them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
import time
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest

BLUEPRINTS = Path(__file__).parents[2] / "blueprints" / "automation" / "ev_v2g"

# Enough loop turns for a trigger to run its conditions, service calls and first wait.
SETTLE_TURNS = 50

type UseBlueprint = Callable[[str, dict[str, Any]], Awaitable[str]]


@pytest.fixture
def blueprint_folder(hass: HomeAssistant, tmp_path: Path) -> Path:
    """A config folder whose blueprints/automation/ev_v2g is the repository's folder."""
    folder = tmp_path / "blueprints" / "automation"
    folder.mkdir(parents=True)
    (folder / "ev_v2g").symlink_to(BLUEPRINTS, target_is_directory=True)
    hass.config.config_dir = str(tmp_path)
    return folder


@pytest.fixture
async def use_blueprint(hass: HomeAssistant, blueprint_folder: Path) -> AsyncIterator[UseBlueprint]:
    """Set up one automation from a blueprint with the given inputs; return its entity id.

    Its runs are stopped afterwards, before the fixtures set up earlier (a site) are torn down:
    their teardown waits for every task, and a run waiting for a recovery never ends by itself.
    """

    async def setup(file: str, inputs: dict[str, Any]) -> str:
        config = {
            "automation": {
                "id": "under_test",
                "alias": "Under test",
                "use_blueprint": {"path": f"ev_v2g/{file}", "input": inputs},
            }
        }
        assert await async_setup_component(hass, "automation", config)
        await settle(hass)
        state = hass.states.get("automation.under_test")
        assert state is not None, "the automation was not created: see the log for why"
        assert state.state == "on"
        return state.entity_id

    yield setup
    if hass.states.get("automation.under_test") is not None:
        await hass.services.async_call(
            "automation", "turn_off", {"entity_id": "automation.under_test"}, blocking=True
        )


async def settle(hass: HomeAssistant) -> None:
    """Let what a state change or time step started run as far as it can.

    Not hass.async_block_till_done: an automation run waiting for the recovery is a task that
    only ends with its wait, so that call would block.
    """
    del hass
    for _ in range(SETTLE_TURNS):
        await asyncio.sleep(0)


async def until(predicate: Callable[[], bool], what: str, within: float = 5.0) -> None:
    """Wait (real time) for a loaded site to get somewhere, without blocking on waiting runs."""
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def demand_response(hass: HomeAssistant, entity_id: str) -> tuple[str | None, str | None]:
    """A site's demand-response mode and the source of the request, from its select."""
    state = hass.states.get(entity_id)
    return (None, None) if state is None else (state.state, state.attributes.get("source"))
