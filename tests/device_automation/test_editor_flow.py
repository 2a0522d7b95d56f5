"""Flows built in the automation editor, end to end: device triggers, conditions and actions only.

"Charge Ben's car when it is plugged in, unless the grid asks us to hold back" and "stop
charging when demand response starts", as the editor saves them in automations.yaml, against
the site and the simulated station over real UDP.
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_v2g.const import DOMAIN
from hardware.station_sim import StationServer, Vehicle
from tests.common import state_of, wait_for

from .conftest import RESIDENT, SWITCH, device_of, station_device

PLUGGED = "binary_sensor.bay_1_vehicle_plugged"
STATE = "sensor.bay_1_state"


def device(kind: str, device_id: str, type_: str, **extra: Any) -> dict[str, Any]:
    """A device trigger, condition or action in the editor's YAML (`trigger:`, `condition:`)."""
    item = {"device_id": device_id, "domain": DOMAIN, "type": type_, **extra}
    if kind != "action":
        item[kind] = "device"
    return item


def editor_flows(station: str, site_device: str) -> list[dict[str, Any]]:
    """Two automations as the editor writes them."""
    return [
        {
            "id": "1767225600000",
            "alias": "Charge Ben's car when plugged in",
            "description": "",
            "triggers": [device("trigger", station, "plugged_in")],
            "conditions": [
                device("condition", site_device, "demand_response_inactive"),
                device("condition", station, "is_not_charging"),
            ],
            "actions": [device("action", station, "start_session", resident="ben")],
            "mode": "single",
        },
        {
            "id": "1767225600001",
            "alias": "Hold back when the grid asks",
            "description": "",
            "triggers": [device("trigger", site_device, "demand_response_started")],
            "conditions": [device("condition", station, "is_charging")],
            "actions": [device("action", station, "stop_session")],
            "mode": "single",
        },
    ]


async def set_demand_response(hass: HomeAssistant, site: MockConfigEntry, mode: str) -> None:
    """Ask the site for demand response (or clear it with `normal`)."""
    await hass.services.async_call(
        DOMAIN,
        "set_demand_response",
        {"config_entry_id": site.entry_id, "mode": mode, "power": 3},
        blocking=True,
    )
    await hass.async_block_till_done()


async def test_plug_in_charges_and_demand_response_stops_it(
    hass: HomeAssistant, site: MockConfigEntry, station_server: StationServer
) -> None:
    """Plugging in starts Ben's session; demand response stops it; while it lasts, none starts."""
    sim = station_server.station
    sim.unplug()
    await wait_for(hass, lambda: state_of(hass, PLUGGED) == "off", what="unplugged")
    flows = editor_flows(station_device(hass, site), device_of(hass, site.entry_id))
    assert await async_setup_component(hass, "automation", {"automation": flows})
    await hass.async_block_till_done()
    assert state_of(hass, "automation.charge_ben_s_car_when_plugged_in") == "on"

    sim.plug(Vehicle(capacity_kwh=40, soc=50, v2g=True))
    await wait_for(hass, lambda: state_of(hass, STATE) == "charging", what="Ben charging")
    session = hass.states.get(RESIDENT)
    assert session is not None
    assert (session.state, session.attributes["authorization"]) == ("Ben", "automation")

    await set_demand_response(hass, site, "shed")
    await wait_for(hass, lambda: state_of(hass, SWITCH) == "off", what="session stopped")
    assert sim.switch_on is False

    sim.unplug()
    await wait_for(hass, lambda: state_of(hass, PLUGGED) == "off", what="unplugged")
    sim.plug(Vehicle(capacity_kwh=40, soc=50, v2g=True))
    await wait_for(hass, lambda: state_of(hass, PLUGGED) == "on", what="plugged during DR")
    assert state_of(hass, SWITCH) == "off"

    await set_demand_response(hass, site, "normal")
    sim.unplug()
    await wait_for(hass, lambda: state_of(hass, PLUGGED) == "off", what="unplugged")
    sim.plug(Vehicle(capacity_kwh=40, soc=50, v2g=True))
    await wait_for(hass, lambda: state_of(hass, STATE) == "charging", what="charging again")
    assert state_of(hass, RESIDENT) == "Ben"
