"""Load the repository's blueprints into a test Home Assistant and make automations from them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed, async_mock_service

from tests.common import eventually

BLUEPRINTS = Path(__file__).parents[2] / "blueprints" / "automation" / "ev_v2g"

# Enough loop turns for a trigger to run its conditions, service calls and first wait.
SETTLE_TURNS = 50

type UseBlueprint = Callable[[str, dict[str, Any]], Awaitable[str]]
type Later = Callable[..., Awaitable[None]]


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
    await eventually(predicate, within, what, poll=0.02)


async def reload_automations(hass: HomeAssistant) -> None:
    """Tell the automations they were reloaded, as `automation.reload` does, and settle."""
    hass.bus.async_fire("automation_reloaded")
    await settle(hass)


def demand_response(hass: HomeAssistant, entity_id: str) -> tuple[str | None, str | None]:
    """A site's demand-response mode and the source of the request, from its select."""
    state = hass.states.get(entity_id)
    return (None, None) if state is None else (state.state, state.attributes.get("source"))


def dr_attributes(hass: HomeAssistant, entity_id: str) -> Mapping[str, Any]:
    """The attributes of a site's demand-response select (power_kw, until, ...)."""
    state = hass.states.get(entity_id)
    assert state is not None, f"no {entity_id}"
    return state.attributes


async def set_demand_response(hass: HomeAssistant, entry_id: str, **request: Any) -> None:
    """Ask a loaded site for demand response, as another automation would."""
    await hass.services.async_call(
        "ev_v2g", "set_demand_response", {"config_entry_id": entry_id, **request}, blocking=True
    )


class SiteServices:
    """The mocked ev_v2g demand-response services and what they were asked."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Register both services as mocks."""
        self.set: list[ServiceCall] = async_mock_service(hass, "ev_v2g", "set_demand_response")
        self.clear: list[ServiceCall] = async_mock_service(hass, "ev_v2g", "clear_demand_response")


@pytest.fixture
def site(hass: HomeAssistant) -> SiteServices:
    """The mocked site services (no site is loaded)."""
    return SiteServices(hass)


@pytest.fixture
def later(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> Later:
    """Move the frozen clock on by a timedelta's worth (minutes=..., seconds=...) and settle."""

    async def step(**delta: float) -> None:
        freezer.tick(timedelta(**delta))
        async_fire_time_changed(hass)
        await settle(hass)

    return step


async def recovery_ends_after(later: Later, site: SiteServices, minutes: float) -> None:
    """Not cleared a second before `minutes` more have passed; cleared once a second after."""
    await later(minutes=minutes, seconds=-1)
    assert site.clear == []
    await later(seconds=2)
    assert len(site.clear) == 1
