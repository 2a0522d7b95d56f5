"""Commands from Home Assistant to a station: validated first, station errors translated."""

from __future__ import annotations

import json
from pathlib import Path

from homeassistant.auth.models import User
from homeassistant.components.number import ATTR_VALUE, SERVICE_SET_VALUE
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_ON, STATE_ON
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_v2g.core.station import StationState
from hardware.station_sim import StationServer, Vehicle

from .common import set_manual, state_of, wait_for

TRANSLATIONS = (
    Path(__file__).parents[1] / "custom_components" / "ev_v2g" / "translations" / "en.json"
)

SWITCH = "switch.bay_1_charging"
LIMIT = "number.bay_1_current_limit"
STATE = "sensor.bay_1_state"
RESIDENT = "sensor.bay_1_session_resident"
CONNECTED = "binary_sensor.bay_1_connectivity"


@pytest.fixture
async def connected(hass: HomeAssistant, init_integration: MockConfigEntry) -> MockConfigEntry:
    """The site, once its station is in contact, with the station in manual control."""
    await wait_for(hass, lambda: state_of(hass, CONNECTED) == STATE_ON, what="contact")
    await set_manual(hass)
    return init_integration


async def _switch(hass: HomeAssistant, service: str, context: Context | None = None) -> None:
    await hass.services.async_call(
        "switch", service, {ATTR_ENTITY_ID: SWITCH}, blocking=True, context=context
    )


async def _limit(hass: HomeAssistant, value: float) -> None:
    await hass.services.async_call(
        "number", SERVICE_SET_VALUE, {ATTR_ENTITY_ID: LIMIT, ATTR_VALUE: value}, blocking=True
    )


async def test_enable_twice_is_an_illegal_transition(
    hass: HomeAssistant, connected: MockConfigEntry
) -> None:
    """Enabling an enabled station is refused with a translated validation error."""
    await _switch(hass, SERVICE_TURN_ON)
    with pytest.raises(ServiceValidationError) as raised:
        await _switch(hass, SERVICE_TURN_ON)
    assert raised.value.translation_key == "illegal_while_enabled"
    assert raised.value.translation_placeholders == {
        "station": "Bay 1",
        "state": "enabled",
        "transition": "enable",
    }


async def test_setpoint_below_minimum_is_refused_before_sending(
    hass: HomeAssistant, connected: MockConfigEntry, station_server: StationServer
) -> None:
    """3 A is inside the number's range but below the station's minimum: not sent."""
    with pytest.raises(ServiceValidationError) as raised:
        await _limit(hass, 3)
    assert raised.value.translation_key == "out_of_range"
    assert raised.value.translation_placeholders["min"] == "6"
    assert station_server.station.setpoint_ma == 0


async def test_discharge_refused_by_the_station(
    hass: HomeAssistant, connected: MockConfigEntry, station_server: StationServer
) -> None:
    """A car that cannot give energy back: the station's 4.03 becomes a translated error."""
    station_server.station.unplug()
    station_server.station.plug(Vehicle(soc=60, v2g=False))
    with pytest.raises(HomeAssistantError) as raised:
        await _limit(hass, -8)
    assert raised.value.translation_key == "station_refused"
    assert raised.value.translation_placeholders["code"] == "4.03"


async def test_station_that_does_not_answer(
    hass: HomeAssistant, connected: MockConfigEntry, station_server: StationServer
) -> None:
    """A silent station: the command fails in bounded time with a translated error."""
    link = next(iter(connected.runtime_data.hub.links.values()))
    link.client.timeout = 0.5
    await station_server.freeze()
    with pytest.raises(HomeAssistantError) as raised:
        await _limit(hass, 10)
    assert raised.value.translation_key == "station_unreachable"


async def test_only_owner_or_admin_may_start_a_session(
    hass: HomeAssistant,
    connected: MockConfigEntry,
    hass_admin_user: User,
) -> None:
    """Until residents exist, a plain user cannot authorize a session; an admin can."""
    user = await hass.auth.async_create_user("Neighbour", group_ids=["system-users"])
    with pytest.raises(ServiceValidationError) as raised:
        await _switch(hass, SERVICE_TURN_ON, Context(user_id=user.id))
    assert raised.value.translation_key == "not_authorized"
    assert state_of(hass, SWITCH) == "off"
    await _switch(hass, SERVICE_TURN_ON, Context(user_id=hass_admin_user.id))
    assert state_of(hass, SWITCH) == "on"
    assert state_of(hass, RESIDENT) == "unassigned"
    attributes = hass.states.get(RESIDENT).attributes
    assert (attributes["authorization"], attributes["authorized_by"]) == (
        "user",
        hass_admin_user.name,
    )


async def test_unplugging_ends_the_session(
    hass: HomeAssistant, connected: MockConfigEntry, station_server: StationServer
) -> None:
    """Charging -> ready when the car leaves; the switch shows the session is over."""
    await _limit(hass, 16)
    await _switch(hass, SERVICE_TURN_ON)
    await wait_for(hass, lambda: state_of(hass, STATE) == "charging", what="charging")
    assert state_of(hass, RESIDENT) == "unassigned"
    assert hass.states.get(RESIDENT).attributes["authorization"] == "automation"
    station_server.station.unplug()
    await wait_for(
        hass, lambda: state_of(hass, STATE) in ("idle", "plugged_in"), what="session end"
    )
    assert state_of(hass, SWITCH) == "off"
    assert state_of(hass, RESIDENT) == "unknown"


async def test_relay_opened_at_the_station_ends_the_session(
    hass: HomeAssistant, connected: MockConfigEntry, station_server: StationServer
) -> None:
    """If the station opens its relay itself, the session is over in Home Assistant too."""
    await _switch(hass, SERVICE_TURN_ON)
    assert state_of(hass, STATE) == "paused"
    station_server.station.set_switch(False)
    await wait_for(
        hass, lambda: state_of(hass, STATE) in ("idle", "plugged_in"), what="session end"
    )


def test_every_state_a_step_can_be_refused_in_has_its_words() -> None:
    """Each life-cycle state has its own message, in words, without the raw state."""
    messages = json.loads(TRANSLATIONS.read_text(encoding="utf-8"))["exceptions"]
    for state in StationState:
        message = messages[f"illegal_while_{state.value}"]["message"]
        assert "{station}" in message
        assert "{state}" not in message
