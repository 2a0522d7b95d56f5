"""Break before make: when one outcome cuts a station and raises another, the cut lands first.

DESIGN.md section 7: a raise goes out only once the cuts it needs are acknowledged, and a station
whose cut was not acknowledged counts at the higher of its old and new setpoint until its lease
ends. Checked against the setpoints the simulators applied, over the whole run.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant

from tests.common import wait_for

from .conftest import LIMIT_A, Site, applied_a, peak_import_a, start_session


async def test_a_slow_cut_lands_before_the_raise(hass: HomeAssistant, site: Site) -> None:
    """A takes 0.5 s to apply its cut from 20 A to 10 A: B's raise to 10 A waits for it."""
    a, b = site.station("A"), site.station("B")
    await start_session(hass, "A", "ann")
    await wait_for(hass, lambda: applied_a(a) == LIMIT_A, what="A alone at 20 A")
    a.regulator_delay_s = 0.5
    await start_session(hass, "B", "ben")
    await wait_for(
        hass, lambda: applied_a(a) == 10 and applied_a(b) == 10, within=10, what="10 A each"
    )
    peak, over = peak_import_a(a, b)
    assert (peak, over) == (LIMIT_A, 0.0)


async def test_a_frozen_station_keeps_its_budget_until_its_lease_ends(
    hass: HomeAssistant, site: Site, short_lease: None
) -> None:
    """B freezes at 10 A and misses its cut to 6 A: A is raised only once B cannot hold 10 A."""
    a, b = site.station("A"), site.station("B")
    await start_session(hass, "A", "ann")
    await start_session(hass, "B", "ben")
    await wait_for(
        hass, lambda: applied_a(a) == 10 and applied_a(b) == 10, within=10, what="10 A each"
    )
    await site.b.freeze()
    # Ann's priority is higher: the outcome is A 14 A, B 6 A (a cut for B, a raise for A).
    hass.config_entries.async_update_entry(site.entry, options={"policy": "priority"})
    await wait_for(hass, lambda: applied_a(a) >= 14, within=30, what="A raised")
    peak, over = peak_import_a(a, b)
    assert over == 0.0, f"the stations applied {peak} A together on a {LIMIT_A} A site"
    assert peak <= LIMIT_A
