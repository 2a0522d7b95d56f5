"""The site in Home Assistant: its entities, demand-response services, load sensor and restore."""

from __future__ import annotations

from types import MappingProxyType

from homeassistant.auth.models import User
from homeassistant.components.number import ATTR_VALUE, SERVICE_SET_VALUE
from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_ON, STATE_OFF, STATE_ON
from homeassistant.core import Context, HomeAssistant, State
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    mock_restore_cache,
    mock_restore_cache_with_extra_data,
)

from custom_components.ev_v2g.const import DOMAIN, SUBENTRY_RESIDENT
from custom_components.ev_v2g.sharing import load_sensor
from hardware.station_sim import StationServer

from .common import number_of, state_of, wait_for
from .conftest import SITE_DATA, station_subentry

CONNECTED = "binary_sensor.bay_1_connectivity"
AVAILABLE = "sensor.garage_available_power"
DR_SELECT = "select.garage_demand_response"
DR_POWER = "number.garage_dr_power"
SITE_LIMIT = "number.garage_site_limit"
POLICY = "select.garage_allocation_policy"


async def _connected(hass: HomeAssistant) -> None:
    await wait_for(hass, lambda: state_of(hass, CONNECTED) == STATE_ON, what="contact")


async def _service(hass: HomeAssistant, service: str, **data: object) -> None:
    await hass.services.async_call(DOMAIN, service, data, blocking=True)


async def _set_number(hass: HomeAssistant, entity_id: str, value: float) -> None:
    await hass.services.async_call(
        "number", SERVICE_SET_VALUE, {ATTR_ENTITY_ID: entity_id, ATTR_VALUE: value}, blocking=True
    )


async def _select(hass: HomeAssistant, entity_id: str, option: str) -> None:
    await hass.services.async_call(
        "select", "select_option", {ATTR_ENTITY_ID: entity_id, "option": option}, blocking=True
    )


async def test_site_entities_follow_the_session(
    hass: HomeAssistant, init_integration: MockConfigEntry, station_server: StationServer
) -> None:
    """A session: the allocator gives the car the whole supply; site sensors show it."""
    await _connected(hass)
    assert number_of(hass, AVAILABLE) == 32 * 230
    assert state_of(hass, "binary_sensor.garage_dr_active") == STATE_OFF
    await hass.services.async_call(
        "switch", SERVICE_TURN_ON, {ATTR_ENTITY_ID: "switch.bay_1_charging"}, blocking=True
    )
    await wait_for(hass, lambda: station_server.station.setpoint_ma == 32000)
    await wait_for(hass, lambda: number_of(hass, "sensor.garage_charging_power") > 7000)
    assert number_of(hass, "sensor.garage_active_sessions") == 1
    await _set_number(hass, SITE_LIMIT, 20)
    await wait_for(hass, lambda: station_server.station.setpoint_ma == 20000, what="new limit")
    assert number_of(hass, AVAILABLE) == 20 * 230


async def test_coordinated_station_refuses_a_manual_limit(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Under the site's control, a hand-set current would be overwritten: it is refused."""
    await _connected(hass)
    with pytest.raises(ServiceValidationError) as raised:
        await _set_number(hass, "number.bay_1_current_limit", 10)
    assert raised.value.translation_key == "station_coordinated"


async def test_demand_response_by_service_with_duration(
    hass: HomeAssistant, init_integration: MockConfigEntry, station_server: StationServer
) -> None:
    """Limit 2.3 kW for one second: the car follows, then the site is back to normal by itself."""
    await _connected(hass)
    events = async_capture_events(hass, "ev_v2g_demand_response")
    await hass.services.async_call(
        "switch", SERVICE_TURN_ON, {ATTR_ENTITY_ID: "switch.bay_1_charging"}, blocking=True
    )
    await _service(
        hass,
        "set_demand_response",
        config_entry_id=init_integration.entry_id,
        mode="limit",
        power=2.3,
        duration={"seconds": 1},
    )
    await wait_for(hass, lambda: station_server.station.setpoint_ma == 10000, what="limited")
    state = hass.states.get(DR_SELECT)
    assert state is not None
    assert state.state == "limit"
    assert state.attributes["power_kw"] == 2.3
    assert state.attributes["until"] is not None
    await wait_for(hass, lambda: state_of(hass, DR_SELECT) == "normal", within=3, what="end")
    await wait_for(hass, lambda: station_server.station.setpoint_ma == 32000)
    assert [event.data["mode"] for event in events] == ["limit", "normal"]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"config_entry_id": "nope", "mode": "shed"}, "site_not_found"),
        ({"mode": "discharge"}, "power_required"),
        ({"mode": "limit", "power": 0}, "power_required"),
    ],
)
async def test_demand_response_service_errors(
    hass: HomeAssistant, init_integration: MockConfigEntry, data: dict[str, object], error: str
) -> None:
    """Unknown site, or a mode that needs a power without one: translated errors."""
    with pytest.raises(ServiceValidationError) as raised:
        await _service(
            hass, "set_demand_response", **{"config_entry_id": init_integration.entry_id, **data}
        )
    assert raised.value.translation_key == error


async def test_demand_response_on_an_unloaded_site(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A site that is not loaded cannot take a request."""
    await hass.config_entries.async_unload(init_integration.entry_id)
    with pytest.raises(ServiceValidationError) as raised:
        await _service(hass, "clear_demand_response", config_entry_id=init_integration.entry_id)
    assert raised.value.translation_key == "site_not_loaded"


async def test_demand_response_by_hand(
    hass: HomeAssistant, init_integration: MockConfigEntry, station_server: StationServer
) -> None:
    """The DR select needs a power for discharge; with one, the V2G car gives energy back."""
    await _connected(hass)
    with pytest.raises(ServiceValidationError) as raised:
        await _select(hass, DR_SELECT, "discharge")
    assert raised.value.translation_key == "power_required"
    await _set_number(hass, DR_POWER, 3.0)
    await _select(hass, DR_SELECT, "shed")
    assert state_of(hass, "binary_sensor.garage_dr_active") == STATE_ON
    await _select(hass, DR_SELECT, "normal")
    assert state_of(hass, "binary_sensor.garage_dr_active") == STATE_OFF


async def test_demand_response_by_hand_names_who_asked(
    hass: HomeAssistant, init_integration: MockConfigEntry, hass_admin_user: User
) -> None:
    """Picked by a person, the request's source is their name, as the dashboard shows it."""
    await _set_number(hass, DR_POWER, 3.0)
    await hass.services.async_call(
        "select",
        "select_option",
        {ATTR_ENTITY_ID: DR_SELECT, "option": "limit"},
        blocking=True,
        context=Context(user_id=hass_admin_user.id),
    )
    asked = hass.states.get("sensor.garage_dr_asked")
    assert asked is not None
    assert (asked.state, asked.attributes["source"]) == ("3.0", hass_admin_user.name)
    await _select(hass, DR_SELECT, "shed")
    shed = hass.states.get("sensor.garage_dr_asked")
    assert shed is not None
    assert (shed.state, shed.attributes["source"]) == ("0.0", "manual")


async def test_policy_select_applies_without_reload(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Choosing a policy stores it in the options and applies it to the running hub."""
    hub = init_integration.runtime_data.hub
    await _select(hass, POLICY, "fcfs")
    await hass.async_block_till_done()
    assert init_integration.options["policy"] == "fcfs"
    assert init_integration.runtime_data.hub is hub
    assert hub.sharing.options.policy == "fcfs"
    assert state_of(hass, POLICY) == "fcfs"


def _stored(value: float, unit: str) -> dict[str, object]:
    """What a RestoreNumber keeps across restarts."""
    return {
        "native_max_value": 1000.0,
        "native_min_value": 0.0,
        "native_step": 1.0,
        "native_unit_of_measurement": unit,
        "native_value": value,
    }


async def test_restart_restores_limit_mode_and_demand_response(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """Site limit, DR power, a DR request still in force and a manual station survive restarts."""
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(SITE_LIMIT, "20"),
                _stored(20.0, "A"),
            ),
            (
                State(DR_POWER, "4"),
                _stored(4.0, "kW"),
            ),
            (State(DR_SELECT, "limit", {"power_kw": 4.0, "until": None, "source": "grid"}), {}),
            (State("select.bay_1_control_mode", "manual"), {}),
        ],
    )
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    sharing = mock_config_entry.runtime_data.hub.sharing
    assert sharing.site_limit_a == 20
    assert sharing.demand_response.request.mode == "limit"
    assert sharing.demand_response.request.power_w == 4000
    assert sharing.demand_response.source == "grid"
    assert state_of(hass, "select.bay_1_control_mode") == "manual"
    await hass.config_entries.async_unload(mock_config_entry.entry_id)


async def test_expired_demand_response_is_not_restored(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """A request whose end passed while Home Assistant was down stays ended."""
    mock_restore_cache(
        hass,
        [State(DR_SELECT, "shed", {"power_kw": 0, "until": "2020-01-01T00:00:00+00:00"})],
    )
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert state_of(hass, DR_SELECT) == "normal"
    await hass.config_entries.async_unload(mock_config_entry.entry_id)


@pytest.fixture
def load_entry(station_server: StationServer) -> MockConfigEntry:
    """A site whose limit follows a building-load sensor, with a 10 A safe limit."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Garage",
        unique_id="garage",
        data=SITE_DATA,
        options={"load_sensor": "sensor.building_load", "safe_limit_a": 10.0},
        subentries_data=[station_subentry("Bay 1", station_server.port)],
    )


async def test_load_sensor_and_its_repair_issue(
    hass: HomeAssistant, load_entry: MockConfigEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The limit follows the sensor (W or kW); no value -> safe limit, then a repair issue."""
    monkeypatch.setattr(load_sensor, "LOAD_SENSOR_GRACE", 0.1)
    hass.states.async_set("sensor.building_load", "2300", {"unit_of_measurement": "W"})
    load_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(load_entry.entry_id)
    await hass.async_block_till_done()
    assert number_of(hass, AVAILABLE) == 22 * 230
    hass.states.async_set("sensor.building_load", "4.6", {"unit_of_measurement": "kW"})
    await hass.async_block_till_done()
    assert number_of(hass, AVAILABLE) == 12 * 230
    issue_id = f"load_sensor_unavailable_{load_entry.entry_id}"
    hass.states.async_set("sensor.building_load", "unavailable")
    await hass.async_block_till_done()
    assert number_of(hass, AVAILABLE) == 10 * 230
    await wait_for(hass, lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None)
    hass.states.async_set("sensor.building_load", "nonsense", {"unit_of_measurement": "W"})
    await hass.async_block_till_done()
    assert number_of(hass, AVAILABLE) == 10 * 230
    hass.states.async_set("sensor.building_load", "0", {"unit_of_measurement": "W"})
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert number_of(hass, AVAILABLE) == 32 * 230
    await hass.config_entries.async_unload(load_entry.entry_id)


async def test_a_resident_linked_user_charges_as_that_resident(
    hass: HomeAssistant, station_server: StationServer, hass_admin_user: User
) -> None:
    """A plain user linked to a resident may start a session, which is the resident's."""
    user = await hass.auth.async_create_user("Dana", group_ids=["system-users"])
    resident = ConfigSubentryDataWithId(
        data=MappingProxyType({"user_id": user.id, "v2g_opt_in": False, "id_tags": []}),
        subentry_type=SUBENTRY_RESIDENT,
        title="Dana",
        unique_id="dana",
        subentry_id="dana",
    )
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Garage",
        unique_id="garage",
        data=SITE_DATA,
        subentries_data=[resident, station_subentry("Bay 1", station_server.port)],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await _connected(hass)
    await hass.services.async_call(
        "switch",
        SERVICE_TURN_ON,
        {ATTR_ENTITY_ID: "switch.bay_1_charging"},
        blocking=True,
        context=Context(user_id=user.id),
    )
    assert state_of(hass, "sensor.bay_1_session_resident") == "Dana"
    await hass.config_entries.async_unload(entry.entry_id)


async def test_a_relay_found_closed_with_no_session_on_record_is_opened(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, station_server: StationServer
) -> None:
    """Nobody authorized what the station runs: it is told to stop, and no session is made up."""
    station_server.station.set_switch(True)
    station_server.station.set_regulator(16000, None)
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await wait_for(hass, lambda: not station_server.station.switch_on, what="the relay opened")
    await wait_for(hass, lambda: state_of(hass, "sensor.bay_1_state") in ("idle", "plugged_in"))
    assert state_of(hass, "sensor.bay_1_session_resident") == "unknown"
    await wait_for(hass, lambda: station_server.station.current_a == 0, what="the car stopped")
    await hass.config_entries.async_unload(mock_config_entry.entry_id)
