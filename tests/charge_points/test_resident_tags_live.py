"""A resident's new card works at once: the tags change in place, no reload."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from hardware.station_sim.ocpp import SimulatedChargePoint
from tests.common import wait_for


def _local_lists(charger: SimulatedChargePoint) -> list[dict]:
    return [payload for name, payload in charger.state.received if name == "SendLocalList"]


async def test_a_new_card_reaches_the_charger_without_a_reload(
    hass: HomeAssistant, charger: SimulatedChargePoint, site: MockConfigEntry
) -> None:
    """Alice adds CARD-NEW: the charger gets a new local list and the card starts a session."""
    await wait_for(hass, lambda: len(_local_lists(charger)) == 1, what="the first local list")
    runtime = site.runtime_data
    alice = next(s for s in site.subentries.values() if s.title == "Alice")
    hass.config_entries.async_update_subentry(
        site, alice, data={**alice.data, "id_tags": ["CARD-ALICE", "CARD-NEW"]}
    )
    await hass.async_block_till_done()
    await wait_for(hass, lambda: len(_local_lists(charger)) == 2, what="the new local list")
    assert "CARD-NEW" in str(_local_lists(charger)[-1])
    assert site.runtime_data is runtime
    await charger.plug(1)
    assert await charger.swipe(1, "card-new")
    await wait_for(
        hass,
        lambda: runtime.hub.stations[next(iter(runtime.hub.stations))].session is not None,
        what="a session",
    )
    session = next(iter(runtime.hub.stations.values())).session
    assert session is not None
    assert session.resident_name == "Alice"
