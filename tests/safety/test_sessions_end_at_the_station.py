"""A session ends at the station: the relay opens, and the next car needs a new authorization.

DESIGN.md section 4: a session ends when its car is unplugged, even a car that never drew
current (queued); the station is then told to open its relay, so the authorization is never
reused by the next car. Checked at the simulator's own relay and current.
"""

from __future__ import annotations

import asyncio

from homeassistant.core import HomeAssistant

from hardware.station_sim import Vehicle
from tests.common import state_of, wait_for

from .conftest import Site, applied_a, start_session


async def test_unplugging_ends_the_session_and_opens_the_relay(
    hass: HomeAssistant, site: Site
) -> None:
    """Ann's car leaves Bay A: her session ends, the relay opens, the next car draws nothing."""
    sim = site.station("A")
    await start_session(hass, "A", "ann")
    await wait_for(hass, lambda: sim.current_a > 6, what="Ann's car charging")
    sim.unplug()
    await wait_for(hass, lambda: not sim.switch_on, what="the relay opened")
    assert state_of(hass, "sensor.bay_a_session_resident") == "unknown"
    sim.plug(Vehicle(capacity_kwh=40, soc=20, v2g=False))
    await asyncio.sleep(0.5)
    assert sim.current_a == 0
    assert state_of(hass, "sensor.bay_a_session_resident") == "unknown"


async def test_a_queued_car_that_leaves_ends_its_session(hass: HomeAssistant, site: Site) -> None:
    """One car at a time: Ben's waits at Bay B; it leaves without drawing current, session over."""
    hass.config_entries.async_update_entry(site.entry, options={"policy": "fcfs", "max_active": 1})
    await start_session(hass, "A", "ann")
    await wait_for(hass, lambda: applied_a(site.station("A")) == 20, what="A charging")
    await start_session(hass, "B", "ben")
    await wait_for(
        hass, lambda: state_of(hass, "sensor.bay_b_session_resident") == "Ben", what="B queued"
    )
    b = site.station("B")
    assert b.current_a == 0
    b.unplug()
    await wait_for(
        hass,
        lambda: state_of(hass, "sensor.bay_b_session_resident") == "unknown",
        what="Ben's session over",
    )
    await wait_for(hass, lambda: not b.switch_on, what="B's relay opened")
