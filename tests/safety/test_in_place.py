"""Stations and residents added, changed or removed while the site runs: in place, no reload.

Checked against what the integration does not compute: the simulators' own logs of the
setpoints they applied and of their relay, aiocoap's record of each station's observers, and
the states Home Assistant recorded (the other stations' entities never go unavailable).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import MappingProxyType

from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er

from custom_components.ev_v2g.const import SUBENTRY_RESIDENT, SUBENTRY_STATION
from hardware.station_sim import SimulatedStation, StationServer, Vehicle, free_udp_port
from tests.common import call, wait_for
from tests.conftest import station_subentry

from .conftest import LIMIT_A, Site, applied_a, both_at_10_a, peak_import_a, start_session


@contextmanager
def blinks(hass: HomeAssistant, device_names: set[str]) -> Iterator[list[str]]:
    """The entities of these devices that went unavailable or away meanwhile."""
    devices = {d.id for d in dr.async_get(hass).devices.values() if d.name in device_names}
    entities = {e.entity_id for e in er.async_get(hass).entities.values() if e.device_id in devices}
    assert entities
    seen: list[str] = []

    def changed(event: Event) -> None:
        new = event.data["new_state"]
        if event.data["entity_id"] in entities and (new is None or new.state == STATE_UNAVAILABLE):
            seen.append(event.data["entity_id"])

    remove = hass.bus.async_listen(EVENT_STATE_CHANGED, changed)
    try:
        yield seen
    finally:
        remove()


def _device(hass: HomeAssistant, name: str) -> dr.DeviceEntry | None:
    return next((d for d in dr.async_get(hass).devices.values() if d.name == name), None)


def _subentry(site: Site, title: str) -> ConfigSubentry:
    return next(s for s in site.entry.subentries.values() if s.title == title)


def _same_runtime(site: Site) -> Callable[[], bool]:
    runtime = site.entry.runtime_data
    return lambda: site.entry.runtime_data is runtime and not runtime.reloading


async def test_a_station_added_joins_the_running_site(hass: HomeAssistant, site: Site) -> None:
    """Bay C added while A and B charge.

    A and B never blink and keep their observations; the three share the 20 A without the
    stations ever holding more.
    """
    a, b = site.station("A"), site.station("B")
    await both_at_10_a(hass, site)
    same = _same_runtime(site)
    car = SimulatedStation(station_id="sim-c", max_age=1, tick=0.05, ramp_a_per_s=400)
    car.plug(Vehicle(capacity_kwh=60, soc=40, v2g=False))
    async with StationServer(car, port=free_udp_port()) as c:
        with blinks(hass, {"Bay A", "Bay B"}) as blinked:
            hass.config_entries.async_add_subentry(
                site.entry, ConfigSubentry(**station_subentry("Bay C", c.port))
            )
            await hass.async_block_till_done()
            await wait_for(hass, lambda: _device(hass, "Bay C") is not None, what="Bay C")
            hub = site.entry.runtime_data.hub
            await wait_for(
                hass,
                lambda: all(s.available for s in hub.stations.values()) and len(hub.links) == 3,
                what="Bay C in contact",
            )
            await start_session(hass, "C", "ann")
            await wait_for(
                hass,
                lambda: min(applied_a(s) for s in (a, b, car)) >= 6,
                what="a third each",
            )
        assert same()
        assert blinked == []
        assert set(site.a.observers().values()) == set(site.b.observers().values()) == {1}
        state = hass.states.get("sensor.bay_c_current")
        assert state is not None
        assert state.state != STATE_UNAVAILABLE
        peak, over = peak_import_a(a, b, car)
        assert over == 0.0
        assert peak <= LIMIT_A


async def test_a_station_removed_ends_its_session_and_its_observations(
    hass: HomeAssistant, site: Site
) -> None:
    """Bay B removed mid-session.

    Its relay opens, its session ends, the station stops counting us as an observer, and Bay A,
    which never blinks, takes the whole supply.
    """
    a, b = site.station("A"), site.station("B")
    await both_at_10_a(hass, site)
    ended: list[Event] = []
    hass.bus.async_listen("ev_v2g_session_ended", ended.append)
    same = _same_runtime(site)
    with blinks(hass, {"Bay A"}) as blinked:
        hass.config_entries.async_remove_subentry(site.entry, _subentry(site, "Bay B").subentry_id)
        await hass.async_block_till_done()
        await wait_for(hass, lambda: applied_a(a) == LIMIT_A, what="A alone at 20 A")
    assert same()
    assert blinked == []
    assert b.switch_on is False
    assert [event.data["station"] for event in ended] == ["Bay B"]
    assert _device(hass, "Bay B") is None
    assert hass.states.get("sensor.bay_b_current") is None
    # Cancelled observations end at the station's notifications (RFC 7641 3.6): aiocoap stops
    # listening at the first and answers the second with a reset, which the station obeys.
    for _ in range(2):
        site.b.notify_all()
        await asyncio.sleep(0.2)
    await wait_for(
        hass,
        lambda: sum(site.b.observers().values()) == 0,
        within=10,
        what="no observer left at B",
    )
    peak, over = peak_import_a(a, b)
    assert over == 0.0
    assert peak <= LIMIT_A


async def test_a_station_changed_keeps_its_session(hass: HomeAssistant, site: Site) -> None:
    """Bay B's maximum lowered to 8 A mid-session.

    The same session goes on at 8 A, A takes the rest, and A never blinks.
    """
    a, b = site.station("A"), site.station("B")
    await both_at_10_a(hass, site)
    hub = site.entry.runtime_data.hub
    bay_b = _subentry(site, "Bay B")
    session = hub.station(bay_b.subentry_id).session
    assert session is not None
    same = _same_runtime(site)
    with blinks(hass, {"Bay A"}) as blinked:
        hass.config_entries.async_update_subentry(
            site.entry, bay_b, data={**bay_b.data, "max_current_a": 8.0}
        )
        await hass.async_block_till_done()
        await wait_for(hass, lambda: (applied_a(a), applied_a(b)) == (12, 8), what="12 A and 8 A")
    assert same()
    assert blinked == []
    new = hub.station(bay_b.subentry_id)
    assert new.session is not None
    assert new.session.id == session.id
    assert new.capabilities.max_current_a == 8.0
    assert b.switch_on is True
    peak, over = peak_import_a(a, b)
    assert over == 0.0
    assert peak <= LIMIT_A


async def test_residents_come_and_go_in_place(hass: HomeAssistant, site: Site) -> None:
    """A resident added gets a device and sensors, renamed shows the new name, removed goes.

    No station ever blinks.
    """
    same = _same_runtime(site)
    with blinks(hass, {"Bay A", "Bay B"}) as blinked:
        hass.config_entries.async_add_subentry(
            site.entry,
            ConfigSubentry(
                data=MappingProxyType({"id_tags": [], "v2g_opt_in": False, "priority": 0}),
                subentry_type=SUBENTRY_RESIDENT,
                title="Cleo",
                unique_id="cleo",
            ),
        )
        await hass.async_block_till_done()
        await wait_for(
            hass,
            lambda: hass.states.get("sensor.cleo_charged_this_month") is not None,
            what="Cleo's sensors",
        )
        cleo = _subentry(site, "Cleo")
        await call(
            hass,
            "start_session",
            {"station": _device(hass, "Bay A").id, "resident": "Cleo"},  # type: ignore[union-attr]
        )
        resident_sensor = "sensor.bay_a_session_resident"
        await wait_for(
            hass,
            lambda: getattr(hass.states.get(resident_sensor), "state", None) == "Cleo",
            what="Bay A charging for Cleo",
        )
        hass.config_entries.async_update_subentry(site.entry, cleo, title="Cleo M.")
        await hass.async_block_till_done()
        device = _device(hass, "Cleo M.")
        assert device is not None
        options = hass.states.get(resident_sensor).attributes["options"]  # type: ignore[union-attr]
        assert "Cleo M." in options
        hass.config_entries.async_remove_subentry(site.entry, cleo.subentry_id)
        await hass.async_block_till_done()
        assert _device(hass, "Cleo M.") is None
        assert "cleo" not in site.entry.runtime_data.hub.residents
    assert same()
    assert blinked == []


async def test_station_types_are_what_the_site_links(hass: HomeAssistant, site: Site) -> None:
    """Every station subentry is linked once; nothing is left of a removed one."""
    hub = site.entry.runtime_data.hub
    stations = {
        key for key, s in site.entry.subentries.items() if s.subentry_type == SUBENTRY_STATION
    }
    assert set(hub.links) == stations
    hass.config_entries.async_remove_subentry(site.entry, _subentry(site, "Bay A").subentry_id)
    await hass.async_block_till_done()
    assert set(hub.links) == {_subentry(site, "Bay B").subentry_id}
    assert set(hub.sharing.supply_phases) == set(hub.links)
    assert set(site.entry.runtime_data.book.stations) == set(hub.links)


async def test_a_station_removed_unanswered_keeps_its_share_until_its_lease_ends(
    hass: HomeAssistant, site: Site, short_lease: None
) -> None:
    """Bay B frozen at 10 A, then removed: A stays at 10 A until B's lease has run out."""
    a, b = site.station("A"), site.station("B")
    await both_at_10_a(hass, site)
    await site.b.freeze()
    hass.config_entries.async_remove_subentry(site.entry, _subentry(site, "Bay B").subentry_id)
    await hass.async_block_till_done()
    await wait_for(hass, lambda: applied_a(a) == LIMIT_A, within=30, what="A once B's lease ended")
    peak, over = peak_import_a(a, b)
    assert over == 0.0, f"the stations applied {peak} A together on a {LIMIT_A} A site"
