"""Config flow of the site and subentry flows of its stations."""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_v2g.const import DOMAIN, SUBENTRY_STATION
from hardware.station_sim import StationServer, free_udp_port
from tests.common import station_form

SITE_FORM = {"name": "Garage", "supply_limit_a": 40, "phases": "3", "voltage_v": 230}


async def test_create_site(hass: HomeAssistant) -> None:
    """A site is created from its form, with numbers stored as numbers."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], SITE_FORM)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Garage"
    assert result["data"] == {"supply_limit_a": 40.0, "phases": 3, "voltage_v": 230.0}
    assert result["result"].unique_id == "garage"


async def test_site_name_is_unique(hass: HomeAssistant) -> None:
    """A second site with the same name is refused."""
    MockConfigEntry(domain=DOMAIN, title="Garage", unique_id="garage", data={}).add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**SITE_FORM, "name": " garage "}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reconfigure_site(hass: HomeAssistant) -> None:
    """Reconfigure changes name and supply; a name taken by another site is refused."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Garage",
        unique_id="garage",
        data={"supply_limit_a": 32.0, "phases": 1, "voltage_v": 230.0},
    )
    entry.add_to_hass(hass)
    MockConfigEntry(domain=DOMAIN, title="Barn", unique_id="barn", data={}).add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    taken = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**SITE_FORM, "name": "Barn"}
    )
    assert taken["type"] is FlowResultType.ABORT
    assert taken["reason"] == "already_configured"
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**SITE_FORM, "name": "Garage", "supply_limit_a": 63}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["supply_limit_a"] == 63.0
    assert entry.data["phases"] == 3


@pytest.fixture
def site(hass: HomeAssistant) -> MockConfigEntry:
    """A site without stations (not set up: subentry flows only need the entry)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Garage",
        unique_id="garage",
        data={"supply_limit_a": 32.0, "phases": 1, "voltage_v": 230.0},
    )
    entry.add_to_hass(hass)
    return entry


async def _station_flow(hass: HomeAssistant, site: MockConfigEntry) -> str:
    result = await hass.config_entries.subentries.async_init(
        (site.entry_id, SUBENTRY_STATION), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["coap", "ocpp"]
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"next_step_id": "coap"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "coap"
    return result["flow_id"]


async def test_add_station_tests_it_first(
    hass: HomeAssistant, site: MockConfigEntry, station_server: StationServer
) -> None:
    """A station that answers with the ev_v2g resources is added."""
    flow_id = await _station_flow(hass, site)
    result = await hass.config_entries.subentries.async_configure(
        flow_id, station_form(station_server.port)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    subentry = next(iter(site.subentries.values()))
    assert subentry.title == "Bay 2"
    assert subentry.unique_id == f"coap:127.0.0.1:{station_server.port}"
    assert dict(subentry.data) == {
        "protocol": "coap",
        "host": "127.0.0.1",
        "port": station_server.port,
        "min_current_a": 6.0,
        "max_current_a": 16.0,
        "phases": 1,
        "connected_phase": 1,
        "owner": None,
    }


async def test_add_station_ipv6_literal(
    hass: HomeAssistant, site: MockConfigEntry, loopback: None
) -> None:
    """An IPv6 literal, even typed in brackets, reaches the station."""
    from hardware.station_sim import SimulatedStation

    server = StationServer(
        SimulatedStation(max_age=1, tick=0.05), host="::1", port=free_udp_port("::1")
    )
    await server.start()
    try:
        flow_id = await _station_flow(hass, site)
        result = await hass.config_entries.subentries.async_configure(
            flow_id, station_form(server.port, host="[::1]")
        )
    finally:
        await server.stop()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert next(iter(site.subentries.values())).data["host"] == "::1"


async def test_add_station_cannot_connect(
    hass: HomeAssistant, site: MockConfigEntry, loopback: None
) -> None:
    """Nothing at the address: a clear error, and the form keeps what was typed."""
    flow_id = await _station_flow(hass, site)
    form = station_form(free_udp_port())
    result = await hass.config_entries.subentries.async_configure(flow_id, form)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    assert not site.subentries


async def test_add_station_not_a_station(
    hass: HomeAssistant, site: MockConfigEntry, station_server: StationServer
) -> None:
    """A CoAP server without the ev_v2g resources is refused."""
    station_server.station.faults.missing = {".well-known/core"}
    flow_id = await _station_flow(hass, site)
    result = await hass.config_entries.subentries.async_configure(
        flow_id, station_form(station_server.port)
    )
    assert result["errors"] == {"base": "not_station"}
    station_server.station.faults.missing = {"vehicle"}
    result = await hass.config_entries.subentries.async_configure(
        flow_id, station_form(station_server.port)
    )
    assert result["errors"] == {"base": "not_station"}


async def test_add_station_min_above_max(
    hass: HomeAssistant, site: MockConfigEntry, station_server: StationServer
) -> None:
    """A minimum above the maximum is refused on its field."""
    flow_id = await _station_flow(hass, site)
    result = await hass.config_entries.subentries.async_configure(
        flow_id, station_form(station_server.port, min_current_a=20)
    )
    assert result["errors"] == {"min_current_a": "min_above_max"}


async def test_add_station_already_configured(
    hass: HomeAssistant, site: MockConfigEntry, station_server: StationServer
) -> None:
    """The same address twice is refused, naming the station already there."""
    for expected in (FlowResultType.CREATE_ENTRY, FlowResultType.ABORT):
        flow_id = await _station_flow(hass, site)
        result = await hass.config_entries.subentries.async_configure(
            flow_id, station_form(station_server.port)
        )
        assert result["type"] is expected
    assert result["reason"] == "same_station"


async def test_reconfigure_station(
    hass: HomeAssistant, site: MockConfigEntry, station_server: StationServer
) -> None:
    """Reconfigure keeps the station's own address allowed and stores the change."""
    flow_id = await _station_flow(hass, site)
    await hass.config_entries.subentries.async_configure(flow_id, station_form(station_server.port))
    subentry_id = next(iter(site.subentries))
    result = await site.start_subentry_reconfigure_flow(hass, subentry_id)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], station_form(station_server.port, name="Bay 9", max_current_a=20)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    subentry = site.subentries[subentry_id]
    assert subentry.title == "Bay 9"
    assert subentry.data["max_current_a"] == 20.0
