"""A site with OCPP charge points, and simulated charge points connected to it over loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from types import MappingProxyType
from typing import Any

from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_v2g.const import DOMAIN, SUBENTRY_RESIDENT, SUBENTRY_STATION
from custom_components.ev_v2g.transport.ocpp.passwords import hash_password
from hardware.station_sim.ocpp import SimulatedChargePoint
from hardware.station_sim.ports import free_tcp_port
from tests.common import wait_for
from tests.conftest import SITE_DATA

PASSWORD = "Secret1Secret2Secret"


def charge_point_subentry(
    charge_point_id: str, name: str = "Charger", connectors: int = 1, **extra: Any
) -> ConfigSubentryData:
    """Subentry data of an OCPP charge point."""
    data = {
        "protocol": "ocpp",
        "charge_point_id": charge_point_id,
        "password_hash": hash_password(PASSWORD),
        "connectors": connectors,
        "min_current_a": 6.0,
        "max_current_a": 32.0,
        "phases": 1,
        "connected_phase": 1,
        **extra,
    }
    return ConfigSubentryData(
        data=MappingProxyType(data),
        subentry_type=SUBENTRY_STATION,
        title=name,
        unique_id=f"ocpp:{charge_point_id}",
    )


def resident_subentry(name: str, *tags: str) -> ConfigSubentryData:
    """Subentry data of a resident with RFID / OCPP tags."""
    return ConfigSubentryData(
        data=MappingProxyType({"id_tags": list(tags), "v2g_opt_in": False, "priority": 0}),
        subentry_type=SUBENTRY_RESIDENT,
        title=name,
        unique_id=None,
    )


@pytest.fixture
def ocpp_port(loopback: None) -> int:
    """The site's OCPP port for this test."""
    return free_tcp_port()


@pytest.fixture(params=["ocpp1.6", "ocpp2.0.1"])
def version(request: pytest.FixtureRequest) -> str:
    """Each test that asks runs once per OCPP version."""
    return str(request.param)


def garage(ocpp_port: int, *subentries: ConfigSubentryData) -> MockConfigEntry:
    """The site "Garage" listening on ``ocpp_port`` with these subentries."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Garage",
        unique_id="garage",
        data=SITE_DATA,
        options={"ocpp_port": ocpp_port},
        subentries_data=list(subentries),
    )


@pytest.fixture
def site_entry(ocpp_port: int) -> MockConfigEntry:
    """A site with one single-connector charge point and a resident with a card."""
    return garage(
        ocpp_port, charge_point_subentry("cp-1"), resident_subentry("Alice", "CARD-ALICE")
    )


@pytest.fixture
async def site(hass: HomeAssistant, site_entry: MockConfigEntry) -> AsyncIterator[MockConfigEntry]:
    """The site set up and listening."""
    site_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    yield site_entry
    if site_entry.state.recoverable:
        await hass.config_entries.async_unload(site_entry.entry_id)
        await hass.async_block_till_done()


type ChargePointFactory = Callable[..., SimulatedChargePoint]


@pytest.fixture
async def charge_points(hass: HomeAssistant, version: str) -> AsyncIterator[ChargePointFactory]:
    """Make simulated charge points (quick physics); all are stopped at the end."""
    made: list[SimulatedChargePoint] = []

    def make(charge_point_id: str = "cp-1", **kwargs: Any) -> SimulatedChargePoint:
        kwargs.setdefault("password", PASSWORD)
        kwargs.setdefault("version", version)
        kwargs.setdefault("tick", 0.05)
        kwargs.setdefault("meter_interval", 0.2)
        made.append(SimulatedChargePoint(charge_point_id, **kwargs))
        return made[-1]

    yield make
    for charge_point in made:
        await charge_point.stop()


@pytest.fixture
async def charger(
    hass: HomeAssistant, site: MockConfigEntry, ocpp_port: int, charge_points: ChargePointFactory
) -> SimulatedChargePoint:
    """cp-1 connected to the site, its station available."""
    charge_point = charge_points()
    await charge_point.connect(f"ws://127.0.0.1:{ocpp_port}")
    await wait_for(
        hass,
        lambda: (
            hass.states.get("binary_sensor.charger_connectivity") is not None
            and hass.states.get("binary_sensor.charger_connectivity").state == "on"
        ),
        what="the charger online",
    )
    return charge_point
