"""A CoAP station is recognised by the contract alone, and added to a site once.

Over real UDP with the simulator: one that follows only DESIGN.md section 5 (no `rt` values,
discharge said as `min_ma` < 0, no `v2g`, no boot record) is a station; one that lacks a path is
told which; every spelling of an address already on the site is the same station.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from hardware.station_sim import SimulatedStation, StationServer, free_udp_port
from tests.common import coap_station_flow, garage, station_form
from tests.conftest import station_subentry


@pytest.fixture
def site(hass: HomeAssistant) -> MockConfigEntry:
    """A site without stations (subentry flows only need the entry)."""
    return garage(hass)


@pytest.fixture
async def foreign(loopback: None) -> AsyncIterator[StationServer]:
    """A station written from the contract alone, on 127.0.0.1."""
    station = SimulatedStation(
        station_id="acme-1",
        rt_prefix=None,
        discharge_as_min_ma=True,
        reports_v2g=False,
        boot_record=False,
    )
    async with StationServer(station, port=free_udp_port()) as server:
        yield server


@pytest.mark.parametrize("rt_prefix", [None, "acme:", "ev_v2g."], ids=["no rt", "its own", "ours"])
async def test_a_station_that_follows_only_the_contract_is_added(
    hass: HomeAssistant, site: MockConfigEntry, foreign: StationServer, rt_prefix: str | None
) -> None:
    """No `rt` values, its own, or ours: recognised by its five paths."""
    foreign.station.rt_prefix = rt_prefix
    flow_id = await coap_station_flow(hass, site)
    result = await hass.config_entries.subentries.async_configure(
        flow_id, station_form(foreign.port)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    ("missing", "named"),
    [({"energy"}, "/energy"), ({"switch", "vehicle"}, "/switch, /vehicle")],
)
async def test_the_form_names_what_is_missing(
    hass: HomeAssistant,
    site: MockConfigEntry,
    foreign: StationServer,
    missing: set[str],
    named: str,
) -> None:
    """A server without some of the paths: the error says which, and nothing is added."""
    foreign.station.faults.missing = missing
    flow_id = await coap_station_flow(hass, site)
    result = await hass.config_entries.subentries.async_configure(
        flow_id, station_form(foreign.port)
    )
    assert result["errors"] == {"base": "not_station"}
    assert result["description_placeholders"] == {"missing": named}
    assert not site.subentries


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",
        "LOCALHOST",
        "::ffff:127.0.0.1",
        "[::ffff:127.0.0.1]",
        " 127.0.0.1 ",
    ],
)
async def test_every_spelling_of_an_address_on_the_site_is_the_same_station(
    hass: HomeAssistant, foreign: StationServer, host: str
) -> None:
    """Bay 1 is at 127.0.0.1: the station at any of its spellings is refused, naming Bay 1."""
    site = garage(hass, station_subentry("Bay 1", foreign.port))
    flow_id = await coap_station_flow(hass, site)
    result = await hass.config_entries.subentries.async_configure(
        flow_id, station_form(foreign.port, host=host)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "same_station"
    assert result["description_placeholders"] == {
        "station": "Bay 1",
        "address": f"127.0.0.1:{foreign.port}",
    }
    assert len(site.subentries) == 1


async def test_another_port_of_the_same_host_is_another_station(
    hass: HomeAssistant, foreign: StationServer, loopback: None
) -> None:
    """Two stations behind one address answer on two ports: both are added."""
    async with StationServer(SimulatedStation(station_id="acme-2"), port=free_udp_port()) as other:
        site = garage(hass, station_subentry("Bay 1", foreign.port))
        flow_id = await coap_station_flow(hass, site)
        result = await hass.config_entries.subentries.async_configure(
            flow_id, station_form(other.port, host="localhost")
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert len(site.subentries) == 2


async def test_reconfiguring_onto_another_stations_address_is_refused(
    hass: HomeAssistant, foreign: StationServer, loopback: None
) -> None:
    """Bay 2 moved to Bay 1's address under another spelling: refused, Bay 2 unchanged."""
    site = garage(
        hass,
        station_subentry("Bay 1", foreign.port),
        station_subentry("Bay 2", foreign.port + 1 if foreign.port < 65535 else 1),
    )
    bay_2 = next(s for s in site.subentries.values() if s.title == "Bay 2")
    result = await site.start_subentry_reconfigure_flow(hass, bay_2.subentry_id)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], station_form(foreign.port, host="localhost", name="Bay 2")
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "same_station"
    assert site.subentries[bay_2.subentry_id].data["port"] == bay_2.data["port"]
