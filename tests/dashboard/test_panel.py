"""The site's dashboard as the frontend loads it, over Home Assistant's own websocket API.

Checked against what the dashboard code does not compute: the states Home Assistant holds
(every card names an entity that exists and is not unavailable) and the entity registry
(every enabled entity of a station or resident the site shows has its card).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from homeassistant.components import frontend
from homeassistant.config_entries import ConfigSubentry, ConfigSubentryData
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.ev_v2g.const import SUBENTRY_RESIDENT
from hardware.station_sim import SimulatedStation, StationServer, Vehicle, free_udp_port
from tests.common import wait_for
from tests.conftest import station_subentry

URL = "ev-charging-garage"
SHOWN = {"sensor", "switch", "number", "select", "binary_sensor"}
NOT_ON_TILES = {"current", "energy_imported", "voltage", "control_mode", "current_limit"}
"""Station entities kept for the device page and the graphs, not tiled."""


@pytest.fixture
async def lovelace(hass: HomeAssistant) -> None:
    """Home Assistant's dashboards, as a default installation has them."""
    assert await async_setup_component(hass, "lovelace", {})


async def _load(hass: HomeAssistant, hass_ws_client: WebSocketGenerator) -> dict[str, Any]:
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "lovelace/config", "url_path": URL})
    answer = await client.receive_json()
    assert answer["success"], answer
    config: dict[str, Any] = answer["result"]
    return config


def _cards(config: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for view in config["views"]:
        for section in view["sections"]:
            yield from section["cards"]


def _entity_ids(config: dict[str, Any]) -> list[str]:
    ids = []
    for card in _cards(config):
        if "entity" in card:
            ids.append(card["entity"])
        ids.extend(
            line["entity"] if isinstance(line, dict) else line for line in card.get("entities", [])
        )
    return ids


def _headings(config: dict[str, Any]) -> list[str]:
    return [card["heading"] for card in _cards(config) if card["type"] == "heading"]


def _tiled_keys(hass: HomeAssistant, entry: MockConfigEntry, config: dict[str, Any]) -> set[str]:
    registry = er.async_get(hass)
    tiles = {card["entity"] for card in _cards(config) if card["type"] == "tile"}
    return {
        e.entity_id
        for e in er.async_entries_for_config_entry(registry, entry.entry_id)
        if e.disabled_by is None
        and e.entity_category is None
        and e.domain in SHOWN
        and e.entity_id not in tiles
    }


def _resident_subentry() -> ConfigSubentryData:
    return ConfigSubentryData(
        data={"v2g_opt_in": True, "reserve_soc": 30.0, "id_tags": []},
        subentry_type=SUBENTRY_RESIDENT,
        title="Ann",
        unique_id="ann",
    )


@pytest.fixture
async def garage(
    hass: HomeAssistant, lovelace: None, init_integration: MockConfigEntry
) -> MockConfigEntry:
    """The one-station site with its dashboard, and Ann as its resident."""
    hass.config_entries.async_add_subentry(init_integration, ConfigSubentry(**_resident_subentry()))
    await hass.async_block_till_done()
    # Each platform adds Ann's entities in its own time: wait for one of every platform; and
    # Bay 1's "energy exported" comes once its station has said over the wire it can discharge.
    expected = (
        "sensor.ann_cost_this_month",
        "switch.ann_v2g_consent",
        "number.ann_v2g_reserve",
        "sensor.bay_1_energy_exported",
    )
    await wait_for(hass, lambda: all(hass.states.get(entity_id) for entity_id in expected))
    await hass.async_block_till_done()
    return init_integration


async def test_the_dashboard_shows_every_station_and_resident(
    hass: HomeAssistant,
    garage: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    station_server: StationServer,
) -> None:
    """In the sidebar under the site's name; every card's entity exists and is live."""
    panel = hass.data[frontend.DATA_PANELS][URL]
    assert (panel.component_name, panel.sidebar_title) == ("lovelace", "Garage")
    config = await _load(hass, hass_ws_client)
    assert config["title"] == "Garage"
    assert {"Garage", "Bay 1", "Residents", "Ann"} <= set(_headings(config))
    for entity_id in _entity_ids(config):
        state = hass.states.get(entity_id)
        assert state is not None, entity_id
        assert state.state != STATE_UNAVAILABLE, entity_id
    untiled = _tiled_keys(hass, garage, config)
    assert {entity_id.split("_", 2)[-1] for entity_id in untiled} <= {
        *NOT_ON_TILES,
        "1_current",
        "1_energy_imported",
        "1_control_mode",
        "1_current_limit",
        "1_connectivity",
        "dr_active",
    }, untiled
    # Bay 1's simulator can give energy back: its "energy exported" has a tile.
    assert station_server.station.can_discharge
    assert "sensor.bay_1_energy_exported" in _entity_ids(config)


async def test_a_station_added_appears_and_the_others_stay(
    hass: HomeAssistant, garage: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> None:
    """Bay 2 added in place: on the dashboard at the next load, browsers told to reload.

    Bay 2's simulator cannot discharge, so its "energy exported" has no tile.
    """
    updated = []
    hass.bus.async_listen("lovelace_updated", lambda event: updated.append(event.data))
    car = SimulatedStation(
        station_id="sim-2", max_age=1, tick=0.05, ramp_a_per_s=400, max_discharge_ma=0
    )
    assert not car.can_discharge
    car.plug(Vehicle(capacity_kwh=60, soc=40, v2g=False))
    async with StationServer(car, port=free_udp_port()) as server:
        subentry = station_subentry("Bay 2", server.port)
        hass.config_entries.async_add_subentry(garage, ConfigSubentry(**subentry))
        await hass.async_block_till_done()
        await wait_for(hass, lambda: hass.states.get("sensor.bay_2_power") is not None)
        config = await _load(hass, hass_ws_client)
        assert "Bay 2" in _headings(config)
        assert "sensor.bay_2_power" in _entity_ids(config)
        assert "sensor.bay_2_energy_exported" not in _entity_ids(config)
        assert {"url_path": URL} in updated
        # Removed again: gone from the dashboard.
        hass.config_entries.async_remove_subentry(
            garage, next(s for s in garage.subentries.values() if s.title == "Bay 2").subentry_id
        )
        await hass.async_block_till_done()
        assert "Bay 2" not in _headings(await _load(hass, hass_ws_client))


async def test_the_dashboard_can_be_left_out(
    hass: HomeAssistant, garage: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> None:
    """Turned off in the site's options it leaves the sidebar, without a reload; back on, back."""
    runtime = garage.runtime_data
    hass.config_entries.async_update_entry(garage, options={**garage.options, "dashboard": False})
    await hass.async_block_till_done()
    assert URL not in hass.data[frontend.DATA_PANELS]
    assert garage.runtime_data is runtime
    hass.config_entries.async_update_entry(garage, options={**garage.options, "dashboard": True})
    await hass.async_block_till_done()
    assert URL in hass.data[frontend.DATA_PANELS]
    assert (await _load(hass, hass_ws_client))["title"] == "Garage"
    await hass.config_entries.async_unload(garage.entry_id)
    await hass.async_block_till_done()
    assert URL not in hass.data[frontend.DATA_PANELS]


async def test_get_dashboard_returns_what_the_sidebar_shows(
    hass: HomeAssistant, garage: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> None:
    """The action gives the same configuration, to paste into a dashboard of one's own."""
    response = await hass.services.async_call(
        "ev_v2g",
        "get_dashboard",
        {"config_entry_id": garage.entry_id},
        blocking=True,
        return_response=True,
    )
    assert response == await _load(hass, hass_ws_client)


async def test_only_the_sites_own_entities_reload_browsers(
    hass: HomeAssistant, garage: MockConfigEntry
) -> None:
    """Another integration's entity removed: no reload; one of the site's renamed: a reload."""
    updated: list[dict[str, Any]] = []
    hass.bus.async_listen("lovelace_updated", lambda event: updated.append(event.data))
    registry = er.async_get(hass)
    other = registry.async_get_or_create("sensor", "other", "thing", suggested_object_id="thing")
    registry.async_remove(other.entity_id)
    await hass.async_block_till_done()
    assert updated == []
    registry.async_update_entity("sensor.bay_1_power", name="Bay 1 draw")
    await hass.async_block_till_done()
    assert updated == [{"url_path": URL}]
