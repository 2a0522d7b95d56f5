"""pv_drop_v2g.yaml: the cars discharge when solar power drops, and stop when it has recovered."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
import pytest

from .conftest import Later, SiteServices, UseBlueprint, recovery_ends_after, settle

PV = "sensor.pv_power"
PLUGGED = ["binary_sensor.bay_1_vehicle_plugged", "binary_sensor.bay_2_vehicle_plugged"]
SITE = "01JSITEENTRY"
INPUTS: dict[str, Any] = {
    "site": SITE,
    "plugged_sensors": PLUGGED,
    "pv_sensor": PV,
    "low_power": 500,
    "drop_percent": 50,
    "drop_window": 60,
    "discharge_power": 7,
    "recovery_minutes": 10,
}


async def _pv(hass: HomeAssistant, *readings: float) -> None:
    """Report the PV power, one reading after the other."""
    for watts in readings:
        hass.states.async_set(PV, str(watts), {"unit_of_measurement": "W", "device_class": "power"})
        await settle(hass)


async def _plugged(hass: HomeAssistant, *states: str) -> None:
    for entity_id, state in zip(PLUGGED, states, strict=True):
        hass.states.async_set(entity_id, state, {"device_class": "plug"})
    await settle(hass)


async def _start(
    hass: HomeAssistant, use_blueprint: UseBlueprint, pv: float = 3000, **inputs: Any
) -> None:
    await _pv(hass, pv)
    await _plugged(hass, "off", "on")
    await use_blueprint("pv_drop_v2g.yaml", {**INPUTS, **inputs})


async def _discharging_then_unplugged(hass: HomeAssistant, use_blueprint: UseBlueprint) -> None:
    """PV fell below the level, the discharge started, then the car left."""
    await _start(hass, use_blueprint)
    await _pv(hass, 200)
    await _plugged(hass, "off", "off")


async def test_below_the_level_discharges(
    hass: HomeAssistant, use_blueprint: UseBlueprint, site: SiteServices
) -> None:
    """PV falls below 500 W with a car plugged: 7 kW discharge, source pv_drop, no end."""
    await _start(hass, use_blueprint)
    await _pv(hass, 2000)
    assert site.set == []
    await _pv(hass, 300)
    assert len(site.set) == 1
    assert site.set[0].data == {
        "config_entry_id": SITE,
        "mode": "discharge",
        "power": 7,
        "duration": {"hours": 0, "minutes": 0, "seconds": 0},
        "source": "pv_drop",
    }
    assert site.clear == []


async def test_maximum_duration_is_passed_on(
    hass: HomeAssistant, use_blueprint: UseBlueprint, site: SiteServices
) -> None:
    """A maximum duration goes with the request, so the site ends it by itself."""
    await _start(hass, use_blueprint, max_duration={"minutes": 30})
    await _pv(hass, 100)
    assert site.set[0].data["duration"] == {"minutes": 30}


async def test_sudden_drop_discharges(
    hass: HomeAssistant, use_blueprint: UseBlueprint, site: SiteServices
) -> None:
    """4000 W to 1500 W at once (-62 %) is a sudden drop, though 1500 W is above the level."""
    await _start(hass, use_blueprint, pv=4000)
    await _pv(hass, 2500)  # -37.5 %: not enough
    assert site.set == []
    await _pv(hass, 1200)  # -52 % from the reading before
    assert len(site.set) == 1
    assert site.set[0].data["mode"] == "discharge"


async def test_sudden_drop_counts_from_the_last_report(
    hass: HomeAssistant, use_blueprint: UseBlueprint, site: SiteServices, later: Later
) -> None:
    """The reading before must have been reported within the window; a re-report counts."""
    await _start(hass, use_blueprint, pv=4000)
    await later(seconds=90)
    await _pv(hass, 1500)  # 4000 W was last reported 90 s ago: not within 60 s
    assert site.set == []
    await _pv(hass, 3600)
    await later(seconds=50)
    await _pv(hass, 3600)  # the same value again: reported, not changed
    await later(seconds=50)
    await _pv(hass, 1500)  # 100 s since it changed, 50 s since it was reported
    assert len(site.set) == 1


async def test_no_car_plugged_no_discharge(
    hass: HomeAssistant, use_blueprint: UseBlueprint, site: SiteServices
) -> None:
    """Without a plugged car neither a fall below the level nor a sudden drop does anything."""
    await _start(hass, use_blueprint, pv=4000)
    await _plugged(hass, "off", "off")
    await _pv(hass, 1500)
    await _pv(hass, 100)
    assert site.set == []


async def test_plugging_in_while_pv_is_low_discharges(
    hass: HomeAssistant, use_blueprint: UseBlueprint, site: SiteServices
) -> None:
    """A car plugged in while PV is already below the level starts the discharge."""
    await _start(hass, use_blueprint, pv=4000)
    await _plugged(hass, "off", "off")
    await _pv(hass, 100)
    await _plugged(hass, "on", "off")
    assert len(site.set) == 1


async def test_plugging_in_while_pv_is_high_does_nothing(
    hass: HomeAssistant, use_blueprint: UseBlueprint, site: SiteServices
) -> None:
    """A car plugged in in the sun is left to charge."""
    await _start(hass, use_blueprint, pv=4000)
    await _plugged(hass, "on", "off")
    assert site.set == []


async def test_recovered_for_the_recovery_time_clears(
    hass: HomeAssistant, use_blueprint: UseBlueprint, site: SiteServices, later: Later
) -> None:
    """Back at or above the level for 10 minutes: cleared once, source pv_recovered."""
    await _start(hass, use_blueprint)
    await _pv(hass, 200)
    await later(minutes=30)  # still low: no recovery however long
    assert site.clear == []
    await _pv(hass, 800)
    await later(minutes=9)
    assert site.clear == []
    await _pv(hass, 900)  # a new reading above the level does not start the time again
    await later(minutes=1, seconds=1)
    assert len(site.clear) == 1
    assert site.clear[0].data == {"config_entry_id": SITE, "source": "pv_recovered"}
    assert len(site.set) == 1


@pytest.mark.parametrize(
    ("pv", "discharge", "interruption"),
    [
        pytest.param(3000, (200, 800), (300, 800), id="by_a_new_fall"),
        pytest.param(4000, (1500,), (3000, 1000), id="by_a_sudden_drop"),
    ],
)
async def test_recovery_interrupted_does_not_clear(
    hass: HomeAssistant,
    use_blueprint: UseBlueprint,
    site: SiteServices,
    later: Later,
    pv: float,
    discharge: tuple[float, ...],
    interruption: tuple[float, ...],
) -> None:
    """A new fall below the level, or a sudden drop above it, starts the recovery time again."""
    await _start(hass, use_blueprint, pv=pv)
    await _pv(hass, *discharge)
    await later(minutes=8)
    await _pv(hass, *interruption)
    await recovery_ends_after(later, site, minutes=10)


async def test_recovery_without_a_car_still_clears(
    hass: HomeAssistant, use_blueprint: UseBlueprint, site: SiteServices, later: Later
) -> None:
    """The car leaving during the discharge does not stop the site from going back to normal."""
    await _discharging_then_unplugged(hass, use_blueprint)
    await _pv(hass, 800)
    await recovery_ends_after(later, site, minutes=10)


async def test_recovery_interrupted_without_a_car_does_not_clear(
    hass: HomeAssistant, use_blueprint: UseBlueprint, site: SiteServices, later: Later
) -> None:
    """With no car to start a new discharge, a new fall still starts the recovery time again."""
    await _discharging_then_unplugged(hass, use_blueprint)
    await _pv(hass, 800)
    await later(minutes=8)
    await _pv(hass, 300)
    await later(minutes=5)
    assert site.clear == []
    await _pv(hass, 800)
    await recovery_ends_after(later, site, minutes=10)
    assert len(site.set) == 1
