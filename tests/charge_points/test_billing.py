"""OCPP energy reaches the resident's statement, checked against what the charger delivered.

The simulated charger keeps its own truth (`delivered_wh`, never reset), apart from the
register it reports; the statement must agree with it to the displayed 0.001 kWh. Its meter is
import-only (no export register), as most chargers' are.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.common import call, state_of, wait_for

from .conftest import ChargePointFactory


@pytest.mark.parametrize("per_transaction", [False, True], ids=["lifetime", "per_transaction"])
async def test_two_card_sessions_are_billed_what_the_charger_delivered(
    hass: HomeAssistant,
    site: MockConfigEntry,
    charge_points: ChargePointFactory,
    ocpp_port: int,
    per_transaction: bool,
) -> None:
    """Two sessions of Alice's card: her statement has both, as the charger measured them.

    With a register that starts from 0 at each transaction, the second one is not refused
    as "below the last reading".
    """
    charger = charge_points(register_per_transaction=per_transaction)
    await charger.connect(f"ws://127.0.0.1:{ocpp_port}")
    await wait_for(
        hass,
        lambda: state_of(hass, "sensor.charger_state") in ("idle", "plugged_in"),
        what="the charger",
    )
    connector = charger.state.connectors[1]
    for session in range(2):
        await charger.plug(1, soc=40)
        assert await charger.swipe(1, "CARD-ALICE")
        await wait_for(
            hass,
            lambda: state_of(hass, "sensor.charger_state") == "charging",
            what=f"session {session} charging (a new transaction gets the limit again)",
        )
        target = connector.delivered_wh + 3.0
        await wait_for(
            hass, lambda t=target: connector.delivered_wh >= t, what=f"session {session}"
        )
        await charger.unplug(1)
        await wait_for(
            hass,
            lambda: state_of(hass, "sensor.charger_state") in ("idle", "plugged_in"),
            what="ended",
        )
    await hass.async_block_till_done()
    await site.runtime_data.writer.async_flush()
    statement = await call(hass, "get_statement", {"config_entry_id": site.entry_id})
    alice = next(line for line in statement["residents"] if line["name"] == "Alice")
    assert alice["import_kwh"] == pytest.approx(connector.delivered_wh / 1000, abs=0.0011)
    assert alice["export_kwh"] == 0
    assert statement["unassigned"]["import_kwh"] == 0
