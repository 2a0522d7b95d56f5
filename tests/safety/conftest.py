"""A 20 A site with two real simulated CoAP stations (Bay A, Bay B) and two residents.

Each simulator writes down every setpoint it puts in force (SimulatedStation.applied); the
tests check the site's limit against that log, at every instant, not against what the
integration believes it sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
import time
from types import MappingProxyType

from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_v2g.const import DOMAIN, SUBENTRY_RESIDENT
from custom_components.ev_v2g.links import lease
from hardware.station_sim import SimulatedStation, StationServer, Vehicle, free_udp_port
from tests.common import call, wait_for
from tests.conftest import station_subentry

LIMIT_A = 20.0


@dataclass
class Site:
    """The site, its two stations' simulators and servers."""

    entry: MockConfigEntry
    a: StationServer
    b: StationServer

    def station(self, bay: str) -> SimulatedStation:
        """A bay's simulator ("A" or "B")."""
        return (self.a if bay == "A" else self.b).station


def _resident(key: str, name: str, priority: int) -> ConfigSubentryDataWithId:
    return ConfigSubentryDataWithId(
        data=MappingProxyType({"id_tags": [], "v2g_opt_in": False, "priority": priority}),
        subentry_type=SUBENTRY_RESIDENT,
        title=name,
        unique_id=key,
        subentry_id=key,
    )


def _car_at(station_id: str) -> SimulatedStation:
    station = SimulatedStation(station_id=station_id, max_age=1, tick=0.05, ramp_a_per_s=400)
    station.plug(Vehicle(capacity_kwh=60, soc=40, v2g=False))
    return station


@pytest.fixture
async def site(hass: HomeAssistant, loopback: None) -> AsyncIterator[Site]:
    """The site set up, both stations in contact with a car plugged, no session yet."""
    async with (
        StationServer(_car_at("sim-a"), port=free_udp_port()) as a,
        StationServer(_car_at("sim-b"), port=free_udp_port()) as b,
    ):
        entry = MockConfigEntry(
            domain=DOMAIN,
            title="Garage",
            unique_id="garage",
            data={"supply_limit_a": LIMIT_A, "phases": 1, "voltage_v": 230.0},
            options={"policy": "fair_share"},
            subentries_data=[
                station_subentry("Bay A", a.port),
                station_subentry("Bay B", b.port),
                _resident("ann", "Ann", 2),
                _resident("ben", "Ben", 1),
            ],
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        stations = entry.runtime_data.hub.stations.values()
        await wait_for(hass, lambda: all(s.available for s in stations), what="contact")
        yield Site(entry, a, b)
        if entry.state.recoverable:
            await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_block_till_done()


@pytest.fixture
def short_lease(monkeypatch: pytest.MonkeyPatch) -> None:
    """Setpoints leased for 8 s (renewed 3 s before their end): a lapse within a test."""
    monkeypatch.setattr(lease, "SETPOINT_LEASE", 8)
    monkeypatch.setattr(lease, "SETPOINT_REFRESH_MARGIN", 3)


async def both_at_10_a(hass: HomeAssistant, site: Site) -> None:
    """Ann's session at Bay A and Ben's at Bay B, sharing the 20 A: 10 A each, as applied."""
    a, b = site.station("A"), site.station("B")
    await start_session(hass, "A", "ann")
    await start_session(hass, "B", "ben")
    await wait_for(hass, lambda: applied_a(a) == applied_a(b) == 10, what="10 A each")


async def start_session(hass: HomeAssistant, bay: str, resident: str) -> None:
    """Start a session at Bay A or B for a resident, as the service does."""
    device = next(d.id for d in dr.async_get(hass).devices.values() if d.name == f"Bay {bay}")
    await call(hass, "start_session", {"station": device, "resident": resident})


def applied_a(station: SimulatedStation) -> float:
    """The setpoint the station has in force now, in A."""
    return station.setpoint_ma / 1000


def peak_import_a(*stations: SimulatedStation) -> tuple[float, float]:
    """The peak sum of import setpoints in force at once, and the seconds it was over the limit.

    Read from the stations' own logs; an excess still running counts up to now.
    """
    events = sorted((at, index, ma) for index, s in enumerate(stations) for at, ma in s.applied)
    now = [0] * len(stations)
    peak, over, since = 0.0, 0.0, None
    for at, index, ma in events:
        now[index] = ma
        total = sum(max(value, 0) for value in now) / 1000
        peak = max(peak, total)
        if total > LIMIT_A + 1e-6 and since is None:
            since = at
        elif total <= LIMIT_A + 1e-6 and since is not None:
            over += at - since
            since = None
    if since is not None:
        over += time.monotonic() - since
    return peak, over
