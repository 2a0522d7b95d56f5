"""A charger whose meter values carry energy alone still shows its car charging."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.common import state_of, wait_for

from .conftest import ChargePointFactory


@pytest.mark.parametrize(
    "measurands",
    [
        frozenset({"Energy.Active.Import.Register"}),
        frozenset({"Energy.Active.Import.Register", "Power.Active.Import"}),
    ],
)
async def test_charging_is_seen_without_a_current(
    hass: HomeAssistant,
    site: MockConfigEntry,
    ocpp_port: int,
    charge_points: ChargePointFactory,
    measurands: frozenset[str],
) -> None:
    """Alice's card starts a session; with no current reported, power or energy growth tell."""
    charger = charge_points()
    charger.state.measurands = measurands
    await charger.connect(f"ws://127.0.0.1:{ocpp_port}")
    await wait_for(
        hass,
        lambda: state_of(hass, "sensor.charger_state") in ("idle", "plugged_in"),
        what="online",
    )
    await charger.plug(1)
    assert await charger.swipe(1, "CARD-ALICE")
    await wait_for(
        hass, lambda: state_of(hass, "sensor.charger_state") == "charging", within=10, what="it"
    )
