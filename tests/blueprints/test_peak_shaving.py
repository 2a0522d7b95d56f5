"""peak_shaving.yaml: limit the chargers while the grid import peaks, normal when it has fallen."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed, async_mock_service

from .conftest import UseBlueprint, settle

GRID = "sensor.grid_import"
SITE = "01JSITEENTRY"
INPUTS: dict[str, Any] = {
    "site": SITE,
    "import_sensor": GRID,
    "peak_power": 10000,
    "peak_seconds": 30,
    "normal_power": 6000,
    "recovery_minutes": 5,
    "limit_power": 4.5,
}


@pytest.fixture
def calls(hass: HomeAssistant) -> dict[str, list[ServiceCall]]:
    """What the mocked site services were asked, by service."""
    return {
        service: async_mock_service(hass, "ev_v2g", service)
        for service in ("set_demand_response", "clear_demand_response")
    }


async def _grid(hass: HomeAssistant, watts: float) -> None:
    hass.states.async_set(GRID, str(watts), {"unit_of_measurement": "W", "device_class": "power"})
    await settle(hass)


async def _later(hass: HomeAssistant, freezer: FrozenDateTimeFactory, **delta: float) -> None:
    freezer.tick(timedelta(**delta))
    async_fire_time_changed(hass)
    await settle(hass)


async def _start(hass: HomeAssistant, use_blueprint: UseBlueprint, **inputs: Any) -> None:
    await _grid(hass, 3000)
    await use_blueprint("peak_shaving.yaml", {**INPUTS, **inputs})


async def test_a_lasting_peak_limits_and_a_lasting_fall_clears(
    hass: HomeAssistant,
    use_blueprint: UseBlueprint,
    calls: dict[str, list[ServiceCall]],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Above 10 kW for 30 s: limit 4.5 kW; below 6 kW for 5 min: normal."""
    await _start(hass, use_blueprint)
    await _grid(hass, 12000)
    await _later(hass, freezer, seconds=29)
    assert calls["set_demand_response"] == []
    await _later(hass, freezer, seconds=2)
    assert [call.data for call in calls["set_demand_response"]] == [
        {"config_entry_id": SITE, "mode": "limit", "power": 4.5, "source": "peak_shaving"}
    ]
    await _grid(hass, 8000)  # between the levels: the limit stays
    await _later(hass, freezer, minutes=30)
    assert calls["clear_demand_response"] == []
    await _grid(hass, 5000)
    await _later(hass, freezer, minutes=4)
    assert calls["clear_demand_response"] == []
    await _later(hass, freezer, minutes=1, seconds=1)
    assert [call.data for call in calls["clear_demand_response"]] == [
        {"config_entry_id": SITE, "source": "peak_over"}
    ]
    assert len(calls["set_demand_response"]) == 1


async def test_a_short_peak_does_nothing(
    hass: HomeAssistant,
    use_blueprint: UseBlueprint,
    calls: dict[str, list[ServiceCall]],
    freezer: FrozenDateTimeFactory,
) -> None:
    """A kettle: above the peak level for 20 s only."""
    await _start(hass, use_blueprint)
    await _grid(hass, 12000)
    await _later(hass, freezer, seconds=20)
    await _grid(hass, 4000)
    await _later(hass, freezer, minutes=10)
    assert calls["set_demand_response"] == []


async def test_peak_at_once_without_a_lasting_time(
    hass: HomeAssistant, use_blueprint: UseBlueprint, calls: dict[str, list[ServiceCall]]
) -> None:
    """Peak lasting 0: the limit comes with the first reading above the peak level."""
    await _start(hass, use_blueprint, peak_seconds=0)
    await _grid(hass, 10001)
    assert len(calls["set_demand_response"]) == 1


async def test_recovery_interrupted_does_not_clear(
    hass: HomeAssistant,
    use_blueprint: UseBlueprint,
    calls: dict[str, list[ServiceCall]],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Rising over the lower level before the 5 minutes starts the recovery time again."""
    await _start(hass, use_blueprint, peak_seconds=0)
    await _grid(hass, 11000)
    await _grid(hass, 5000)
    await _later(hass, freezer, minutes=4)
    await _grid(hass, 7000)
    await _grid(hass, 5000)
    await _later(hass, freezer, minutes=4)
    assert calls["clear_demand_response"] == []
    await _later(hass, freezer, minutes=1, seconds=1)
    assert len(calls["clear_demand_response"]) == 1


async def test_start_looks_at_the_import_once(
    hass: HomeAssistant, use_blueprint: UseBlueprint, calls: dict[str, list[ServiceCall]]
) -> None:
    """After a reload: above the peak level limits at once, below the lower level clears."""
    await _grid(hass, 12000)
    await use_blueprint("peak_shaving.yaml", INPUTS)
    assert calls["set_demand_response"] == []
    hass.bus.async_fire("automation_reloaded")
    await settle(hass)
    assert len(calls["set_demand_response"]) == 1
    hass.states.async_set(GRID, "8000")
    hass.bus.async_fire("automation_reloaded")
    await settle(hass)
    assert calls["clear_demand_response"] == []
    hass.states.async_set(GRID, "2000")
    hass.bus.async_fire("automation_reloaded")
    await settle(hass)
    assert len(calls["clear_demand_response"]) == 1
