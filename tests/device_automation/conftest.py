"""A loaded site for the device automations: Bay 1 (the simulated station), residents Ann and Ben.

Automations are set up the way the automation editor writes them, with `platform: device`
triggers, `condition: device` conditions and device actions.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.device_automation.action import async_validate_action_config
from homeassistant.const import STATE_ON
from homeassistant.core import Context, HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service

from custom_components.ev_v2g import device_action
from custom_components.ev_v2g.const import DOMAIN, SUBENTRY_STATION
from hardware.station_sim import StationServer
from tests.common import resident, state_of, wait_for
from tests.conftest import SITE_DATA, station_subentry

CONNECTED = "binary_sensor.bay_1_connectivity"
SWITCH = "switch.bay_1_charging"
RESIDENT = "sensor.bay_1_session_resident"
# A car that draws under 100 W for a minute while it may charge is full.
FULL_RULE = {"full_minutes": 1, "full_power_w": 100}


@pytest.fixture
def mock_config_entry(station_server: StationServer) -> MockConfigEntry:
    """One station owned by nobody, and two residents."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Garage",
        unique_id="garage",
        data=SITE_DATA,
        options=FULL_RULE,
        subentries_data=[
            station_subentry("Bay 1", station_server.port),
            resident("ann", "Ann"),
            resident("ben", "Ben"),
        ],
    )


@pytest.fixture
async def site(hass: HomeAssistant, init_integration: MockConfigEntry) -> MockConfigEntry:
    """The site once its station is in contact."""
    await wait_for(hass, lambda: state_of(hass, CONNECTED) == STATE_ON, what="contact")
    return init_integration


@pytest.fixture
def calls(hass: HomeAssistant) -> list[ServiceCall]:
    """What the automations' `test.automation` actions received."""
    return async_mock_service(hass, "test", "automation")


def device_of(hass: HomeAssistant, key: str) -> str:
    """The device id of a site (entry id), station or resident (subentry id)."""
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, key)})
    assert device is not None, f"no device for {key}"
    return device.id


def station_key(entry: MockConfigEntry) -> str:
    """The subentry id of the site's station."""
    return next(k for k, s in entry.subentries.items() if s.subentry_type == SUBENTRY_STATION)


def station_device(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """The device id of Bay 1."""
    return device_of(hass, station_key(entry))


def device_by_role(hass: HomeAssistant, site: MockConfigEntry, role: str) -> str:
    """The device id of "station" (Bay 1), "site", or a resident by key ("ann", "ben")."""
    if role == "station":
        return station_device(hass, site)
    return device_of(hass, site.entry_id if role == "site" else role)


def trigger(device_id: str, kind: str, **extra: Any) -> dict[str, Any]:
    """A device trigger as the automation editor writes it."""
    return {"platform": "device", "domain": DOMAIN, "device_id": device_id, "type": kind, **extra}


def condition(device_id: str, kind: str, **extra: Any) -> dict[str, Any]:
    """A device condition as the automation editor writes it."""
    return {"condition": "device", "domain": DOMAIN, "device_id": device_id, "type": kind, **extra}


def action(device_id: str, kind: str, **extra: Any) -> dict[str, Any]:
    """A device action as the automation editor writes it."""
    return {"domain": DOMAIN, "device_id": device_id, "type": kind, **extra}


# Records what fired: the platform, and the event's data or the states it went between.
RECORD = {
    "action": "test.automation",
    "data": {
        "platform": "{{ trigger.platform }}",
        "station": "{{ trigger.event.data.station if trigger.event is defined else '' }}",
        "reason": "{{ trigger.event.data.reason if trigger.event is defined else '' }}",
        "from": "{{ trigger.from_state.state if trigger.from_state is defined else '' }}",
        "to": "{{ trigger.to_state.state if trigger.to_state is defined else '' }}",
    },
}


async def automate(hass: HomeAssistant, *automations: dict[str, Any]) -> None:
    """Set up automations, each recording its runs unless it has its own actions."""
    config = [
        {"alias": f"automation {index}", "actions": [RECORD], **automation}
        for index, automation in enumerate(automations)
    ]
    assert await async_setup_component(hass, "automation", {"automation": config})
    await hass.async_block_till_done()


async def automate_triggers(
    hass: HomeAssistant, device_id: str, *kinds: str | tuple[str, dict[str, Any]]
) -> None:
    """Set up one recording automation per trigger of the device: a type, or a type and fields."""
    typed = [(kind, {}) if isinstance(kind, str) else kind for kind in kinds]
    await automate(
        hass, *({"triggers": [trigger(device_id, kind, **extra)]} for kind, extra in typed)
    )


async def run(hass: HomeAssistant, config: dict[str, Any], context: Context | None = None) -> None:
    """Validate a device action and carry it out, as a script step does."""
    valid = await async_validate_action_config(hass, config)
    await device_action.async_call_action_from_config(hass, valid, {}, context)
