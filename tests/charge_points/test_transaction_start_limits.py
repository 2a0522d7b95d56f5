"""A charger that refuses a TxProfile while it sets its new transaction up is still limited.

Some firmware takes a TxProfile for a transaction only once it has finished starting it; one
sent at once (the site answers StartTransaction and plans at once) is refused. The limit then
goes to the connector as a TxDefaultProfile, which holds the running transaction too; the
charger is not "one that refuses limits", and no repair issue says it is. Checked against the
simulator's own record of the profiles it holds and the currents it drew.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_v2g.const import DOMAIN
from tests.common import state_of, wait_for

from .conftest import ChargePointFactory, charge_point_subentry, garage, resident_subentry


@pytest.fixture
def site_entry(ocpp_port: int) -> MockConfigEntry:
    """32 A shared by cp-1 and cp-away, which never connects (counted at its 16 A fallback)."""
    return garage(
        ocpp_port,
        charge_point_subentry("cp-1", "Charger"),
        charge_point_subentry("cp-away", "Away"),
        resident_subentry("Alice", "CARD-ALICE"),
    )


@pytest.mark.parametrize("settle_s", [0.0, 1.0], ids=["prompt", "settling"])
async def test_a_transaction_just_started_is_limited_all_the_same(
    hass: HomeAssistant,
    site: MockConfigEntry,
    ocpp_port: int,
    charge_points: ChargePointFactory,
    settle_s: float,
) -> None:
    """Alice's session gets 16 A at the charger, whether it takes a TxProfile at once or not."""
    charger = charge_points(tx_profile_settle_s=settle_s)
    await charger.connect(f"ws://127.0.0.1:{ocpp_port}")
    await wait_for(
        hass, lambda: state_of(hass, "sensor.charger_state") in ("idle", "plugged_in"), what="ready"
    )
    connector = charger.state.connectors[1]
    await charger.plug(1, soc=40)
    assert await charger.swipe(1, "CARD-ALICE")
    await wait_for(hass, lambda: connector.limit_a == 16.0, what="16 A in force at the charger")
    await wait_for(
        hass, lambda: state_of(hass, "sensor.charger_state") == "charging", what="charging"
    )
    hub = site.runtime_data.hub
    link = next(link for link in hub.links.values() if link.station.name == "Charger")
    assert not link.cannot_be_limited
    assert not [issue for (domain, issue) in ir.async_get(hass).issues if domain == DOMAIN], (
        "no repair issue: the charger takes limits"
    )
    assert max(amps for _, amps in connector.drawn) <= 16.0
