"""A site's charge points: several connectors, tags before residents exist, diagnostics."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from ocpp import messages
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_v2g.const import DOMAIN
from custom_components.ev_v2g.diagnostics import async_get_config_entry_diagnostics
from custom_components.ev_v2g.transport.ocpp.central import CentralSystem
from custom_components.ev_v2g.transport.ocpp.lib import load_validators
from tests.common import state_of, wait_for
from tests.conftest import SITE_DATA

from .conftest import ChargePointFactory, charge_point_subentry, resident_subentry


@pytest.fixture
def site_entry(ocpp_port: int) -> MockConfigEntry:
    """A site with a two-connector charge point, no residents, and an allowed card."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Garage",
        unique_id="garage",
        data=SITE_DATA,
        options={"ocpp_port": ocpp_port, "allowed_tags": ["CARD-GUEST"]},
        subentries_data=[charge_point_subentry("cp-2", name="Twin", connectors=2)],
    )


async def test_each_connector_is_a_station_under_the_charge_point(
    hass: HomeAssistant, site: MockConfigEntry, ocpp_port: int, charge_points: ChargePointFactory
) -> None:
    """Two connectors: two station devices via the charge point's device, charging apart."""
    charger = charge_points("cp-2", connectors=2)
    await charger.connect(f"ws://127.0.0.1:{ocpp_port}")
    registry = dr.async_get(hass)
    subentry = next(iter(site.subentries))
    parent = registry.async_get_device(identifiers={(DOMAIN, subentry)})
    assert parent is not None
    assert parent.model == "OCPP charge point"
    connectors = [d for d in registry.devices.values() if d.via_device_id == parent.id]
    assert sorted((d.name, d.model) for d in connectors) == [
        ("Twin 1", "OCPP connector"),
        ("Twin 2", "OCPP connector"),
    ]
    await wait_for(
        hass, lambda: state_of(hass, "sensor.twin_2_state") in ("idle", "plugged_in"), what="online"
    )
    await charger.plug(2)
    assert await charger.swipe(2, "CARD-GUEST")  # allowed while the site has no residents
    await wait_for(hass, lambda: state_of(hass, "sensor.twin_2_state") == "charging", what="2")
    assert state_of(hass, "sensor.twin_1_state") in ("idle", "plugged_in")
    diagnostics = await async_get_config_entry_diagnostics(hass, site)
    station = diagnostics["stations"][f"{subentry}_connector_2"]
    assert station["connected"] is True
    assert station["config"]["password_hash"] == "**REDACTED**"
    charge_point = diagnostics["ocpp"]["charge_points"][subentry]
    assert charge_point["online"] is True
    # The charge point id is its Basic-auth user name; serials identify the hardware.
    assert "cp-2" not in str(diagnostics)
    assert charge_point["id"] == charge_point["info"]["serial_number"] == "**REDACTED**"
    assert station["config"]["charge_point_id"] == "**REDACTED**"


@pytest.mark.parametrize("version", ["ocpp1.6"])
async def test_allowed_tags_stop_once_residents_exist(
    hass: HomeAssistant, ocpp_port: int, charge_points: ChargePointFactory
) -> None:
    """With residents, only their tags are accepted; the allowed list was for before."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Garage",
        data=SITE_DATA,
        options={"ocpp_port": ocpp_port, "allowed_tags": ["CARD-GUEST"]},
        subentries_data=[charge_point_subentry("cp-1"), resident_subentry("Bob", "CARD-BOB")],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    charger = charge_points("cp-1")
    await charger.connect(f"ws://127.0.0.1:{ocpp_port}")
    await charger.plug(1)
    assert not await charger.swipe(1, "CARD-GUEST")
    assert await charger.swipe(1, "card-bob")  # tags compare case-insensitively
    await wait_for(
        hass, lambda: state_of(hass, "sensor.charger_session_resident") == "Bob", what="Bob"
    )
    await hass.config_entries.async_unload(entry.entry_id)


async def test_schemas_are_read_before_the_first_frame(
    hass: HomeAssistant, loopback: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Frames are checked in the event loop: every schema is read at start, in the executor."""
    monkeypatch.setattr(messages, "_validators", {})
    load_validators.cache_clear()
    central = CentralSystem(port=0, host="127.0.0.1")
    await central.start()
    try:
        assert "BootNotificationRequest_2.0.1" in messages._validators
        assert "SetChargingProfile_1.6" in messages._validators
        assert len(messages._validators) > 150
    finally:
        await central.stop()
        load_validators.cache_clear()


@pytest.mark.parametrize("version", ["ocpp1.6"])
async def test_the_ceiling_follows_the_site_limit_only_when_it_changes(
    hass: HomeAssistant, ocpp_port: int, charge_points: ChargePointFactory
) -> None:
    """A 16 A charger's ceiling is min(site limit, 16 A): sent again only when that changes."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Garage",
        data=SITE_DATA,
        options={"ocpp_port": ocpp_port},
        subentries_data=[charge_point_subentry("cp-1", max_current_a=16.0)],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    charger = charge_points("cp-1")
    await charger.connect(f"ws://127.0.0.1:{ocpp_port}")

    def ceilings() -> list[float]:
        return [
            payload["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"]
            for action, payload in charger.state.received
            if action == "SetChargingProfile"
            and payload["csChargingProfiles"]["chargingProfilePurpose"] == "ChargePointMaxProfile"
        ]

    await wait_for(hass, lambda: ceilings() == [16.0], what="the first ceiling")

    async def site_limit(limit: float) -> None:
        await hass.services.async_call(
            "number",
            "set_value",
            {"entity_id": "number.garage_site_limit", "value": limit},
            blocking=True,
        )

    await site_limit(20)  # min(20, 16) is still 16: nothing is sent
    await site_limit(10)
    await wait_for(hass, lambda: ceilings()[-1] == 10.0, what="10 A")
    await site_limit(12)
    await wait_for(hass, lambda: ceilings()[-1] == 12.0, what="12 A")
    assert ceilings() == [16.0, 10.0, 12.0]
    await hass.config_entries.async_unload(entry.entry_id)


async def test_fewer_connectors_leave_no_stale_devices(
    hass: HomeAssistant, site: MockConfigEntry
) -> None:
    """Reconfigured from two connectors to one: the connectors' devices go, the charger stays."""
    registry = dr.async_get(hass)
    subentry = next(iter(site.subentries.values()))
    assert registry.async_get_device(identifiers={(DOMAIN, f"{subentry.subentry_id}_connector_2")})
    hass.config_entries.async_update_subentry(
        site, subentry, data={**subentry.data, "connectors": 1}
    )
    await hass.async_block_till_done()
    await wait_for(hass, lambda: site.runtime_data.charge_points is not None, what="reloaded")
    for connector in (1, 2):
        key = f"{subentry.subentry_id}_connector_{connector}"
        assert registry.async_get_device(identifiers={(DOMAIN, key)}) is None
    device = registry.async_get_device(identifiers={(DOMAIN, subentry.subentry_id)})
    assert device is not None
    assert state_of(hass, "sensor.twin_state") is not None
