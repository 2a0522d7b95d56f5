"""peak_shaving.yaml: limit the chargers while the grid import peaks, normal when it has fallen."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant

from .conftest import (
    Later,
    SiteServices,
    UseBlueprint,
    recovery_ends_after,
    reload_automations,
    settle,
)

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


async def _grid(hass: HomeAssistant, *readings: float) -> None:
    """Report the grid import, one reading after the other."""
    for watts in readings:
        hass.states.async_set(
            GRID, str(watts), {"unit_of_measurement": "W", "device_class": "power"}
        )
        await settle(hass)


async def _start(hass: HomeAssistant, use_blueprint: UseBlueprint, **inputs: Any) -> None:
    await _grid(hass, 3000)
    await use_blueprint("peak_shaving.yaml", {**INPUTS, **inputs})


async def test_a_lasting_peak_limits_and_a_lasting_fall_clears(
    hass: HomeAssistant, use_blueprint: UseBlueprint, site: SiteServices, later: Later
) -> None:
    """Above 10 kW for 30 s: limit 4.5 kW; below 6 kW for 5 min: normal."""
    await _start(hass, use_blueprint)
    await _grid(hass, 12000)
    await later(seconds=29)
    assert site.set == []
    await later(seconds=2)
    assert [call.data for call in site.set] == [
        {"config_entry_id": SITE, "mode": "limit", "power": 4.5, "source": "peak_shaving"}
    ]
    await _grid(hass, 8000)  # between the levels: the limit stays
    await later(minutes=30)
    assert site.clear == []
    await _grid(hass, 5000)
    await recovery_ends_after(later, site, minutes=5)
    assert [call.data for call in site.clear] == [{"config_entry_id": SITE, "source": "peak_over"}]
    assert len(site.set) == 1


async def test_a_short_peak_does_nothing(
    hass: HomeAssistant, use_blueprint: UseBlueprint, site: SiteServices, later: Later
) -> None:
    """A kettle: above the peak level for 20 s only."""
    await _start(hass, use_blueprint)
    await _grid(hass, 12000)
    await later(seconds=20)
    await _grid(hass, 4000)
    await later(minutes=10)
    assert site.set == []


async def test_peak_at_once_without_a_lasting_time(
    hass: HomeAssistant, use_blueprint: UseBlueprint, site: SiteServices
) -> None:
    """Peak lasting 0: the limit comes with the first reading above the peak level."""
    await _start(hass, use_blueprint, peak_seconds=0)
    await _grid(hass, 10001)
    assert len(site.set) == 1


async def test_recovery_interrupted_does_not_clear(
    hass: HomeAssistant, use_blueprint: UseBlueprint, site: SiteServices, later: Later
) -> None:
    """Rising over the lower level before the 5 minutes starts the recovery time again."""
    await _start(hass, use_blueprint, peak_seconds=0)
    await _grid(hass, 11000, 5000)
    await later(minutes=4)
    await _grid(hass, 7000, 5000)
    await recovery_ends_after(later, site, minutes=5)


async def test_start_looks_at_the_import_once(
    hass: HomeAssistant, use_blueprint: UseBlueprint, site: SiteServices
) -> None:
    """After a reload: above the peak level limits at once, below the lower level clears."""
    await _grid(hass, 12000)
    await use_blueprint("peak_shaving.yaml", INPUTS)
    assert site.set == []
    await reload_automations(hass)
    assert len(site.set) == 1
    hass.states.async_set(GRID, "8000")
    await reload_automations(hass)
    assert site.clear == []
    hass.states.async_set(GRID, "2000")
    await reload_automations(hass)
    assert len(site.clear) == 1
