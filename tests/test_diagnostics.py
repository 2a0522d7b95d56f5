"""Diagnostics: useful, and with nothing personal or addressable in them."""

from __future__ import annotations

import json

from homeassistant.const import STATE_ON
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.ev_v2g.const import DOMAIN
from custom_components.ev_v2g.core import ledger_schema
from hardware.station_sim import StationServer

from .common import state_of, wait_for
from .conftest import SITE_DATA, station_subentry


async def test_diagnostics_are_redacted(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, init_integration: MockConfigEntry
) -> None:
    """The site and its stations are described; host and titles are redacted."""
    await wait_for(hass, lambda: state_of(hass, "binary_sensor.bay_1_connectivity") == STATE_ON)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    assert diagnostics["site"]["supply_limit_a"] == 32.0
    assert diagnostics["site"]["title"] == "**REDACTED**"
    (station,) = diagnostics["stations"].values()
    assert station["config"]["host"] == "**REDACTED**"
    assert station["state"] == "ready"
    assert station["connected"] is True
    assert station["capabilities"]["max_discharge_a"] == 16.0
    assert station["telemetry"]["plugged"] is True
    assert "127.0.0.1" not in json.dumps(diagnostics)
    sharing = diagnostics["power_sharing"]
    assert sharing["limits_a"] == [32.0]
    assert sharing["options"]["policy"] == "fair_share"
    assert sharing["demand_response"]["request"]["mode"] == "normal"
    await wait_for(hass, lambda: init_integration.runtime_data.hub.sharing.allocation is not None)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    assert list(diagnostics["power_sharing"]["allocation"]["setpoints"].values()) == [0.0]


async def test_diagnostics_show_the_ledger_and_hide_its_url(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, station_server: StationServer
) -> None:
    """The ledger's state is there; its URL (it may hold a password) and residents' names are not."""
    url = f"sqlite:///{hass.config.path('private-ledger.db')}"
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Garage",
        data=SITE_DATA,
        options={"ledger_url": url},
        subentries_data=[station_subentry("Bay 1", station_server.port)],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await wait_for(hass, lambda: state_of(hass, "binary_sensor.bay_1_connectivity") == STATE_ON)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    ledger = diagnostics["ledger"]
    assert (ledger["schema_version"], ledger["failures"], ledger["last_error"]) == (
        ledger_schema.SCHEMA_VERSION,
        0,
        None,
    )
    assert ledger["queued_records"] == len(entry.runtime_data.book.writer.queue)
    assert diagnostics["site"]["options"]["ledger_url"] == "**REDACTED**"
    assert "private-ledger" not in json.dumps(diagnostics)
    await hass.config_entries.async_unload(entry.entry_id)
