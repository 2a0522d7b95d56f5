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


async def test_no_tag_is_accepted_on_every_site(
    hass: HomeAssistant, charger: SimulatedChargePoint, site: MockConfigEntry
) -> None:
    """The tag of remote starts for nobody's card is this site's secret, kept across a reload.

    The fixed tag earlier versions sent (and accepted everywhere) is refused like any stranger.
    """
    await wait_for(hass, lambda: len(_local_lists(charger)) == 1, what="the first local list")
    await charger.plug(1)
    for stranger in ("EV_V2G", "ev_v2g"):
        assert not await charger.swipe(1, stranger)
    assert "EV_V2G" not in str(_local_lists(charger))
    tag = site.runtime_data.hub.central.site_tag
    assert tag.startswith("EVV2G")
    assert len(tag) == 19
    assert await hass.config_entries.async_reload(site.entry_id)
    await hass.async_block_till_done()
    assert site.runtime_data.hub.central.site_tag == tag
