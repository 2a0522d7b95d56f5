"""A station flooding notifications: bounded state writes, and the last value always lands.

Over real UDP with the simulator; the truth is what the simulator last sent.
"""

from __future__ import annotations

import asyncio
import time

from homeassistant.const import EVENT_STATE_CHANGED, STATE_ON
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_v2g.entity import WRITE_BURST, WRITE_RATE_HZ
from hardware.station_sim import StationServer
from tests.common import number_of, state_of, wait_for

CONNECTED = "binary_sensor.bay_1_connectivity"
VOLTAGE = "sensor.bay_1_voltage"
FLOOD_S = 2.0
NOTIFICATIONS = 2000


@pytest.fixture
async def site(hass: HomeAssistant, init_integration: MockConfigEntry) -> MockConfigEntry:
    """The site, its voltage sensor enabled, once its station is in contact."""
    er.async_get(hass).async_update_entity(VOLTAGE, disabled_by=None)
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    await wait_for(hass, lambda: state_of(hass, CONNECTED) == STATE_ON, what="contact")
    await wait_for(hass, lambda: state_of(hass, VOLTAGE) not in (None, "unknown"), what="volts")
    return init_integration


async def test_a_flood_of_notifications_writes_a_bounded_number_of_states(
    hass: HomeAssistant, site: MockConfigEntry, station_server: StationServer
) -> None:
    """2,000 voltage changes in 2 s: at most the burst plus the rate per entity; the last lands."""
    sim = station_server.station
    writes: dict[str, int] = {}

    @callback
    def count(event: Event[EventStateChangedData]) -> None:
        writes[event.data["entity_id"]] = writes.get(event.data["entity_id"], 0) + 1

    unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, count)
    started = time.monotonic()
    for number in range(NOTIFICATIONS):
        sim.nominal_voltage = 225.0 + (number % 11)  # a new voltage every time
        station_server.notify_all()
        await asyncio.sleep(FLOOD_S / NOTIFICATIONS)
    sim.nominal_voltage = 231.0
    station_server.notify_all()
    truth = sim.voltage
    # A busy machine works through the flood's backlog first: give the last value time to land.
    await wait_for(
        hass, lambda: number_of(hass, VOLTAGE) == round(truth), within=20, what="the last value"
    )
    unsubscribe()
    # Writes may trail the flood when the machine is busy: the time counted runs until the last
    # value landed (its own write included), with a second of slack.
    elapsed = time.monotonic() - started
    bound = WRITE_BURST + WRITE_RATE_HZ * (elapsed + 1.0) + 1
    assert writes.get(VOLTAGE, 0) <= bound
    assert max(writes.values()) <= bound  # no entity of the station writes more
    assert sum(writes.values()) <= bound * len(writes)


async def test_a_lone_change_is_written_at_once(
    hass: HomeAssistant, site: MockConfigEntry, station_server: StationServer
) -> None:
    """Ordinary traffic is not delayed: one change after a quiet spell shows in the next write."""
    sim = station_server.station
    sim.nominal_voltage = 236.0
    station_server.notify_all()
    started = time.monotonic()
    await wait_for(hass, lambda: number_of(hass, VOLTAGE) == round(sim.voltage), what="it")
    assert time.monotonic() - started < 1 / WRITE_RATE_HZ  # not held back for a token
