"""An OCPP charge point is a station like any other: sessions, limits, meters, contact."""

from __future__ import annotations

from typing import Any

import aiohttp
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_v2g.const import DOMAIN
from hardware.station_sim.ocpp import SimulatedChargePoint
from tests.common import number_of, set_manual, state_of, wait_for

from .conftest import ChargePointFactory
from .frames import calls, limit_of, profile_of


async def test_connects_and_is_configured(
    hass: HomeAssistant, charger: SimulatedChargePoint, site: MockConfigEntry, version: str
) -> None:
    """Online: the station is available; it gets the site's ceiling, the fallback and the tags."""
    assert state_of(hass, "sensor.charger_state") in ("idle", "plugged_in")
    await wait_for(hass, lambda: len(calls(charger, "SendLocalList")) == 1, what="local list")
    profiles = calls(charger, "SetChargingProfile")
    purposes = [profile_of(payload)["chargingProfilePurpose"] for payload in profiles]
    ceiling = "ChargePointMaxProfile" if version == "ocpp1.6" else "ChargingStationMaxProfile"
    assert "TxDefaultProfile" in purposes  # the fallback (and the setpoint, in either order)
    ceilings = [
        profile for profile in profiles if profile_of(profile)["chargingProfilePurpose"] == ceiling
    ]
    assert [limit_of(profile) for profile in ceilings] == [32.0]  # the site's supply limit
    local = calls(charger, "SendLocalList")[0]
    tags = {_tag(entry, version) for entry in local["localAuthorizationList"]}
    assert "CARD-ALICE" in tags
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, _station_key(site))})
    assert device is not None
    assert (device.model, device.manufacturer, device.model_id) == (
        "OCPP charging station",
        "ev_v2g",
        "SimCP",
    )


async def test_card_swipe_starts_the_residents_session(
    hass: HomeAssistant, charger: SimulatedChargePoint
) -> None:
    """A resident's card: a session of theirs, charging at the site's allocation."""
    await charger.plug(1, soc=40)
    assert await charger.swipe(1, "CARD-ALICE")
    await wait_for(
        hass, lambda: state_of(hass, "sensor.charger_state") == "charging", what="charging"
    )
    assert state_of(hass, "sensor.charger_session_resident") == "Alice"
    await wait_for(hass, lambda: number_of(hass, "sensor.charger_power") > 5000, what="power")
    await wait_for(
        hass, lambda: number_of(hass, "sensor.charger_session_energy") > 0, what="energy"
    )


async def test_a_transaction_is_stored_when_it_starts_and_ends(
    hass: HomeAssistant,
    charger: SimulatedChargePoint,
    site: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Written at the start and end of a transaction (not put off by the meter values)."""
    key = f"ev_v2g.ocpp_{site.entry_id}"

    def stored() -> dict[str, Any] | None:
        if key not in hass_storage:
            return None
        return hass_storage[key]["data"]["charge_points"]["cp-1"]["1"]["transaction"]

    await charger.plug(1)
    assert await charger.swipe(1, "CARD-ALICE")
    await wait_for(hass, lambda: stored() is not None, within=5, what="stored at the start")
    assert stored()["id_tag"] == "CARD-ALICE"  # type: ignore[index]
    await charger.stop_local(1)
    await wait_for(hass, lambda: stored() is None, within=5, what="stored at the end")


async def test_unknown_card_is_refused(hass: HomeAssistant, charger: SimulatedChargePoint) -> None:
    """A tag of no resident is Invalid: nothing starts."""
    await charger.plug(1)
    assert not await charger.swipe(1, "STRANGER")
    await hass.async_block_till_done()
    assert charger.connectors[1].transaction is None
    assert state_of(hass, "sensor.charger_state") in ("idle", "plugged_in")


async def test_switch_starts_with_the_residents_real_tag(
    hass: HomeAssistant, charger: SimulatedChargePoint, version: str
) -> None:
    """Start session for Alice: the remote start names her card, not a made-up tag."""
    await charger.plug(1)
    residents = [d for d in dr.async_get(hass).devices.values() if d.model == "Resident"]
    site = next(d for d in dr.async_get(hass).devices.values() if d.model == "Charging site")
    assert [(d.via_device_id, d.entry_type) for d in residents] == [
        (site.id, dr.DeviceEntryType.SERVICE)
    ]
    await hass.services.async_call(
        DOMAIN,
        "start_session",
        {"station": _device_id(hass, "Charger"), "resident": residents[0].id},
        blocking=True,
    )
    action = "RemoteStartTransaction" if version == "ocpp1.6" else "RequestStartTransaction"
    start = calls(charger, action)[0]
    assert _tag(start, version) == "CARD-ALICE"
    await wait_for(
        hass, lambda: state_of(hass, "sensor.charger_state") == "charging", what="charging"
    )
    assert state_of(hass, "sensor.charger_session_resident") == "Alice"
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": "switch.charger_charging"}, blocking=True
    )
    await wait_for(hass, lambda: charger.connectors[1].transaction is None, what="stopped")
    assert state_of(hass, "sensor.charger_state") in ("idle", "plugged_in")


async def test_manual_limit_is_a_profile_with_valid_to(
    hass: HomeAssistant, charger: SimulatedChargePoint, version: str
) -> None:
    """The current limit: TxProfile while a transaction runs, always with a validTo."""
    await charger.plug(1)
    assert await charger.swipe(1, "CARD-ALICE")
    await wait_for(
        hass, lambda: state_of(hass, "sensor.charger_state") == "charging", what="charging"
    )
    await set_manual(hass, "charger")
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": "number.charger_current_limit", "value": 10},
        blocking=True,
    )
    last = profile_of(calls(charger, "SetChargingProfile")[-1])
    assert last["chargingProfilePurpose"] == "TxProfile"
    assert "validTo" in last
    assert limit_of(calls(charger, "SetChargingProfile")[-1]) == 10.0
    await wait_for(hass, lambda: abs(charger.connectors[1].current_a - 10.0) < 0.01, what="10 A")
    await wait_for(
        hass, lambda: abs(number_of(hass, "sensor.charger_current") - 10.0) < 0.5, what="10 A seen"
    )


async def test_offline_when_the_socket_closes_and_back(
    hass: HomeAssistant, charger: SimulatedChargePoint, ocpp_port: int
) -> None:
    """Socket gone: unavailable; back: available, the session kept."""
    await charger.plug(1)
    assert await charger.swipe(1, "CARD-ALICE")
    await wait_for(
        hass, lambda: state_of(hass, "sensor.charger_state") == "charging", what="charging"
    )
    await charger.disconnect()
    await wait_for(
        hass, lambda: state_of(hass, "sensor.charger_state") == "contact_lost", what="unavailable"
    )
    await charger.connect(f"ws://127.0.0.1:{ocpp_port}")
    await wait_for(hass, lambda: state_of(hass, "sensor.charger_state") == "charging", what="back")
    assert state_of(hass, "sensor.charger_session_resident") == "Alice"


async def test_wrong_password_and_unknown_id_are_refused(
    hass: HomeAssistant, site: MockConfigEntry, ocpp_port: int, charge_points: ChargePointFactory
) -> None:
    """A wrong password gets 401; an unknown id gets 401 and a discovery flow."""
    wrong = charge_points("cp-1", password="not-the-password")
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await wrong.connect(f"ws://127.0.0.1:{ocpp_port}")
    assert refused.value.status == 401
    throttle = site.runtime_data.charge_points.central.login_throttle
    assert throttle.wait_s("127.0.0.1") > 0  # the wrong password costs this address a wait
    await wait_for(hass, lambda: throttle.wait_s("127.0.0.1") == 0, what="the wait over")
    stranger = charge_points("cp-new", password="whatever-it-has")
    with pytest.raises(aiohttp.WSServerHandshakeError) as unknown:
        await stranger.connect(f"ws://127.0.0.1:{ocpp_port}")
    assert unknown.value.status == 401
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["title_placeholders"]["charge_point_id"] for flow in flows] == [
        "cp-new"
    ]


def _station_key(site: MockConfigEntry) -> str:
    return next(key for key, sub in site.subentries.items() if sub.data.get("protocol") == "ocpp")


def _device_id(hass: HomeAssistant, name: str) -> str:
    return next(d.id for d in dr.async_get(hass).devices.values() if d.name == name)


def _tag(payload: dict, version: str) -> str:
    if version == "ocpp1.6":
        return str(payload["idTag"])
    return str(payload["idToken"]["idToken"])


async def test_a_flood_of_unknown_ids_raises_a_few_cards(
    hass: HomeAssistant,
    site: MockConfigEntry,
    ocpp_port: int,
    charge_points: ChargePointFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """30 made-up ids knock over real sockets: each is refused, 10 cards, one warning."""
    for number in range(30):
        stranger = charge_points(f"knock-{number}", password="whatever-it-has")
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await stranger.connect(f"ws://127.0.0.1:{ocpp_port}")
        assert refused.value.status == 401
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 10
    assert sum("unknown charge points knocked" in r.getMessage() for r in caplog.records) == 1
