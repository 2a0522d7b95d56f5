"""OCPP charge points added and removed while the site runs: in place, no reload.

The truth is the simulated chargers' own: the frames they received, and whether the central
system closed or refused their connection.
"""

from __future__ import annotations

import aiohttp
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from hardware.station_sim.ocpp import SimulatedChargePoint
from tests.common import state_of, wait_for

from .conftest import ChargePointFactory, charge_point_subentry
from .frames import calls, limit_of, profile_of


def _fallbacks(charger: SimulatedChargePoint) -> list[float]:
    return [
        limit_of(payload)
        for payload in calls(charger, "SetChargingProfile")
        if profile_of(payload)["chargingProfilePurpose"] == "TxDefaultProfile"
        and profile_of(payload).get("stackLevel") == 0
    ]


async def test_a_charge_point_added_and_removed_in_place(
    hass: HomeAssistant,
    site: MockConfigEntry,
    charger: SimulatedChargePoint,
    charge_points: ChargePointFactory,
    ocpp_port: int,
) -> None:
    """cp-2 enrolled, then removed, while cp-1 stays connected.

    Enrolled: cp-1's fallback halves and cp-2 is configured. Removed: its connection is closed,
    it is refused from then on, and cp-1's fallback is the whole supply again.
    """
    runtime = site.runtime_data
    await wait_for(hass, lambda: _fallbacks(charger) == [32.0], what="cp-1 alone: 32 A")
    went_off: list[str] = []

    def changed(event: Event) -> None:
        new = event.data["new_state"]
        if event.data["entity_id"].startswith(("sensor.charger_", "binary_sensor.charger_")) and (
            new is None or new.state in ("unavailable", "off")
        ):
            went_off.append(event.data["entity_id"])

    hass.bus.async_listen(EVENT_STATE_CHANGED, changed)
    hass.config_entries.async_add_subentry(
        site, ConfigSubentry(**charge_point_subentry("cp-2", name="Second"))
    )
    await hass.async_block_till_done()
    await wait_for(hass, lambda: _fallbacks(charger)[-1:] == [16.0], what="cp-1 at 16 A")
    second = charge_points("cp-2")
    await second.connect(f"ws://127.0.0.1:{ocpp_port}")
    await wait_for(hass, lambda: _fallbacks(second) == [16.0], what="cp-2 configured")
    await wait_for(
        hass, lambda: state_of(hass, "binary_sensor.second_connectivity") == "on", what="cp-2 on"
    )
    assert site.runtime_data is runtime
    assert went_off == []
    assert charger.connected
    subentry = next(s for s in site.subentries.values() if s.title == "Second")
    hass.config_entries.async_remove_subentry(site, subentry.subentry_id)
    await hass.async_block_till_done()
    await wait_for(hass, lambda: not second.connected, what="cp-2 disconnected")
    await wait_for(hass, lambda: _fallbacks(charger)[-1:] == [32.0], what="cp-1 alone again")
    assert hass.states.get("binary_sensor.second_connectivity") is None
    again = charge_points("cp-2")
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await again.connect(f"ws://127.0.0.1:{ocpp_port}")
    assert refused.value.status == 401
    assert site.runtime_data is runtime
    assert went_off == []
    assert charger.connected
