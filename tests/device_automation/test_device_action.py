"""Device actions go through the session services and the current-limit number, on a real site."""

from __future__ import annotations

from typing import Any

from homeassistant.auth.models import User
from homeassistant.components.device_automation.action import async_validate_action_config
from homeassistant.components.device_automation.exceptions import InvalidDeviceAutomationConfig
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.ev_v2g import device_action
from custom_components.ev_v2g.const import DOMAIN
from tests.common import number_of, set_manual, state_of, wait_for

from .conftest import (
    RESIDENT,
    SWITCH,
    action,
    automate,
    device_by_role,
    device_of,
    run,
    station_device,
    station_key,
)

LIMIT = "number.bay_1_current_limit"
RUN = "ev_v2g_test_run"


async def test_an_automation_starts_and_stops_a_session(
    hass: HomeAssistant, site: MockConfigEntry
) -> None:
    """Started for the resident named, authorized as an automation; then stopped."""
    station = station_device(hass, site)
    await automate(
        hass,
        {
            "triggers": [{"platform": "event", "event_type": RUN, "event_data": {"do": "start"}}],
            "actions": [action(station, "start_session", resident="ben")],
        },
        {
            "triggers": [{"platform": "event", "event_type": RUN, "event_data": {"do": "stop"}}],
            "actions": [action(station, "stop_session")],
        },
    )
    hass.bus.async_fire(RUN, {"do": "start"})
    await wait_for(hass, lambda: state_of(hass, SWITCH) == "on", what="session")
    session = hass.states.get(RESIDENT)
    assert session is not None
    assert session.state == "Ben"
    assert (session.attributes["authorization"], session.attributes["authorized_by"]) == (
        "automation",
        "automation",
    )
    hass.bus.async_fire(RUN, {"do": "stop"})
    await wait_for(hass, lambda: state_of(hass, SWITCH) == "off", what="stopped")


async def test_start_session_follows_the_services_rules(
    hass: HomeAssistant, site: MockConfigEntry, hass_owner_user: User
) -> None:
    """No resident on an unowned bay, or a plain user naming someone else: refused alike."""
    station = station_device(hass, site)
    with pytest.raises(ServiceValidationError) as raised:
        await run(hass, action(station, "start_session"))
    assert raised.value.translation_key == "resident_required"
    plain = await hass.auth.async_create_user("Zoe", group_ids=["system-users"])
    with pytest.raises(ServiceValidationError) as raised:
        await run(hass, action(station, "start_session", resident="ann"), Context(user_id=plain.id))
    assert raised.value.translation_key == "not_authorized"
    with pytest.raises(ServiceValidationError) as raised:
        await run(hass, action(station, "start_session", resident="zoe"))
    assert raised.value.translation_key == "unknown_resident"
    assert state_of(hass, SWITCH) == "off"

    await run(
        hass, action(station, "start_session", resident="ann"), Context(user_id=hass_owner_user.id)
    )
    assert state_of(hass, RESIDENT) == "Ann"
    with pytest.raises(ServiceValidationError) as raised:
        await run(hass, action(station, "start_session", resident="ben"))
    assert raised.value.translation_key in ("illegal_while_enabled", "illegal_while_charging")


async def test_set_current_limit(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """Only in manual control, within the station's range, as the number itself allows."""
    station = station_device(hass, site)
    with pytest.raises(ServiceValidationError) as raised:
        await run(hass, action(station, "set_current_limit", current=10))
    assert raised.value.translation_key == "station_coordinated"
    await set_manual(hass)
    await run(hass, action(station, "set_current_limit", current="10"))
    await wait_for(hass, lambda: number_of(hass, LIMIT) == 10, what="setpoint 10 A")
    limit = hass.states.get(LIMIT)
    assert limit is not None
    with pytest.raises(ServiceValidationError):
        await run(hass, action(station, "set_current_limit", current=limit.attributes["max"] + 1))
    with pytest.raises(ServiceValidationError) as raised:
        await run(hass, action(station, "set_current_limit", current=3))
    assert raised.value.translation_key == "out_of_range"
    assert number_of(hass, LIMIT) == 10


async def test_set_current_limit_without_the_number(
    hass: HomeAssistant, site: MockConfigEntry
) -> None:
    """A station whose number was removed says so, rather than doing nothing."""
    registry = er.async_get(hass)
    entity_id = registry.async_get_entity_id("number", DOMAIN, f"{station_key(site)}_current_limit")
    assert entity_id is not None
    registry.async_remove(entity_id)
    with pytest.raises(ServiceValidationError) as raised:
        await run(hass, action(station_device(hass, site), "set_current_limit", current=10))
    assert raised.value.translation_key == "station_not_found"


@pytest.mark.parametrize(
    ("device", "kind", "extra", "error"),
    [
        ("station", "stop_session", {"resident": "ann"}, vol.Invalid),
        ("station", "set_current_limit", {}, vol.Invalid),
        ("station", "start_session", {"current": 10}, vol.Invalid),
        ("station", "set_current_limit", {"current": "lots"}, vol.Invalid),
        ("station", "charge_harder", {}, vol.Invalid),
        ("site", "start_session", {}, InvalidDeviceAutomationConfig),
        ("ann", "stop_session", {}, InvalidDeviceAutomationConfig),
    ],
)
async def test_invalid_config(
    hass: HomeAssistant,
    site: MockConfigEntry,
    device: str,
    kind: str,
    extra: dict[str, Any],
    error: type[Exception],
) -> None:
    """Fields a type does not take, missing or malformed ones, and the wrong device are refused."""
    device_id = device_by_role(hass, site, device)
    with pytest.raises(error):
        await async_validate_action_config(hass, action(device_id, kind, **extra))


async def test_capabilities_name_the_station(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """Capabilities of a device that is no station are refused (the editor then shows none)."""
    with pytest.raises(InvalidDeviceAutomationConfig):
        await device_action.async_get_action_capabilities(
            hass, action(device_of(hass, site.entry_id), "start_session")
        )
