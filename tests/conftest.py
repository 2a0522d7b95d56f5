"""Fixtures shared by the integration's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from types import MappingProxyType
from unittest.mock import patch

from homeassistant.config_entries import ConfigSubentryData, ConfigSubentryDataWithId
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity import Entity
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import pytest_socket

# Imported first so that `custom_components` resolves to this repository.
import custom_components.ev_v2g  # noqa: F401
from custom_components.ev_v2g.const import DOMAIN, SUBENTRY_STATION
from hardware.station_sim import SimulatedStation, StationServer, Vehicle, free_udp_port
from tests.common import resident, wait_for

pytest_plugins = ["tests.ledger_servers"]
LOOPBACK = ["127.0.0.1", "::1", "::ffff:127.0.0.1"]
SITE_DATA = {"supply_limit_a": 32.0, "phases": 1, "voltage_v": 230.0}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/ev_v2g."""


@pytest.fixture
def loopback(socket_enabled: None) -> Iterator[None]:
    """Allow real sockets, on loopback only."""
    pytest_socket.socket_allow_hosts(LOOPBACK, allow_unix_socket=True)
    yield
    pytest_socket.socket_allow_hosts(LOOPBACK, allow_unix_socket=True)


def station_subentry(
    name: str, port: int, host: str = "127.0.0.1", **extra: float | str | None
) -> ConfigSubentryData:
    """Subentry data of a CoAP station."""
    data = {
        "protocol": "coap",
        "host": host,
        "port": port,
        "min_current_a": 6.0,
        "max_current_a": 32.0,
        "phases": 1,
        **extra,
    }
    return ConfigSubentryData(
        data=MappingProxyType(data),
        subentry_type=SUBENTRY_STATION,
        title=name,
        unique_id=f"coap:{host}:{port}",
    )


@pytest.fixture
def sim_station() -> SimulatedStation:
    """A quick station: short Max-Age, fast ticks and ramp, a V2G car plugged at 50 %."""
    station = SimulatedStation(station_id="sim-1", max_age=1, tick=0.05, ramp_a_per_s=400)
    station.plug(Vehicle(capacity_kwh=40, soc=50, v2g=True))
    return station


@pytest.fixture
async def station_server(
    hass: HomeAssistant, loopback: None, sim_station: SimulatedStation
) -> AsyncIterator[StationServer]:
    """The simulated station, served over real UDP on loopback."""
    server = StationServer(sim_station, host="127.0.0.1", port=free_udp_port())
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def mock_config_entry(station_server: StationServer) -> MockConfigEntry:
    """A site with one station: the simulated one."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Garage",
        unique_id="garage",
        data=SITE_DATA,
        subentries_data=[station_subentry("Bay 1", station_server.port)],
    )


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> AsyncIterator[MockConfigEntry]:
    """The site set up, with its station in contact."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    yield mock_config_entry
    if mock_config_entry.state.recoverable:
        await hass.config_entries.async_unload(mock_config_entry.entry_id)
        await hass.async_block_till_done()


@pytest.fixture
def entities_enabled_by_default() -> Iterator[None]:
    """Every entity enabled, the noisy ones disabled by default included (for snapshots)."""
    with patch.object(Entity, "entity_registry_enabled_default", True):
        yield


@pytest.fixture
def idle_station() -> SimulatedStation:
    """A station with no car, so that everything it reports stays the same (for snapshots)."""
    return SimulatedStation(station_id="sim-idle", max_age=1, tick=0.05)


@pytest.fixture
async def platform_site(
    hass: HomeAssistant,
    loopback: None,
    idle_station: SimulatedStation,
    entities_enabled_by_default: None,
    request: pytest.FixtureRequest,
) -> AsyncIterator[MockConfigEntry]:
    """A site with one idle CoAP station and a resident, set up with one platform only.

    The test module names the platform in its PLATFORM constant.
    """
    platform = request.module.PLATFORM
    async with StationServer(idle_station, host="127.0.0.1", port=free_udp_port()) as server:
        # Fixed ids: the unique ids built from them are part of the snapshots.
        entry = MockConfigEntry(
            domain=DOMAIN,
            entry_id="site-garage",
            title="Garage",
            unique_id="garage",
            data=SITE_DATA,
            subentries_data=[
                ConfigSubentryDataWithId(
                    **station_subentry("Bay 1", server.port), subentry_id="station-bay-1"
                ),
                resident("ann", "Ann", v2g_opt_in=True),
            ],
        )
        entry.add_to_hass(hass)
        with patch("custom_components.ev_v2g.PLATFORMS", [platform]):
            assert await hass.config_entries.async_setup(entry.entry_id)
            await hass.async_block_till_done()
            stations = entry.runtime_data.hub.stations.values()
            await wait_for(
                hass,
                lambda: all(s.available and s.energy_import.total_wh is not None for s in stations),
                what="the station in contact, its meter read",
            )
            yield entry
            await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_block_till_done()
