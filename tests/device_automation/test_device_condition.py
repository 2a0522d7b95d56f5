"""Device conditions read the station's and the site's state, from a real site."""

from __future__ import annotations

from typing import Any

from homeassistant.components.device_automation.exceptions import InvalidDeviceAutomationConfig
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import ConditionError
from homeassistant.helpers import condition as ha_condition, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.ev_v2g.const import DOMAIN
from custom_components.ev_v2g.device_condition import SITE_CONDITIONS, STATION_CONDITIONS
from hardware.station_sim import StationServer
from tests.common import state_of, wait_for

from .conftest import automate, condition, device_by_role, device_of, station_device, station_key

CHECK = "ev_v2g_test_check"


async def holding(hass: HomeAssistant, calls: list[ServiceCall]) -> set[str]:
    """The conditions that hold now, as automations see them."""
    calls.clear()
    hass.bus.async_fire(CHECK)
    await hass.async_block_till_done()
    return {run.data["condition"] for run in calls}


async def automate_every_condition(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """One automation per condition type, all run by the same event."""
    station = station_device(hass, site)
    site_device = device_of(hass, site.entry_id)
    await automate(
        hass,
        *(
            {
                "triggers": [{"platform": "event", "event_type": CHECK}],
                "conditions": [
                    condition(station if kind in STATION_CONDITIONS else site_device, kind)
                ],
                "actions": [{"action": "test.automation", "data": {"condition": kind}}],
            }
            for kind in (*STATION_CONDITIONS, *SITE_CONDITIONS)
        ),
    )


async def test_conditions_follow_the_station_and_site(
    hass: HomeAssistant,
    site: MockConfigEntry,
    station_server: StationServer,
    calls: list[ServiceCall],
) -> None:
    """Plugged, charging and demand response, each with its opposite."""
    await automate_every_condition(hass, site)
    assert await holding(hass, calls) == {
        "is_plugged",
        "is_not_charging",
        "demand_response_inactive",
    }

    station = station_device(hass, site)
    await hass.services.async_call(
        DOMAIN, "start_session", {"station": station, "resident": "ann"}, blocking=True
    )
    await wait_for(hass, lambda: state_of(hass, "sensor.bay_1_state") == "charging")
    await hass.services.async_call(
        DOMAIN, "set_demand_response", {"config_entry_id": site.entry_id, "mode": "shed"}
    )
    await hass.async_block_till_done()
    assert await holding(hass, calls) == {"is_plugged", "is_charging", "demand_response_active"}

    station_server.station.unplug()
    await wait_for(
        hass, lambda: state_of(hass, "sensor.bay_1_state") in ("idle", "plugged_in"), what="ended"
    )
    assert await holding(hass, calls) == {
        "is_not_plugged",
        "is_not_charging",
        "demand_response_active",
    }


async def test_for_asks_how_long_it_has_held(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """The car is plugged, but not for an hour yet."""
    station = station_device(hass, site)
    for extra, expected in (({}, True), ({"for": {"hours": 1}}, False)):
        config = await ha_condition.async_validate_condition_config(
            hass, condition(station, "is_plugged", **extra)
        )
        checker = await ha_condition.async_from_config(hass, config)
        assert checker(hass, {}) is expected


async def test_a_removed_entity_is_an_error(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """Not silently false: the condition fails and the automation's trace says why."""
    station = station_device(hass, site)
    config = await ha_condition.async_validate_condition_config(
        hass, condition(station, "is_charging")
    )
    checker = await ha_condition.async_from_config(hass, config)
    registry = er.async_get(hass)
    entity_id = registry.async_get_entity_id("sensor", DOMAIN, f"{station_key(site)}_state")
    assert entity_id is not None
    registry.async_remove(entity_id)
    with pytest.raises(ConditionError):
        checker(hass, {})


@pytest.mark.parametrize(
    ("device", "kind", "extra", "error"),
    [
        ("station", "is_charging", {"for": "a while"}, vol.Invalid),
        ("station", "is_full", {}, vol.Invalid),
        ("site", "is_plugged", {}, InvalidDeviceAutomationConfig),
        ("station", "demand_response_active", {}, InvalidDeviceAutomationConfig),
        ("ben", "is_charging", {}, InvalidDeviceAutomationConfig),
    ],
)
async def test_invalid_config(
    hass: HomeAssistant,
    site: MockConfigEntry,
    device: str,
    kind: str,
    extra: dict[str, Any],
    error: type[Exception],
) -> None:
    """Unknown types, malformed fields and the wrong kind of device are refused."""
    with pytest.raises(error):
        await ha_condition.async_validate_condition_config(
            hass, condition(device_by_role(hass, site, device), kind, **extra)
        )
