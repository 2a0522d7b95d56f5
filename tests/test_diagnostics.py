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

from .common import state_of, wait_for


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
    await wait_for(hass, lambda: init_integration.runtime_data.sharing.allocation is not None)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    assert list(diagnostics["power_sharing"]["allocation"]["setpoints"].values()) == [0.0]
