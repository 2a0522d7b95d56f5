"""Readings at a bill's bounds: the energy before a price change is billed at the old price.

The truth is the simulated station's own counter at the moment of the change. The reading
interval is the real one (a reading a minute), so without a reading at the bound the whole
minute would be billed at the new price.
"""

from __future__ import annotations

from datetime import timedelta

from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF, SERVICE_TURN_ON, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.ev_v2g.bookkeeping.bounds import BEFORE_BOUND, BoundReadings
from custom_components.ev_v2g.bookkeeping.month_totals import this_month
from custom_components.ev_v2g.bookkeeping.price import PriceSource
from custom_components.ev_v2g.const import DOMAIN
from hardware.station_sim import StationServer
from tests.common import call, resident, state_of, usage, wait_for
from tests.conftest import SITE_DATA, station_subentry

PRICE_SENSOR = "sensor.electricity_price"


@pytest.fixture
def mock_config_entry(station_server: StationServer) -> MockConfigEntry:
    """A site billed by a price sensor, its station owned by Ann."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Garage",
        unique_id="garage",
        data=SITE_DATA,
        options={"tariff": "sensor", "price_sensor": PRICE_SENSOR, "price": 0.0},
        subentries_data=[
            station_subentry("Bay 1", station_server.port, owner="ann"),
            resident("ann", "Ann"),
        ],
    )


async def test_the_energy_before_a_price_change_is_billed_at_the_old_price(
    hass: HomeAssistant, station_server: StationServer, mock_config_entry: MockConfigEntry
) -> None:
    """0.10 a kWh, then 1.10: Ann pays each kWh at the price in force when it was drawn."""
    hass.states.async_set(PRICE_SENSOR, "0.10")
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    await wait_for(hass, lambda: state_of(hass, "binary_sensor.bay_1_connectivity") == STATE_ON)
    sim = station_server.station
    await hass.services.async_call(
        "switch", SERVICE_TURN_ON, {ATTR_ENTITY_ID: "switch.bay_1_charging"}, blocking=True
    )
    station = next(iter(mock_config_entry.runtime_data.hub.stations.values()))
    start = station.energy_import.total_wh or 0.0
    await wait_for(hass, lambda: (station.energy_import.total_wh or 0) - start > 8, within=15)
    at_change = station.energy_import.total_wh or 0.0
    hass.states.async_set(PRICE_SENSOR, "1.10")
    await hass.async_block_till_done()
    await wait_for(hass, lambda: (station.energy_import.total_wh or 0) - at_change > 8, within=15)
    await hass.services.async_call(
        "switch", SERVICE_TURN_OFF, {ATTR_ENTITY_ID: "switch.bay_1_charging"}, blocking=True
    )
    await hass.async_block_till_done()
    end = station.energy_import.total_wh or 0.0
    assert abs(end - sim.energy_import_wh) < 1.0  # what HA saw is what the station counted
    truth = (at_change - start) / 1000 * 0.10 + (end - at_change) / 1000 * 1.10
    cost = sum(row.cost for row in await usage(mock_config_entry) if row.resident == "ann")
    assert cost == pytest.approx(truth, abs=0.0015)
    statement = await call(hass, "get_statement", {"config_entry_id": mock_config_entry.entry_id})
    assert statement["balanced"] is True


async def test_a_reading_is_taken_just_before_each_month_ends(hass: HomeAssistant) -> None:
    """At the month's end every station is read, dated just before it, at the price then."""
    taken: list[tuple[float, float]] = []
    price = PriceSource(hass, {"tariff": "fixed", "price": 0.25})
    bounds = BoundReadings(hass, price, lambda: this_month()[1], lambda *a: taken.append(a))
    stop = bounds.start()
    end = this_month()[1]
    async_fire_time_changed(hass, end + timedelta(seconds=1))
    await hass.async_block_till_done()
    assert taken == [(end.timestamp() - BEFORE_BOUND, 0.25)]
    stop()


async def test_a_reading_is_taken_at_each_time_of_use_change(hass: HomeAssistant) -> None:
    """A schedule 07:00=0.30, 23:00=0.10: the readings fall at its changes, at the old price."""
    taken: list[tuple[float, float]] = []
    price = PriceSource(hass, {"tariff": "time_of_use", "tou_schedule": "07:00=0.30, 23:00=0.10"})
    bounds = BoundReadings(hass, price, lambda: this_month()[1], lambda *a: taken.append(a))
    stop = bounds.start()
    now = dt_util.now()
    change = price.tariff.next_change(now)
    assert change is not None
    assert change.strftime("%H:%M") in ("07:00", "23:00")
    async_fire_time_changed(hass, change + timedelta(seconds=1))
    await hass.async_block_till_done()
    before = 0.10 if change.strftime("%H:%M") == "07:00" else 0.30
    assert taken[:1] == [(change.timestamp() - BEFORE_BOUND, before)]
    stop()
