"""A transaction the charger starts with a card we refused creates no session and is stopped."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import pytest

from hardware.station_sim.ocpp import SimulatedChargePoint
from tests.common import state_of, wait_for


@pytest.mark.parametrize("version", ["ocpp1.6", "ocpp2.0.1"])
async def test_a_refused_card_makes_no_session(
    hass: HomeAssistant, charger: SimulatedChargePoint, version: str
) -> None:
    """The charger starts anyway (it trusts its own list): no session, and it is told to stop."""
    await charger.plug(1)
    connector = charger.connectors[1]
    charger.transactions.begin(connector, "CARD-NOBODY")
    await charger.flush()
    stop = "RemoteStopTransaction" if version == "ocpp1.6" else "RequestStopTransaction"
    await wait_for(
        hass,
        lambda: any(action == stop for action, _ in charger.state.received),
        what="the stop",
    )
    assert state_of(hass, "sensor.charger_session_resident") == "unknown"
    assert state_of(hass, "sensor.charger_state") != "charging"
