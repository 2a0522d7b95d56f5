"""The condo garage end to end over real UDP: three stations on a supply that carries two.

The first-come-first-served queue of the condominium pilot, then a demand-response discharge
split across the plugged cars whose residents opted in, then back to charging.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import MappingProxyType

from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF, SERVICE_TURN_ON, STATE_ON
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.ev_v2g.const import DOMAIN, SUBENTRY_RESIDENT
from hardware.station_sim import SimulatedStation, StationServer, Vehicle, free_udp_port

from .common import number_of, state_of, wait_for
from .conftest import station_subentry

BAYS = ("bay_a", "bay_b", "bay_c")
RESIDENTS = (("ann", "Ann", True), ("ben", "Ben", True), ("cleo", "Cleo", False))
# 16 A carries two cars at their 6 A minimum, not three.
CONDO_SITE = {"supply_limit_a": 16.0, "phases": 1, "voltage_v": 230.0}


@pytest.fixture
async def servers(hass: HomeAssistant, loopback: None) -> AsyncIterator[list[StationServer]]:
    """Three simulated stations, each with a V2G car at 80 % plugged in."""
    started = []
    for name in BAYS:
        station = SimulatedStation(station_id=name, max_age=1, tick=0.05, ramp_a_per_s=400)
        station.plug(Vehicle(capacity_kwh=60, soc=80, v2g=True))
        server = StationServer(station, host="127.0.0.1", port=free_udp_port())
        await server.start()
        started.append(server)
    yield started
    for server in started:
        await server.stop()


@pytest.fixture
async def condo(
    hass: HomeAssistant, servers: list[StationServer]
) -> AsyncIterator[MockConfigEntry]:
    """The garage: fcfs, three residents (Cleo has not opted in to V2G), one bay each."""
    residents = [
        ConfigSubentryDataWithId(
            data=MappingProxyType({"v2g_opt_in": opt_in, "reserve_soc": 30.0, "id_tags": []}),
            subentry_type=SUBENTRY_RESIDENT,
            title=title,
            unique_id=key,
            subentry_id=key,
        )
        for key, title, opt_in in RESIDENTS
    ]
    stations = [
        station_subentry(name.replace("_", " ").title(), server.port, owner=owner)
        for name, server, (owner, _, _) in zip(BAYS, servers, RESIDENTS, strict=True)
    ]
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Condo",
        unique_id="condo",
        data=CONDO_SITE,
        options={"policy": "fcfs"},
        subentries_data=[*residents, *stations],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    for bay in BAYS:
        await wait_for(
            hass, lambda bay=bay: state_of(hass, f"binary_sensor.{bay}_connectivity") == STATE_ON
        )
    yield entry
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def _switch(hass: HomeAssistant, bay: str, service: str) -> None:
    await hass.services.async_call(
        "switch", service, {ATTR_ENTITY_ID: f"switch.{bay}_charging"}, blocking=True
    )


def _setpoints(servers: list[StationServer]) -> list[float]:
    return [server.station.setpoint_ma / 1000 for server in servers]


async def test_condo_queue_discharge_and_back(
    hass: HomeAssistant, condo: MockConfigEntry, servers: list[StationServer]
) -> None:
    """Third car waits, starts within a second of another ending; 7 kW of V2G; back to normal."""
    allocation_events = async_capture_events(hass, "ev_v2g_allocation_changed")
    dr_events = async_capture_events(hass, "ev_v2g_demand_response")
    for bay in BAYS:
        await _switch(hass, bay, SERVICE_TURN_ON)
        await hass.async_block_till_done()
    await wait_for(hass, lambda: number_of(hass, "sensor.condo_queued_sessions") == 1)
    await wait_for(hass, lambda: _setpoints(servers) == [10.0, 6.0, 0.0], what="fcfs split")
    await wait_for(hass, lambda: servers[0].station.current_a > 9, what="bay a charging")
    assert servers[2].station.current_a == 0
    assert number_of(hass, "sensor.condo_active_sessions") == 2
    assert allocation_events[-1].data["queued"] == ["Bay C"]
    # What each bay shows agrees with what its simulator draws: Bay C waits first in line.
    await wait_for(hass, lambda: state_of(hass, "sensor.bay_a_state") == "charging")
    waiting = hass.states.get("sensor.bay_c_state")
    assert waiting is not None
    assert (waiting.state, waiting.attributes["queue_place"]) == ("waiting", 1)
    assert servers[2].station.current_a == 0

    await _switch(hass, "bay_a", SERVICE_TURN_OFF)
    took = await wait_for(
        hass, lambda: servers[2].station.setpoint_ma >= 6000, what="bay c gets its turn"
    )
    assert took < 1.0
    await wait_for(hass, lambda: servers[2].station.current_a >= 6, what="bay c draws")
    assert number_of(hass, "sensor.condo_queued_sessions") == 0
    await _switch(hass, "bay_a", SERVICE_TURN_ON)
    await wait_for(hass, lambda: number_of(hass, "sensor.condo_queued_sessions") == 1)
    assert sum(s.station.current_a for s in servers) <= 16.0 + 1e-6

    await hass.services.async_call(
        DOMAIN,
        "set_demand_response",
        {"config_entry_id": condo.entry_id, "mode": "discharge", "power": 7, "source": "pv_drop"},
        blocking=True,
    )
    # Ann and Ben opted in; Cleo did not, so her car pauses rather than discharging.
    await wait_for(hass, lambda: _setpoints(servers) == [-15.2, -15.2, 0.0], what="V2G split")
    await wait_for(
        hass,
        lambda: abs(number_of(hass, "sensor.condo_charging_power") + 7000) < 200,
        what="7 kW delivered",
    )
    assert state_of(hass, "binary_sensor.condo_dr_active") == STATE_ON
    assert state_of(hass, "select.condo_demand_response") == "discharge"
    assert dr_events[-1].data["mode"] == "discharge"
    assert dr_events[-1].data["source"] == "pv_drop"
    # Ann's and Ben's simulators give power back; Cleo's draws nothing, paused by the request.
    await wait_for(hass, lambda: state_of(hass, "sensor.bay_b_state") == "discharging")
    assert servers[1].station.current_a < 0
    paused = hass.states.get("sensor.bay_c_state")
    assert paused is not None
    assert (paused.state, paused.attributes["reason"]) == ("paused", "demand_response")
    assert number_of(hass, "sensor.condo_queued_sessions") == 0  # paused for DR, not queued
    assert servers[2].station.current_a == 0
    assert number_of(hass, "sensor.condo_dr_asked") == 7.0
    given_back_kw = -sum(s.station.current_a for s in servers) * 230.0 / 1000
    assert abs(number_of(hass, "sensor.condo_dr_delivered") - given_back_kw) < 0.3
    asked = hass.states.get("sensor.condo_dr_asked")
    assert asked is not None
    assert (asked.attributes["mode"], asked.attributes["source"]) == ("discharge", "pv_drop")

    # Ben withdraws his consent on his device: his car stops giving back, the site runs on.
    runtime = condo.runtime_data
    await hass.services.async_call(
        "switch", SERVICE_TURN_OFF, {ATTR_ENTITY_ID: "switch.ben_v2g_consent"}, blocking=True
    )
    await wait_for(hass, lambda: servers[1].station.current_a >= 0, what="Bay B stops giving")
    assert condo.runtime_data is runtime
    assert condo.subentries["ben"].data["v2g_opt_in"] is False
    assert state_of(hass, "switch.ben_v2g_consent") == "off"
    await hass.services.async_call(
        "number",
        "set_value",
        {ATTR_ENTITY_ID: "number.ann_v2g_reserve", "value": 90},
        blocking=True,
    )
    # Ann's car is at 80 %: below the reserve she now keeps, it gives nothing back.
    await wait_for(hass, lambda: servers[0].station.current_a >= 0, what="Bay A keeps 90 %")
    assert number_of(hass, "number.ann_v2g_reserve") == 90

    await hass.services.async_call(
        DOMAIN, "clear_demand_response", {"config_entry_id": condo.entry_id}, blocking=True
    )
    await wait_for(hass, lambda: _setpoints(servers) == [0.0, 10.0, 6.0], what="charging again")
    await wait_for(hass, lambda: number_of(hass, "sensor.condo_charging_power") > 3000)
    assert dr_events[-1].data["mode"] == "normal"
    assert number_of(hass, "sensor.condo_queued_sessions") == 1
    assert state_of(hass, "sensor.condo_dr_asked") == "unknown"
