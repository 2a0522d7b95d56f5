"""pv_drop_v2g.yaml against a loaded site: the demand-response select really follows it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from tests.common import state_of, wait_for

from .conftest import (
    UseBlueprint,
    demand_response,
    dr_attributes,
    reload_automations,
    set_demand_response,
    settle,
    until,
)

PV = "sensor.pv_power"
PLUGGED = "binary_sensor.bay_1_vehicle_plugged"
DR_SELECT = "select.garage_demand_response"
DR_ACTIVE = "binary_sensor.garage_dr_active"


def _dr(hass: HomeAssistant) -> tuple[str | None, str | None]:
    return demand_response(hass, DR_SELECT)


async def _pv(hass: HomeAssistant, watts: float) -> None:
    hass.states.async_set(PV, str(watts), {"unit_of_measurement": "W", "device_class": "power"})
    await settle(hass)


async def _ten_minutes_later(hass: HomeAssistant) -> None:
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=10, seconds=5))
    await settle(hass)


async def _setup(hass: HomeAssistant, site: MockConfigEntry, use_blueprint: UseBlueprint) -> None:
    await wait_for(hass, lambda: state_of(hass, PLUGGED) == "on", what="the car plugged")
    await _pv(hass, 3000)
    await use_blueprint(
        "pv_drop_v2g.yaml",
        {
            "site": site.entry_id,
            "plugged_sensors": [PLUGGED],
            "pv_sensor": PV,
            "discharge_power": 7,
        },
    )


async def test_site_discharges_and_returns_to_normal(
    hass: HomeAssistant, init_integration: MockConfigEntry, use_blueprint: UseBlueprint
) -> None:
    """PV falls: the site's DR select goes to discharge (7 kW, pv_drop); recovered: normal."""
    await _setup(hass, init_integration, use_blueprint)
    assert _dr(hass) == ("normal", None)
    await _pv(hass, 200)
    await until(lambda: _dr(hass) == ("discharge", "pv_drop"), "the discharge")
    attributes = dr_attributes(hass, DR_SELECT)
    assert attributes["power_kw"] == 7
    assert attributes["until"] is None
    assert state_of(hass, DR_ACTIVE) == "on"
    await _pv(hass, 100)  # lower still: the request in force is ours, it is not made again
    await _pv(hass, 800)
    await _ten_minutes_later(hass)
    await until(lambda: _dr(hass) == ("normal", "pv_recovered"), "back to normal")
    assert state_of(hass, DR_ACTIVE) == "off"


async def test_a_request_made_by_someone_else_is_left_alone(
    hass: HomeAssistant, init_integration: MockConfigEntry, use_blueprint: UseBlueprint
) -> None:
    """Shed chosen by hand: a PV drop does not replace it, a recovery does not clear it."""
    await _setup(hass, init_integration, use_blueprint)
    await hass.services.async_call(
        "select",
        "select_option",
        {ATTR_ENTITY_ID: DR_SELECT, "option": "shed"},
        blocking=True,
    )
    assert _dr(hass) == ("shed", "manual")
    await _pv(hass, 200)
    await _pv(hass, 800)
    await _ten_minutes_later(hass)
    await asyncio.sleep(0.1)
    assert _dr(hass) == ("shed", "manual")


async def _reloaded_during_a_discharge(
    hass: HomeAssistant, site: MockConfigEntry, use_blueprint: UseBlueprint, source: str
) -> None:
    """A discharge asked for by `source` in force when automations are reloaded; PV is high."""
    await _setup(hass, site, use_blueprint)
    await set_demand_response(hass, site.entry_id, mode="discharge", power=3, source=source)
    await reload_automations(hass)
    await _ten_minutes_later(hass)


async def test_a_discharge_of_its_own_is_picked_up_after_a_reload(
    hass: HomeAssistant, init_integration: MockConfigEntry, use_blueprint: UseBlueprint
) -> None:
    """Automations reloaded while its discharge is in force: it waits for the recovery again."""
    await _reloaded_during_a_discharge(hass, init_integration, use_blueprint, "pv_drop")
    await until(lambda: _dr(hass) == ("normal", "pv_recovered"), "back to normal")


async def test_no_pick_up_without_a_discharge_of_its_own(
    hass: HomeAssistant, init_integration: MockConfigEntry, use_blueprint: UseBlueprint
) -> None:
    """Someone else's discharge in force at a reload is not taken over."""
    await _reloaded_during_a_discharge(hass, init_integration, use_blueprint, "grid")
    await asyncio.sleep(0.1)
    assert _dr(hass) == ("discharge", "grid")
