"""Set-up, unload and reload of a site."""

from __future__ import annotations

import asyncio
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState, ConfigSubentry
from homeassistant.const import STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_v2g.const import DOMAIN
from hardware.station_sim import SimulatedStation, StationServer, free_udp_port

from .common import state_of, wait_for
from .conftest import SITE_DATA, station_subentry

CONNECTED = "binary_sensor.bay_1_connectivity"


def _observation_tasks() -> list[asyncio.Task[object]]:
    return [t for t in asyncio.all_tasks() if t.get_name().startswith("ev_v2g observe")]


async def test_load_and_unload_leaves_nothing_behind(
    hass: HomeAssistant, init_integration: MockConfigEntry, station_server: StationServer
) -> None:
    """Unloading stops the observations and releases the CoAP context."""
    entry = init_integration
    await wait_for(hass, lambda: state_of(hass, CONNECTED) == STATE_ON)
    assert entry.state is ConfigEntryState.LOADED
    assert len(_observation_tasks()) == 1
    hub = entry.runtime_data.hub
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert _observation_tasks() == []
    assert hub.links == {}
    assert state_of(hass, CONNECTED) == "unavailable"


async def test_devices_site_and_station(
    hass: HomeAssistant, init_integration: MockConfigEntry, device_registry: dr.DeviceRegistry
) -> None:
    """One device for the site and one per station, the station's linked via the site."""
    entry = init_integration
    site = device_registry.async_get_device(identifiers={(DOMAIN, entry.entry_id)})
    assert site is not None
    assert site.name == "Garage"
    subentry_id = next(iter(entry.subentries))
    station = device_registry.async_get_device(identifiers={(DOMAIN, subentry_id)})
    assert station is not None
    assert station.name == "Bay 1"
    assert station.via_device_id == site.id
    assert station.config_entries_subentries[entry.entry_id] == {subentry_id}


async def test_adding_a_station_reloads_the_site(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A new station subentry shows up with its entities after the automatic reload."""
    entry = init_integration
    async with StationServer(
        SimulatedStation(station_id="sim-2", max_age=1, tick=0.05), port=free_udp_port()
    ) as second:
        hass.config_entries.async_add_subentry(
            entry, ConfigSubentry(**station_subentry("Bay 2", second.port))
        )
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        await wait_for(hass, lambda: state_of(hass, "binary_sensor.bay_2_connectivity") == STATE_ON)
        assert len(_observation_tasks()) == 2
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_site_without_stations(hass: HomeAssistant, loopback: None) -> None:
    """A new site has no stations yet and loads fine."""
    entry = MockConfigEntry(domain=DOMAIN, title="Empty", data=SITE_DATA)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_coap_endpoint_failure_retries(hass: HomeAssistant, socket_enabled: None) -> None:
    """When the CoAP client cannot open its socket, set-up is retried later."""
    entry = MockConfigEntry(domain=DOMAIN, title="Garage", data=SITE_DATA)
    entry.add_to_hass(hass)
    with patch(
        "custom_components.ev_v2g.coap_endpoint.create_endpoint",
        side_effect=OSError("no UDP for you"),
    ):
        await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert "no UDP for you" in (entry.reason or "")
    # The failure is not kept: the retry opens the endpoint.
    assert await hass.config_entries.async_reload(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
