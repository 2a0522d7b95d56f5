"""What a station reports about its limits narrows its configuration, never widens or breaks it.

Each /regulator report is judged on its own against what the station was set up with: an
absurd one (a negative maximum, a minimum above the maximum) is ignored, and discharge is capped
by the configured maximum current. Checked against the setpoints the simulators applied.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
from types import MappingProxyType

from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_v2g.const import DOMAIN, SUBENTRY_RESIDENT
from hardware.station_sim import SimulatedStation, StationServer, Vehicle, free_udp_port
from tests.common import wait_for
from tests.conftest import station_subentry

from .conftest import Site, applied_a, start_session


def _bay_a(site: Site) -> tuple[SimulatedStation, object]:
    hub = site.entry.runtime_data.hub
    key = next(k for k, s in hub.stations.items() if s.name == "Bay A")
    return site.station("A"), hub.stations[key]


@pytest.mark.parametrize(
    ("report", "what"),
    [({"max_ma": -5000}, "a negative maximum"), ({"min_ma": 10000, "max_ma": 8000}, "min > max")],
)
async def test_an_absurd_report_leaves_the_configuration(
    hass: HomeAssistant, site: Site, report: dict[str, int], what: str
) -> None:
    """The configured 6..32 A stays in force; no setpoint outside it is ever applied."""
    simulated, station = _bay_a(site)
    await start_session(hass, "A", "ann")
    await wait_for(hass, lambda: applied_a(simulated) == 20, what="A charging at 20 A")
    # The same report carries a new fallback: once HA shows it, the report was taken in.
    simulated.faults.regulator_limits = {**report, "fallback_ma": 1000}
    await wait_for(hass, lambda: station.telemetry.fallback_a == 1.0, what="the report")
    assert (station.capabilities.min_current_a, station.capabilities.max_current_a) == (6, 32), what
    simulated.faults.regulator_limits = {}
    await start_session(hass, "B", "ben")
    await wait_for(hass, lambda: applied_a(simulated) == 10, within=10, what="A at its share")
    assert all(0 <= ma <= 32000 for _, ma in simulated.applied), simulated.applied


@contextlib.asynccontextmanager
async def v2g_garage(
    hass: HomeAssistant, simulated: SimulatedStation, **station: float | str
) -> AsyncIterator[MockConfigEntry]:
    """A 32 A site with the simulated station as Bay A, Ann's (opted in to V2G), in contact."""
    async with StationServer(simulated, port=free_udp_port()) as server:
        resident = ConfigSubentryDataWithId(
            data=MappingProxyType(
                {"id_tags": [], "v2g_opt_in": True, "reserve_soc": 20.0, "priority": 0}
            ),
            subentry_type=SUBENTRY_RESIDENT,
            title="Ann",
            unique_id="ann",
            subentry_id="ann",
        )
        entry = MockConfigEntry(
            domain=DOMAIN,
            title="Garage",
            data={"supply_limit_a": 32.0, "phases": 1, "voltage_v": 230.0},
            subentries_data=[
                station_subentry("Bay A", server.port, owner="ann", **station),
                resident,
            ],
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        bay = next(iter(entry.runtime_data.hub.stations.values()))
        await wait_for(hass, lambda: bay.available, what="contact")
        yield entry
        assert await hass.config_entries.async_unload(entry.entry_id)


async def ask_for_discharge(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Ann's session at Bay A, then the grid asks the site for 10 kW."""
    await start_session(hass, "A", "ann")
    await hass.services.async_call(
        DOMAIN,
        "set_demand_response",
        {"config_entry_id": entry.entry_id, "mode": "discharge", "power": 10},
        blocking=True,
    )


def _v2g_station(**contract: bool) -> SimulatedStation:
    simulated = SimulatedStation(
        station_id="sim-v2g", max_age=1, tick=0.05, ramp_a_per_s=400, **contract
    )
    simulated.plug(Vehicle(capacity_kwh=60, soc=80, v2g=True))
    return simulated


async def test_discharge_is_capped_by_the_configured_maximum(
    hass: HomeAssistant, loopback: None
) -> None:
    """Set up for 16 A, a station able to give 25 A discharges at 16 A at most."""
    simulated = SimulatedStation(
        station_id="sim-v2g", max_age=1, tick=0.05, ramp_a_per_s=400, max_discharge_ma=25000
    )
    simulated.plug(Vehicle(capacity_kwh=60, soc=80, v2g=True))
    async with v2g_garage(hass, simulated, max_current_a=16.0) as entry:
        await ask_for_discharge(hass, entry)
        await wait_for(hass, lambda: applied_a(simulated) < 0, within=10, what="a discharge")
        assert min(ma for _, ma in simulated.applied) >= -16000, simulated.applied


@pytest.mark.parametrize(
    "contract",
    [
        {},
        {"discharge_as_min_ma": True},
        {"discharge_as_min_ma": True, "reports_v2g": False, "rt_prefix": None},
    ],
    ids=["max_discharge_ma and v2g", "min_ma below zero", "min_ma below zero, no v2g, no rt"],
)
async def test_a_station_that_says_it_discharges_discharges(
    hass: HomeAssistant, loopback: None, contract: dict[str, bool]
) -> None:
    """Whichever way the contract lets it say so, a V2G station gives what the grid asks."""
    simulated = _v2g_station(**contract)
    async with v2g_garage(hass, simulated) as entry:
        await ask_for_discharge(hass, entry)
        await wait_for(hass, lambda: applied_a(simulated) < 0, within=10, what="a discharge")
        assert min(ma for _, ma in simulated.applied) >= -simulated.max_discharge_ma


async def test_a_car_the_station_says_cannot_feed_back_is_not_discharged(
    hass: HomeAssistant, loopback: None
) -> None:
    """`"v2g": false` on /vehicle: the station's ability does not make the car feed back."""
    simulated = _v2g_station(discharge_as_min_ma=True)
    assert simulated.vehicle is not None
    simulated.vehicle.v2g = False
    async with v2g_garage(hass, simulated) as entry:
        bay = next(iter(entry.runtime_data.hub.stations.values()))
        await wait_for(hass, lambda: bay.telemetry.vehicle_v2g is False, what="the car read")
        assert bay.capabilities.can_discharge  # the station could
        await ask_for_discharge(hass, entry)
        await asyncio.sleep(2)  # several allocations and their deliveries
        assert all(ma >= 0 for _, ma in simulated.applied), simulated.applied
