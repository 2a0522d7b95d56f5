"""What a station reports about its limits narrows its configuration, never widens or breaks it.

Each /regulator report is judged on its own against what the station was set up with: an
absurd one (a negative maximum, a minimum above the maximum) is ignored, and discharge is capped
by the configured maximum current. Checked against the setpoints the simulators applied.
"""

from __future__ import annotations

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


async def test_discharge_is_capped_by_the_configured_maximum(
    hass: HomeAssistant, loopback: None
) -> None:
    """Set up for 16 A, a station able to give 25 A discharges at 16 A at most."""
    simulated = SimulatedStation(
        station_id="sim-v2g", max_age=1, tick=0.05, ramp_a_per_s=400, max_discharge_ma=25000
    )
    simulated.plug(Vehicle(capacity_kwh=60, soc=80, v2g=True))
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
                station_subentry("Bay A", server.port, max_current_a=16.0, owner="ann"),
                resident,
            ],
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        station = next(iter(entry.runtime_data.hub.stations.values()))
        await wait_for(hass, lambda: station.available, what="contact")
        await start_session(hass, "A", "ann")
        await hass.services.async_call(
            DOMAIN,
            "set_demand_response",
            {"config_entry_id": entry.entry_id, "mode": "discharge", "power": 10},
            blocking=True,
        )
        await wait_for(hass, lambda: applied_a(simulated) < 0, within=10, what="a discharge")
        assert min(ma for _, ma in simulated.applied) >= -16000, simulated.applied
        assert await hass.config_entries.async_unload(entry.entry_id)
