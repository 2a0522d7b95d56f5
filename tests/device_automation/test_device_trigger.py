"""Device triggers fire for their own station or site, from a real site and a simulated station."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.components.device_automation.exceptions import InvalidDeviceAutomationConfig
from homeassistant.components.device_automation.trigger import async_validate_trigger_config
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
import voluptuous as vol

from custom_components.ev_v2g import device_trigger
from custom_components.ev_v2g.const import DOMAIN, EVENT_SESSION_ENDED, EVENT_SESSION_STARTED
from hardware.station_sim import StationServer, Vehicle
from tests.common import state_of, wait_for

from .conftest import (
    CONNECTED,
    automate,
    automate_triggers,
    device_of,
    station_device,
    station_key,
    trigger,
)

PLUGGED = "binary_sensor.bay_1_vehicle_plugged"
POWER = "sensor.bay_1_power"


async def call(hass: HomeAssistant, service: str, **data: Any) -> None:
    """Call an ev_v2g service (as an automation would: no user) and let the triggers run."""
    await hass.services.async_call(DOMAIN, service, data, blocking=True)
    await hass.async_block_till_done()


def fired(calls: list[ServiceCall], key: str = "platform") -> list[Any]:
    """One field of every run the automations recorded."""
    return [run.data[key] for run in calls]


async def test_session_triggers(
    hass: HomeAssistant, site: MockConfigEntry, calls: list[ServiceCall]
) -> None:
    """Started and ended fire for the station's sessions, not for another station's events."""
    station = station_device(hass, site)
    await automate_triggers(hass, station, "session_started", "session_ended", "car_full")
    await call(hass, "start_session", station=station, resident="ben")
    assert [(run.data["platform"], run.data["station"]) for run in calls] == [("device", "Bay 1")]
    await call(hass, "stop_session", station=station)
    assert fired(calls, "reason") == ["", "stopped"]

    elsewhere = {"config_entry_id": site.entry_id, "station_id": "another", "reason": "full"}
    hass.bus.async_fire(EVENT_SESSION_STARTED, elsewhere)
    hass.bus.async_fire(EVENT_SESSION_ENDED, elsewhere)
    other_site = {"config_entry_id": "another", "station_id": station_key(site), "reason": "full"}
    hass.bus.async_fire(EVENT_SESSION_ENDED, other_site)
    await hass.async_block_till_done()
    assert len(calls) == 2


async def test_car_full(
    hass: HomeAssistant,
    site: MockConfigEntry,
    station_server: StationServer,
    calls: list[ServiceCall],
) -> None:
    """A car that stops drawing ends its session as full: car full and session ended fire."""
    station = station_device(hass, site)
    await automate_triggers(hass, station, "car_full", "session_ended")
    await call(hass, "start_session", station=station, resident="ben")
    await wait_for(hass, lambda: state_of(hass, "sensor.bay_1_state") == "charging")
    vehicle = station_server.station.vehicle
    assert vehicle is not None
    vehicle.soc = 100.0
    await wait_for(hass, lambda: float(state_of(hass, POWER) or "nan") < 100, what="no power")
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=61))
    await wait_for(hass, lambda: len(calls) == 2, what="both triggers")
    assert fired(calls, "reason") == ["full", "full"]


async def test_plug_triggers(
    hass: HomeAssistant,
    site: MockConfigEntry,
    station_server: StationServer,
    calls: list[ServiceCall],
) -> None:
    """Unplugging and plugging fire at once; with `for`, once the car has stayed plugged."""
    station = station_device(hass, site)
    await automate_triggers(
        hass, station, "unplugged", "plugged_in", ("plugged_in", {"for": {"seconds": 10}})
    )
    sim = station_server.station
    sim.unplug()
    await wait_for(hass, lambda: len(calls) == 1, what="unplugged")
    assert (calls[0].data["from"], calls[0].data["to"]) == ("on", "off")
    sim.plug(Vehicle(capacity_kwh=40, soc=50, v2g=True))
    await wait_for(hass, lambda: len(calls) == 2, what="plugged in")
    assert calls[1].data["to"] == "on"
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=5))
    await hass.async_block_till_done()
    assert len(calls) == 2
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=11))
    await wait_for(hass, lambda: len(calls) == 3, what="plugged in for 10 s")


async def test_a_reload_is_not_a_plug(
    hass: HomeAssistant, site: MockConfigEntry, calls: list[ServiceCall]
) -> None:
    """The plugged sensor coming back after a reload (or lost contact) is no plug or unplug."""
    station = station_device(hass, site)
    await automate_triggers(hass, station, "plugged_in", "unplugged")
    assert await hass.config_entries.async_reload(site.entry_id)
    await wait_for(hass, lambda: state_of(hass, CONNECTED) == "on", what="contact again")
    await wait_for(hass, lambda: state_of(hass, PLUGGED) == "on", what="plugged again")
    assert calls == []


async def test_demand_response_triggers(
    hass: HomeAssistant, site: MockConfigEntry, calls: list[ServiceCall]
) -> None:
    """Started fires when the site leaves normal (or enters the mode asked for); ended on return."""
    site_device = device_of(hass, site.entry_id)
    await automate_triggers(
        hass,
        site_device,
        "demand_response_started",
        ("demand_response_started", {"mode": "discharge"}),
        "demand_response_ended",
    )
    entry_id = site.entry_id
    await call(hass, "set_demand_response", config_entry_id=entry_id, mode="limit", power=5)
    assert fired(calls, "to") == ["limit"]
    # A new power for the same request is no new start.
    await call(hass, "set_demand_response", config_entry_id=entry_id, mode="limit", power=6)
    await call(hass, "set_demand_response", config_entry_id=entry_id, mode="discharge", power=3)
    assert fired(calls, "to") == ["limit", "discharge"]
    await call(hass, "clear_demand_response", config_entry_id=entry_id)
    assert [(run.data["from"], run.data["to"]) for run in calls[2:]] == [("discharge", "normal")]


async def test_demand_response_resumed_after_a_reload_is_no_start(
    hass: HomeAssistant, site: MockConfigEntry, calls: list[ServiceCall]
) -> None:
    """A request in force before a reload goes on after it: neither started nor ended fires."""
    site_device = device_of(hass, site.entry_id)
    entry_id = site.entry_id
    await call(hass, "set_demand_response", config_entry_id=entry_id, mode="shed")
    await automate_triggers(hass, site_device, "demand_response_started", "demand_response_ended")
    assert await hass.config_entries.async_reload(entry_id)
    await hass.async_block_till_done()
    assert state_of(hass, "select.garage_demand_response") == "shed"
    assert calls == []


@pytest.mark.parametrize(
    ("kind", "extra", "error"),
    [
        ("session_started", {"for": {"seconds": 5}}, vol.Invalid),
        ("demand_response_ended", {"mode": "limit"}, vol.Invalid),
        ("demand_response_started", {"mode": "normal"}, vol.Invalid),
        ("plugged_in", {"for": "soon"}, vol.Invalid),
        ("no_such_type", {}, vol.Invalid),
    ],
)
async def test_invalid_fields(
    hass: HomeAssistant,
    site: MockConfigEntry,
    kind: str,
    extra: dict[str, Any],
    error: type[Exception],
) -> None:
    """Fields a type does not take, or malformed ones, are refused."""
    device = device_of(hass, site.entry_id if kind.startswith("demand") else station_key(site))
    with pytest.raises(error):
        await async_validate_trigger_config(hass, trigger(device, kind, **extra))


async def test_wrong_device(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """A station's trigger on the site, the site's on a station, anything on a resident."""
    station = station_device(hass, site)
    site_device = device_of(hass, site.entry_id)
    ann = device_of(hass, "ann")
    for device, kind in (
        (site_device, "session_started"),
        (station, "demand_response_started"),
        (ann, "plugged_in"),
        ("no-such-device", "session_started"),
    ):
        with pytest.raises(InvalidDeviceAutomationConfig):
            await async_validate_trigger_config(hass, trigger(device, kind))
    valid = await async_validate_trigger_config(
        hass, trigger(station, "unplugged", **{"for": {"minutes": 1}})
    )
    assert valid["for"] == timedelta(minutes=1)


async def test_an_editor_automation_with_a_wrong_device_is_not_set_up(
    hass: HomeAssistant, site: MockConfigEntry, calls: list[ServiceCall]
) -> None:
    """The automation is listed but unavailable, and never runs."""
    await automate(hass, {"triggers": [trigger(device_of(hass, "ann"), "session_started")]})
    assert state_of(hass, "automation.automation_0") == STATE_UNAVAILABLE


async def test_missing_entity_cannot_attach(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """A plug trigger whose sensor was removed from the registry fails to attach, clearly."""
    registry = er.async_get(hass)
    entity_id = registry.async_get_entity_id(
        "binary_sensor", DOMAIN, f"{station_key(site)}_plugged"
    )
    assert entity_id is not None
    registry.async_remove(entity_id)
    config = trigger(station_device(hass, site), "plugged_in")
    info: Any = {"trigger_data": {}, "variables": {}}
    with pytest.raises(InvalidDeviceAutomationConfig, match="plugged"):
        await device_trigger.async_attach_trigger(hass, config, lambda *_: None, info)
