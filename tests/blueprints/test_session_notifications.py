"""session_notifications.yaml: a resident hears when their session ends or their car is full."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service

from custom_components.ev_v2g.const import DOMAIN, EVENT_SESSION_ENDED

from .conftest import UseBlueprint, settle

PHONE_NOTIFY = "notify.anna_phone"


@pytest.fixture
def residents(hass: HomeAssistant) -> dict[str, str]:
    """Anna's and Bob's resident devices (identified by their subentry ids), by name."""
    site = MockConfigEntry(domain=DOMAIN, title="Garage")
    site.add_to_hass(hass)
    registry = dr.async_get(hass)
    return {
        name: registry.async_get_or_create(
            config_entry_id=site.entry_id,
            identifiers={(DOMAIN, f"subentry-{name.lower()}")},
            name=name,
            manufacturer="ev_v2g",
            model="Resident",
        ).id
        for name in ("Anna", "Bob")
    }


@pytest.fixture
def send_message(hass: HomeAssistant) -> list[ServiceCall]:
    """The mocked notify.send_message."""
    return async_mock_service(hass, "notify", "send_message")


def _ended(resident: str | None, reason: str, **extra: Any) -> dict[str, Any]:
    """An ev_v2g_session_ended payload as the integration fires it."""
    return {
        "config_entry_id": "01JSITEENTRY",
        "site": "Garage",
        "station": "Bay 1",
        "station_id": "subentry-bay-1",
        "session_id": "0a1b2c",
        "resident": resident,
        "resident_id": None if resident is None else f"subentry-{resident.lower()}",
        "user_id": None,
        "authorized_by": "user",
        "started": "2026-03-01T18:00:00+00:00",
        "ended": "2026-03-01T20:05:00+00:00",
        "reason": reason,
        "duration_min": 125.0,
        "energy_kwh": 23.456,
        "exported_kwh": 0.0,
        "cost": 7.04,
        "credit": 0.0,
        "currency": "EUR",
        **extra,
    }


async def _fire(hass: HomeAssistant, data: dict[str, Any]) -> None:
    hass.bus.async_fire(EVENT_SESSION_ENDED, data)
    await settle(hass)


async def _for_anna(use_blueprint: UseBlueprint, residents: dict[str, str], **inputs: Any) -> None:
    await use_blueprint(
        "session_notifications.yaml",
        {"resident": residents["Anna"], "notify_entities": [PHONE_NOTIFY], **inputs},
    )


async def test_full_car(
    hass: HomeAssistant,
    use_blueprint: UseBlueprint,
    residents: dict[str, str],
    send_message: list[ServiceCall],
) -> None:
    """Full: says so, with station, kWh, time and cost; no V2G line without export."""
    await _for_anna(use_blueprint, residents)
    await _fire(hass, _ended("Anna", "full"))
    assert len(send_message) == 1
    data = send_message[0].data
    assert data["entity_id"] == [PHONE_NOTIFY]
    assert data["title"] == "Anna's car is full"
    assert data["message"] == (
        "Anna's car is full at Bay 1. Charged 23.5 kWh in 2 h 05 min, cost 7.04 EUR."
    )


async def test_other_end_reason_with_v2g_export(
    hass: HomeAssistant,
    use_blueprint: UseBlueprint,
    residents: dict[str, str],
    send_message: list[ServiceCall],
) -> None:
    """Unplugged: the session ended and why; energy given back and its credit."""
    await _for_anna(use_blueprint, residents)
    await _fire(
        hass,
        _ended("Anna", "unplugged", duration_min=42.4, exported_kwh=3.3, credit=0.81),
    )
    data = send_message[0].data
    assert data["title"] == "Charging session ended"
    message = data["message"]
    assert message.startswith("Anna's charging session at Bay 1 has ended: the car was unplugged.")
    assert "Charged 23.5 kWh in 42 min, cost 7.04 EUR." in message
    assert message.endswith("Gave back 3.3 kWh, credit 0.81 EUR.")
    assert "full" not in message


ONLY = {
    # Bob's sessions and unassigned ones are not reported to Anna.
    "the_chosen_resident": ({}, [("Bob", "full"), (None, "stopped")], ("Anna", "stopped")),
    # Asked about a full car only: other ends are not reported.
    "full": ({"notify_on": ["full"]}, [("Anna", "contact_lost")], ("Anna", "full")),
}


@pytest.mark.parametrize(("inputs", "left_out", "reported"), ONLY.values(), ids=ONLY)
async def test_only(
    hass: HomeAssistant,
    use_blueprint: UseBlueprint,
    residents: dict[str, str],
    send_message: list[ServiceCall],
    inputs: dict[str, Any],
    left_out: list[tuple[str | None, str]],
    reported: tuple[str, str],
) -> None:
    """Only the chosen resident's sessions, and with notify_on only those ends, are reported."""
    await _for_anna(use_blueprint, residents, **inputs)
    for resident, reason in left_out:
        await _fire(hass, _ended(resident, reason))
    assert send_message == []
    await _fire(hass, _ended(*reported))
    assert len(send_message) == 1


async def test_companion_app_phone(
    hass: HomeAssistant,
    use_blueprint: UseBlueprint,
    residents: dict[str, str],
    send_message: list[ServiceCall],
) -> None:
    """A phone with the companion app gets it through notify.mobile_app_<device name>."""
    app = MockConfigEntry(domain="mobile_app")
    app.add_to_hass(hass)
    phone = dr.async_get(hass).async_get_or_create(
        config_entry_id=app.entry_id, identifiers={("mobile_app", "pixel")}, name="Pixel 9"
    )
    pixel = async_mock_service(hass, "notify", "mobile_app_pixel_9")
    await use_blueprint(
        "session_notifications.yaml", {"resident": residents["Anna"], "mobile_device": phone.id}
    )
    await _fire(hass, _ended("Anna", "station"))
    assert send_message == []
    assert len(pixel) == 1
    assert (
        pixel[0]
        .data["message"]
        .startswith("Anna's charging session at Bay 1 has ended: stopped at the station.")
    )
