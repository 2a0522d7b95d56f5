"""What a station says that cannot be true changes nothing: over real UDP, with the simulator.

The truth is the station's own register as it really counts (the simulator's), not what the
integration made of it.
"""

from __future__ import annotations

from homeassistant.const import STATE_ON
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from hardware.station_sim import StationServer
from tests.common import number_of, state_of, usage, wait_for

CONNECTED = "binary_sensor.bay_1_connectivity"
IMPORTED = "sensor.bay_1_energy_imported"


@pytest.fixture
async def site(hass: HomeAssistant, init_integration: MockConfigEntry) -> MockConfigEntry:
    """The site once its station is in contact and its register read."""
    await wait_for(hass, lambda: state_of(hass, CONNECTED) == STATE_ON, what="contact")
    meter = next(iter(init_integration.runtime_data.hub.stations.values())).energy_import
    await wait_for(hass, lambda: meter.total_wh is not None, what="the register")
    return init_integration


async def test_an_impossible_energy_step_adds_nothing(
    hass: HomeAssistant, site: MockConfigEntry, station_server: StationServer
) -> None:
    """5 GWh in a moment: dropped and counted; the honest readings after it count as ever."""
    sim = station_server.station
    station = next(iter(site.runtime_data.hub.stations.values()))
    meter = station.energy_import
    total_before, register = meter.total_wh or 0.0, sim.energy_import_wh
    sim.energy_import_wh = 5e9
    station_server.notify_all()
    await wait_for(hass, lambda: station.implausible_readings >= 1, what="the step dropped")
    sim.energy_import_wh = register + 1.5
    station_server.notify_all()
    await wait_for(
        hass,
        lambda: meter.last_raw_wh == pytest.approx(register + 1.5, abs=0.001),
        what="the honest reading",
    )
    assert meter.total_wh == pytest.approx(total_before + 1.5, abs=0.002)
    assert number_of(hass, IMPORTED) < 1.0  # kWh
    await site.runtime_data.book.writer.async_flush()
    assert sum(row.import_wh for row in await usage(site)) <= 1.5 + 0.002


async def test_a_swapped_meter_counts_on_from_its_new_register(
    hass: HomeAssistant, site: MockConfigEntry, station_server: StationServer
) -> None:
    """A register that jumps and counts on from there: the jump adds nothing, the rest counts."""
    sim = station_server.station
    station = next(iter(site.runtime_data.hub.stations.values()))
    meter = station.energy_import
    total_before = meter.total_wh or 0.0
    for register in (2e6, 2e6 + 1.0):
        sim.energy_import_wh = register
        station_server.notify_all()
        await wait_for(
            hass,
            lambda r=register: meter.last_raw_wh == r or station.implausible_readings >= 1,
            what=f"{register} Wh read",
        )
    await wait_for(hass, lambda: meter.last_raw_wh == 2e6 + 1.0, what="the new baseline")
    assert meter.total_wh == pytest.approx(total_before + 1.0, abs=0.002)


async def test_a_failing_listener_stops_no_observation(
    hass: HomeAssistant, site: MockConfigEntry, station_server: StationServer
) -> None:
    """A listener that raises on every change: the others, and the observation, go on."""
    station = next(iter(site.runtime_data.hub.stations.values()))

    def broken() -> None:
        raise OverflowError("as round(inf) does")

    station.add_listener(broken)
    in_contact_since = hass.states.get(CONNECTED).last_changed
    sim = station_server.station
    for step in range(1, 6):
        sim.energy_import_wh += 1.0
        station_server.notify_all()
        register = sim.energy_import_wh
        await wait_for(
            hass,
            lambda r=register: station.energy_import.last_raw_wh == pytest.approx(r, abs=0.001),
            what=f"reading {step}",
        )
    await wait_for(
        hass,
        lambda: number_of(hass, IMPORTED) == pytest.approx(sim.energy_import_wh / 1000, abs=0.001),
        what="the sensor follows",
    )
    # The observation went on: contact was never lost and found again meanwhile.
    assert hass.states.get(CONNECTED).last_changed == in_contact_since
