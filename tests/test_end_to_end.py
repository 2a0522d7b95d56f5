"""End to end over real UDP: Home Assistant <-> ev_v2g <-> a simulated CoAP station."""

from __future__ import annotations

from homeassistant.components.number import ATTR_VALUE, SERVICE_SET_VALUE
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF, SERVICE_TURN_ON, STATE_ON
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from hardware.station_sim import StationServer

from .common import number_of, set_manual, state_of, wait_for

SWITCH = "switch.bay_1_charging"
LIMIT = "number.bay_1_current_limit"
POWER = "sensor.bay_1_power"
CURRENT = "sensor.bay_1_current"
STATE = "sensor.bay_1_state"
CONNECTED = "binary_sensor.bay_1_connectivity"
PLUGGED = "binary_sensor.bay_1_vehicle_plugged"


async def test_station_comes_up_with_live_values(
    hass: HomeAssistant, init_integration: MockConfigEntry, station_server: StationServer
) -> None:
    """The station's entities fill in from observations, without polling."""
    await wait_for(hass, lambda: state_of(hass, CONNECTED) == STATE_ON, what="contact")
    await wait_for(hass, lambda: state_of(hass, PLUGGED) == STATE_ON, what="plugged")
    assert state_of(hass, STATE) in ("idle", "plugged_in")
    assert state_of(hass, SWITCH) == "off"
    assert float(state_of(hass, CURRENT) or "nan") == 0.0
    limit = hass.states.get(LIMIT)
    assert limit is not None
    assert limit.attributes["min"] == -16.0
    assert limit.attributes["max"] == 32.0


async def test_charging_follows_the_limit_and_discharges(
    hass: HomeAssistant, init_integration: MockConfigEntry, station_server: StationServer
) -> None:
    """Manual control: switch on, set a limit, the car draws it; a negative limit discharges."""
    await wait_for(hass, lambda: state_of(hass, CONNECTED) == STATE_ON, what="contact")
    await set_manual(hass)
    await hass.services.async_call(
        "number", SERVICE_SET_VALUE, {ATTR_ENTITY_ID: LIMIT, ATTR_VALUE: 10}, blocking=True
    )
    assert station_server.station.setpoint_ma == 10000
    await hass.services.async_call(
        "switch", SERVICE_TURN_ON, {ATTR_ENTITY_ID: SWITCH}, blocking=True
    )
    assert station_server.station.switch_on
    await wait_for(hass, lambda: state_of(hass, STATE) == "charging", what="charging")
    await wait_for(hass, lambda: number_of(hass, POWER) > 2000, what="power near 10 A x 230 V")
    await hass.services.async_call(
        "number", SERVICE_SET_VALUE, {ATTR_ENTITY_ID: LIMIT, ATTR_VALUE: -8}, blocking=True
    )
    await wait_for(hass, lambda: number_of(hass, POWER) < -1500, what="discharge")
    assert state_of(hass, STATE) == "discharging"
    await hass.services.async_call(
        "switch", SERVICE_TURN_OFF, {ATTR_ENTITY_ID: SWITCH}, blocking=True
    )
    assert not station_server.station.switch_on
    assert state_of(hass, STATE) in ("idle", "plugged_in")
    await wait_for(hass, lambda: number_of(hass, POWER) == 0, what="no power")
