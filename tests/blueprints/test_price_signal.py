"""price_signal.yaml: shed or discharge above the high price, normal below the low price."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant, ServiceCall
import pytest
from pytest_homeassistant_custom_component.common import async_mock_service

from .conftest import UseBlueprint, settle

PRICE = "sensor.electricity_price"
SITE = "01JSITEENTRY"
INPUTS: dict[str, Any] = {
    "site": SITE,
    "price_sensor": PRICE,
    "high_price": 0.3,
    "low_price": 0.2,
}


@pytest.fixture
def calls(hass: HomeAssistant) -> dict[str, list[ServiceCall]]:
    """What the mocked site services were asked, by service."""
    return {
        service: async_mock_service(hass, "ev_v2g", service)
        for service in ("set_demand_response", "clear_demand_response")
    }


async def _price(hass: HomeAssistant, value: float) -> None:
    hass.states.async_set(PRICE, str(value), {"unit_of_measurement": "EUR/kWh"})
    await settle(hass)


async def _start(hass: HomeAssistant, use_blueprint: UseBlueprint, **inputs: Any) -> None:
    await _price(hass, 0.25)
    await use_blueprint("price_signal.yaml", {**INPUTS, **inputs})


async def test_high_price_sheds_by_default(
    hass: HomeAssistant, use_blueprint: UseBlueprint, calls: dict[str, list[ServiceCall]]
) -> None:
    """Above 0.30: shed, with no power, source price_high."""
    await _start(hass, use_blueprint)
    await _price(hass, 0.3)  # at the high price, not above it
    assert calls["set_demand_response"] == []
    await _price(hass, 0.31)
    assert [call.data for call in calls["set_demand_response"]] == [
        {"config_entry_id": SITE, "mode": "shed", "power": 0, "source": "price_high"}
    ]


async def test_high_price_discharges_when_chosen(
    hass: HomeAssistant, use_blueprint: UseBlueprint, calls: dict[str, list[ServiceCall]]
) -> None:
    """Discharge chosen: the cars give back the set power."""
    await _start(hass, use_blueprint, response="discharge", discharge_power=6.5)
    await _price(hass, 0.45)
    assert [call.data for call in calls["set_demand_response"]] == [
        {"config_entry_id": SITE, "mode": "discharge", "power": 6.5, "source": "price_high"}
    ]


async def test_low_price_back_to_normal_and_nothing_in_between(
    hass: HomeAssistant, use_blueprint: UseBlueprint, calls: dict[str, list[ServiceCall]]
) -> None:
    """Between the prices nothing happens either way; below 0.20 the site goes back to normal."""
    await _start(hass, use_blueprint)
    await _price(hass, 0.4)
    await _price(hass, 0.25)
    await _price(hass, 0.2)
    assert calls["clear_demand_response"] == []
    await _price(hass, 0.19)
    assert [call.data for call in calls["clear_demand_response"]] == [
        {"config_entry_id": SITE, "source": "price_normal"}
    ]
    await _price(hass, 0.22)
    await _price(hass, 0.29)
    assert len(calls["set_demand_response"]) == 1
    assert len(calls["clear_demand_response"]) == 1


async def test_high_price_not_above_low_price_does_nothing(
    hass: HomeAssistant, use_blueprint: UseBlueprint, calls: dict[str, list[ServiceCall]]
) -> None:
    """No hysteresis (high 0.2, low 0.3): the automation stops before acting."""
    await _start(hass, use_blueprint, high_price=0.2, low_price=0.3)
    await _price(hass, 0.5)
    await _price(hass, 0.1)
    assert calls["set_demand_response"] == []
    assert calls["clear_demand_response"] == []


async def test_start_looks_at_the_price_once(
    hass: HomeAssistant, use_blueprint: UseBlueprint, calls: dict[str, list[ServiceCall]]
) -> None:
    """A price already high when automations are reloaded (no crossing seen) sheds at once."""
    await _price(hass, 0.5)
    await use_blueprint("price_signal.yaml", INPUTS)
    assert calls["set_demand_response"] == []
    hass.bus.async_fire("automation_reloaded")
    await settle(hass)
    assert len(calls["set_demand_response"]) == 1
