"""What the user set for sharing survives Home Assistant being killed, not only a clean stop.

A kill is modelled as the site going away while Home Assistant's restored entity states (written
at a clean stop or every 15 minutes) still hold what they held before the change.
"""

from __future__ import annotations

import asyncio

from homeassistant.core import HomeAssistant
from homeassistant.helpers import restore_state
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_v2g.links import lease
from tests.common import state_of, wait_for

from .conftest import Site, applied_a

SITE_LIMIT = "number.garage_site_limit"
DR_MODE = "select.garage_demand_response"
DR_POWER = "number.garage_dr_power"
CONTROL = "select.bay_a_control_mode"


async def _killed_and_restarted(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """The site gone without its entities' states being saved, then set up again."""
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    restore_state.async_get(hass).last_states.clear()  # the kill lost what was not written
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def test_limit_modes_and_request_come_back_after_a_kill(
    hass: HomeAssistant, site: Site
) -> None:
    """20 A, Bay A manual and a 4 kW limit request in force: all three are back after a kill."""
    await hass.services.async_call(
        "number", "set_value", {"entity_id": SITE_LIMIT, "value": 16}, blocking=True
    )
    await hass.services.async_call(
        "select", "select_option", {"entity_id": CONTROL, "option": "manual"}, blocking=True
    )
    await hass.services.async_call(
        "number", "set_value", {"entity_id": DR_POWER, "value": 4}, blocking=True
    )
    await hass.services.async_call(
        "select", "select_option", {"entity_id": DR_MODE, "option": "limit"}, blocking=True
    )
    await _killed_and_restarted(hass, site.entry)
    await wait_for(hass, lambda: state_of(hass, SITE_LIMIT) == "16.0", what="the site limit")
    assert state_of(hass, CONTROL) == "manual"
    assert state_of(hass, DR_MODE) == "limit"
    assert state_of(hass, DR_POWER) == "4.0"
    sharing = site.entry.runtime_data.hub.sharing
    assert sharing.site_limit_a == 16
    assert sharing.demand_response.request.power_w == 4000


async def test_a_manual_setpoint_is_sent_again_after_a_kill(
    hass: HomeAssistant, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bay A manual at 12 A: after a kill the station is at 12 A again, and stays there.

    The lease is short here (8 s): a setpoint nobody renews would lapse to the fallback.
    """
    monkeypatch.setattr(lease, "SETPOINT_LEASE", 8)
    monkeypatch.setattr(lease, "SETPOINT_REFRESH_MARGIN", 3)
    a = site.station("A")
    await hass.services.async_call(
        "select", "select_option", {"entity_id": CONTROL, "option": "manual"}, blocking=True
    )
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": "number.bay_a_current_limit", "value": 12},
        blocking=True,
    )
    assert applied_a(a) == 12
    await _killed_and_restarted(hass, site.entry)
    stations = site.entry.runtime_data.hub.stations.values()
    await wait_for(hass, lambda: all(s.available for s in stations), what="contact")
    sent = len(a.applied)
    await asyncio.sleep(11)  # past the lease given before the kill: renewed, not lapsed
    assert applied_a(a) == 12
    assert all(ma == 12000 for _, ma in a.applied[sent:]), a.applied[sent:]
