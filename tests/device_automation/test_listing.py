"""What the automation editor offers for each device, the fields it asks for, and their names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from homeassistant.components.device_automation import (
    DeviceAutomationType,
    async_get_device_automations,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.ev_v2g import device_action, device_condition, device_trigger
from custom_components.ev_v2g.const import DOMAIN

from .conftest import action, condition, device_of, station_device, station_key, trigger

STRINGS = Path(device_trigger.__file__).parent / "translations" / "en.json"

STATION_TRIGGERS = {"session_started", "session_ended", "car_full", "plugged_in", "unplugged"}
SITE_TRIGGERS = {"demand_response_started", "demand_response_ended"}
STATION_CONDITIONS = {"is_charging", "is_not_charging", "is_plugged", "is_not_plugged"}
SITE_CONDITIONS = {"demand_response_active", "demand_response_inactive"}
STATION_ACTIONS = {"start_session", "stop_session", "set_current_limit"}


async def offered(
    hass: HomeAssistant, kind: DeviceAutomationType, *device_ids: str
) -> dict[str, set[str]]:
    """The ev_v2g automation types listed for each device."""
    found = await async_get_device_automations(hass, kind, device_ids)
    return {
        device_id: {item["type"] for item in items if item["domain"] == DOMAIN}
        for device_id, items in found.items()
    }


async def test_each_device_lists_its_own(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """Stations and the site get their automations; a resident's device gets none."""
    station = station_device(hass, site)
    site_device = device_of(hass, site.entry_id)
    ann = device_of(hass, "ann")
    devices = (station, site_device, ann)
    assert await offered(hass, DeviceAutomationType.TRIGGER, *devices) == {
        station: STATION_TRIGGERS,
        site_device: SITE_TRIGGERS,
        ann: set(),
    }
    assert await offered(hass, DeviceAutomationType.CONDITION, *devices) == {
        station: STATION_CONDITIONS,
        site_device: SITE_CONDITIONS,
        ann: set(),
    }
    assert await offered(hass, DeviceAutomationType.ACTION, *devices) == {
        station: STATION_ACTIONS,
        site_device: set(),
        ann: set(),
    }
    found = await async_get_device_automations(hass, DeviceAutomationType.TRIGGER, [station])
    assert trigger(station, "session_started", metadata={}) in found[station]


async def test_other_integrations_devices_list_nothing(hass: HomeAssistant) -> None:
    """A device of another integration, even one with an ev_v2g-looking identifier."""
    other = MockConfigEntry(domain="other")
    other.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={(DOMAIN, other.entry_id)}
    )
    assert await device_trigger.async_get_triggers(hass, device.id) == []
    assert await device_condition.async_get_conditions(hass, device.id) == []
    assert await device_action.async_get_actions(hass, device.id) == []
    assert await device_trigger.async_get_triggers(hass, "no-such-device") == []


async def test_without_their_entities(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """An entity removed from the registry takes its automations with it; the rest stay."""
    registry = er.async_get(hass)
    key = station_key(site)
    for platform, unique_id in (
        ("binary_sensor", f"{key}_plugged"),
        ("select", f"{site.entry_id}_demand_response_mode"),
    ):
        entity_id = registry.async_get_entity_id(platform, DOMAIN, unique_id)
        assert entity_id is not None
        registry.async_remove(entity_id)
    await hass.async_block_till_done()
    station = station_device(hass, site)
    site_device = device_of(hass, site.entry_id)
    assert await offered(hass, DeviceAutomationType.TRIGGER, station, site_device) == {
        station: {"session_started", "session_ended", "car_full"},
        site_device: set(),
    }
    assert await offered(hass, DeviceAutomationType.CONDITION, station) == {
        station: {"is_charging", "is_not_charging"}
    }


async def capabilities(
    hass: HomeAssistant, ws: WebSocketGenerator, kind: str, item: dict[str, Any]
) -> list[dict[str, Any]]:
    """The extra fields the editor shows for an automation, as the websocket API sends them."""
    client = await ws(hass)
    await client.send_json_auto_id({"type": f"device_automation/{kind}/capabilities", kind: item})
    message = await client.receive_json()
    assert message["success"], message
    fields: list[dict[str, Any]] = message["result"]["extra_fields"]
    return fields


async def test_capabilities(
    hass: HomeAssistant, site: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> None:
    """`for` on the plug, a mode, the site's residents, a current in the station's range."""
    assert await async_setup_component(hass, "device_automation", {})
    station = station_device(hass, site)
    site_device = device_of(hass, site.entry_id)
    duration = [
        {"name": "for", "optional": True, "required": False, "type": "positive_time_period_dict"}
    ]

    for kind in ("plugged_in", "unplugged"):
        assert await capabilities(hass, hass_ws_client, "trigger", trigger(station, kind)) == (
            duration
        )
    assert await capabilities(hass, hass_ws_client, "trigger", trigger(station, "car_full")) == []
    [mode] = await capabilities(
        hass, hass_ws_client, "trigger", trigger(site_device, "demand_response_started")
    )
    assert mode["name"] == "mode"
    assert mode["optional"] is True
    assert mode["selector"]["select"]["options"] == ["limit", "shed", "discharge"]
    assert mode["selector"]["select"]["translation_key"] == "demand_response_mode"
    for kind in (*STATION_CONDITIONS, *SITE_CONDITIONS):
        device = station if kind in STATION_CONDITIONS else site_device
        assert await capabilities(hass, hass_ws_client, "condition", condition(device, kind)) == (
            duration
        )

    [resident] = await capabilities(
        hass, hass_ws_client, "action", action(station, "start_session")
    )
    assert resident["name"] == "resident"
    assert resident["optional"] is True
    assert resident["selector"]["select"]["options"] == [
        {"value": "ann", "label": "Ann"},
        {"value": "ben", "label": "Ben"},
    ]
    assert await capabilities(hass, hass_ws_client, "action", action(station, "stop_session")) == []
    [current] = await capabilities(
        hass, hass_ws_client, "action", action(station, "set_current_limit", current=10)
    )
    number = hass.states.get("number.bay_1_current_limit")
    assert number is not None
    assert current["name"] == "current"
    assert current["required"] is True
    assert current["selector"]["number"] == {
        "min": number.attributes["min"],
        "max": number.attributes["max"],
        "step": 1.0,
        "unit_of_measurement": "A",
        "mode": "box",
    }


async def test_current_range_without_the_number(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """With its number gone, a station offers no current limit action; its range is configured."""
    registry = er.async_get(hass)
    entity_id = registry.async_get_entity_id("number", DOMAIN, f"{station_key(site)}_current_limit")
    assert entity_id is not None
    registry.async_remove(entity_id)
    await hass.async_block_till_done()
    station = station_device(hass, site)
    assert await offered(hass, DeviceAutomationType.ACTION, station) == {
        station: {"start_session", "stop_session"}
    }
    result = await device_action.async_get_action_capabilities(
        hass, action(station, "set_current_limit")
    )
    assert result["extra_fields"]({"current": 32}) == {"current": 32}
    selector = result["extra_fields"].schema["current"]
    assert (selector.config["min"], selector.config["max"]) == (0.0, 32.0)


def _strings() -> dict[str, Any]:
    section: dict[str, Any] = json.loads(STRINGS.read_text(encoding="utf-8"))["device_automation"]
    return section


def test_every_type_and_field_has_a_name() -> None:
    """Every trigger, condition and action type and every extra field is in en.json."""
    strings = _strings()
    types = {
        "trigger_type": {*device_trigger.STATION_TRIGGERS, *device_trigger.SITE_TRIGGERS},
        "condition_type": set(device_condition.CONDITIONS),
        "action_type": set(device_action.ACTION_TYPES),
    }
    for section, names in types.items():
        assert set(strings[section]) == names, section
    fields = {"for", "mode", device_action.ATTR_RESIDENT, device_action.ATTR_CURRENT}
    assert set(strings["extra_fields"]) == fields
    assert set(strings["extra_fields_descriptions"]) == fields
    assert all(text.strip() for group in strings.values() for text in group.values())


def test_the_lists_here_are_the_codes() -> None:
    """The type sets this package tests against are the ones the platforms declare."""
    assert {*device_trigger.STATION_TRIGGERS} == STATION_TRIGGERS
    assert {*device_trigger.SITE_TRIGGERS} == SITE_TRIGGERS
    assert set(device_condition.STATION_CONDITIONS) == STATION_CONDITIONS
    assert set(device_condition.SITE_CONDITIONS) == SITE_CONDITIONS
    assert set(device_action.ACTION_TYPES) == STATION_ACTIONS
