"""price_signal.yaml and peak_shaving.yaml against a loaded site: its DR select follows them."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from tests.common import state_of, wait_for

from .conftest import (
    UseBlueprint,
    demand_response,
    dr_attributes,
    set_demand_response,
    settle,
    until,
)

DR_SELECT = "select.garage_demand_response"
PRICE = "sensor.electricity_price"
GRID = "sensor.grid_import"


def _dr(hass: HomeAssistant) -> tuple[str | None, str | None]:
    return demand_response(hass, DR_SELECT)


async def _set(hass: HomeAssistant, entity_id: str, value: float) -> None:
    hass.states.async_set(entity_id, str(value))
    await settle(hass)


async def _in_contact(hass: HomeAssistant) -> None:
    await wait_for(hass, lambda: state_of(hass, "binary_sensor.bay_1_connectivity") == "on")


async def _price_signal(
    hass: HomeAssistant, site: MockConfigEntry, use_blueprint: UseBlueprint, **inputs: Any
) -> None:
    """price_signal.yaml on the site, the price at 0.25 (between the default prices)."""
    await _in_contact(hass)
    await _set(hass, PRICE, 0.25)
    await use_blueprint(
        "price_signal.yaml", {"site": site.entry_id, "price_sensor": PRICE, **inputs}
    )


async def test_price_discharges_and_returns_to_normal(
    hass: HomeAssistant, init_integration: MockConfigEntry, use_blueprint: UseBlueprint
) -> None:
    """High price: discharge at 6 kW (price_high); low price: normal (price_normal)."""
    await _price_signal(
        hass, init_integration, use_blueprint, response="discharge", discharge_power=6
    )
    await _set(hass, PRICE, 0.42)
    await until(lambda: _dr(hass) == ("discharge", "price_high"), "the discharge")
    assert dr_attributes(hass, DR_SELECT)["power_kw"] == 6
    await _set(hass, PRICE, 0.21)
    assert _dr(hass) == ("discharge", "price_high")
    await _set(hass, PRICE, 0.12)
    await until(lambda: _dr(hass) == ("normal", "price_normal"), "back to normal")


async def test_price_leaves_someone_elses_request_alone(
    hass: HomeAssistant, init_integration: MockConfigEntry, use_blueprint: UseBlueprint
) -> None:
    """A discharge for a PV drop in force: a high price does not make it shed, a low one stays."""
    await _price_signal(hass, init_integration, use_blueprint)
    await set_demand_response(
        hass, init_integration.entry_id, mode="discharge", power=3, source="pv_drop"
    )
    await _set(hass, PRICE, 0.5)
    await _set(hass, PRICE, 0.1)
    await asyncio.sleep(0.1)
    assert _dr(hass) == ("discharge", "pv_drop")


async def test_peak_limits_and_returns_to_normal(
    hass: HomeAssistant, init_integration: MockConfigEntry, use_blueprint: UseBlueprint
) -> None:
    """A peak: limit 4 kW (peak_shaving); import low for the recovery time: normal (peak_over)."""
    await _in_contact(hass)
    await _set(hass, GRID, 3000)
    await use_blueprint(
        "peak_shaving.yaml",
        {
            "site": init_integration.entry_id,
            "import_sensor": GRID,
            "peak_seconds": 0,
            "limit_power": 4,
        },
    )
    await _set(hass, GRID, 14000)
    await until(lambda: _dr(hass) == ("limit", "peak_shaving"), "the limit")
    assert dr_attributes(hass, DR_SELECT)["power_kw"] == 4
    await _set(hass, GRID, 2000)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=5, seconds=5))
    await until(lambda: _dr(hass) == ("normal", "peak_over"), "back to normal")
