"""price_signal.yaml: shed or discharge above the high price, normal below the low price."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
import pytest

from .conftest import SiteServices, UseBlueprint, reload_automations, settle

PRICE = "sensor.electricity_price"
SITE = "01JSITEENTRY"
INPUTS: dict[str, Any] = {
    "site": SITE,
    "price_sensor": PRICE,
    "high_price": 0.3,
    "low_price": 0.2,
}


async def _price(hass: HomeAssistant, value: float) -> None:
    hass.states.async_set(PRICE, str(value), {"unit_of_measurement": "EUR/kWh"})
    await settle(hass)


async def _start(hass: HomeAssistant, use_blueprint: UseBlueprint, **inputs: Any) -> None:
    await _price(hass, 0.25)
    await use_blueprint("price_signal.yaml", {**INPUTS, **inputs})


# The blueprint inputs chosen, and the request a high price makes with them.
HIGH_PRICE_RESPONSES = {
    "sheds_by_default": ({}, {"mode": "shed", "power": 0}),
    "discharges_when_chosen": (
        {"response": "discharge", "discharge_power": 6.5},
        {"mode": "discharge", "power": 6.5},
    ),
}


@pytest.mark.parametrize("response", HIGH_PRICE_RESPONSES.values(), ids=HIGH_PRICE_RESPONSES)
async def test_high_price(
    hass: HomeAssistant,
    use_blueprint: UseBlueprint,
    site: SiteServices,
    response: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    """Above 0.30: shed with no power, or discharge chosen: the cars give back the set power."""
    inputs, expected = response
    await _start(hass, use_blueprint, **inputs)
    await _price(hass, 0.3)  # at the high price, not above it
    assert site.set == []
    await _price(hass, 0.31)
    assert [call.data for call in site.set] == [
        {"config_entry_id": SITE, **expected, "source": "price_high"}
    ]


async def test_low_price_back_to_normal_and_nothing_in_between(
    hass: HomeAssistant, use_blueprint: UseBlueprint, site: SiteServices
) -> None:
    """Between the prices nothing happens either way; below 0.20 the site goes back to normal."""
    await _start(hass, use_blueprint)
    await _price(hass, 0.4)
    await _price(hass, 0.25)
    await _price(hass, 0.2)
    assert site.clear == []
    await _price(hass, 0.19)
    assert [call.data for call in site.clear] == [
        {"config_entry_id": SITE, "source": "price_normal"}
    ]
    await _price(hass, 0.22)
    await _price(hass, 0.29)
    assert len(site.set) == 1
    assert len(site.clear) == 1


async def test_high_price_not_above_low_price_does_nothing(
    hass: HomeAssistant, use_blueprint: UseBlueprint, site: SiteServices
) -> None:
    """No hysteresis (high 0.2, low 0.3): the automation stops before acting."""
    await _start(hass, use_blueprint, high_price=0.2, low_price=0.3)
    await _price(hass, 0.5)
    await _price(hass, 0.1)
    assert site.set == []
    assert site.clear == []


async def test_start_looks_at_the_price_once(
    hass: HomeAssistant, use_blueprint: UseBlueprint, site: SiteServices
) -> None:
    """A price already high when automations are reloaded (no crossing seen) sheds at once."""
    await _price(hass, 0.5)
    await use_blueprint("price_signal.yaml", INPUTS)
    assert site.set == []
    await reload_automations(hass)
    assert len(site.set) == 1
