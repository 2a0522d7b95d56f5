"""Stations and residents added, changed or removed while the site runs, applied in place.

Only what changed is touched: a changed station is unlinked and linked again from its new
settings (its session carried over), a removed one has its session ended and its relay opened,
an added one is linked; the other stations, their entities and their observations carry on.
Residents are taken in place by the hub; new ones get their device and sensors.
"""

from __future__ import annotations

import asyncio

from homeassistant.core import HomeAssistant
from homeassistant.helpers.dispatcher import async_dispatcher_send

from .bookkeeping.session_book import SessionBook
from .charge_points.site import is_ocpp
from .core.records import Session
from .core.resident import Resident
from .core.station import Station
from .devices import async_register_devices, async_remove_stale_devices
from .entity import signal_residents_added
from .hub import SiteHub
from .runtime import EvV2gConfigEntry, site_residents, station_subentries
from .site_config import StationSetup, station_setups


def needs_reload(entry: EvV2gConfigEntry) -> bool:
    """Whether the change needs the whole site set up again.

    Only the first OCPP charge point of a site without an OCPP central system does: the
    central system is bound when the site is set up.
    """
    runtime = entry.runtime_data
    return runtime.charge_points is None and any(
        is_ocpp(data) for _, data in station_subentries(entry).values()
    )


async def async_apply_changes(hass: HomeAssistant, entry: EvV2gConfigEntry) -> None:
    """Bring the running site in line with its subentries, touching only what changed."""
    runtime = entry.runtime_data
    async with runtime.changing:
        hub = runtime.hub
        residents = site_residents(entry)
        new_residents = [key for key in residents if key not in hub.residents]
        residents_changed = residents != hub.residents
        if residents_changed:
            gone = [key for key in hub.residents if key not in residents]
            hub.update_residents(residents)
            runtime.book.residency.changed(new_residents, gone)
        before, now = runtime.stations, station_subentries(entry)
        redone = {key for key, value in before.items() if now.get(key) != value}
        kept: dict[str, Station] = {}
        for subentry in redone:
            kept |= await _unlink(runtime.hub, runtime.book, subentry, gone=subentry not in now)
        setups: dict[str, StationSetup] = {}
        for subentry in (redone | (now.keys() - before.keys())) & now.keys():
            setups |= station_setups(subentry, *now[subentry])
        runtime.stations = now
        known = async_register_devices(hass, entry, {**hub.setups, **setups}, hub.residents)
        async_remove_stale_devices(hass, entry.entry_id, known | set(entry.subentries))
        for key, setup in setups.items():
            runtime.book.add_station(key, setup.station)
            hub.add_station(key, setup, _carry(kept.get(key), setup.station))
        if new_residents:
            async_dispatcher_send(hass, signal_residents_added(entry.entry_id), new_residents)
        if (charge_points := runtime.charge_points) is not None:
            if before != now:
                await charge_points.async_stations_changed(
                    {key: data for key, (_, data) in now.items() if is_ocpp(data)}
                )
            if residents_changed:
                charge_points.residents_changed()


async def _unlink(
    hub: SiteHub, book: SessionBook, subentry: str, *, gone: bool
) -> dict[str, Station]:
    """Unlink a station subentry's stations; the old ones, when it only changed."""
    kept: dict[str, Station] = {}
    for key in [key for key, setup in hub.setups.items() if setup.subentry == subentry]:
        entities = hub.entities.pop(key, set())
        await asyncio.gather(*(entity.async_remove() for entity in list(entities)))
        if not gone:
            kept[key] = hub.station(key)
        await hub.remove_station(key, gone=gone)
        book.remove_station(key)
    return kept


def _carry(old: Station | None, new: Station) -> tuple[Session, Resident | None] | None:
    """What a station set up anew takes from its old self; its open session is returned.

    It also takes the setpoint the station still holds: power sharing counts it until the
    station reports, so a neighbour's raise waits for its cut (break before make).
    """
    if old is None:
        return None
    new.telemetry.setpoint_a = old.telemetry.setpoint_a
    new.telemetry.setpoint_until = old.telemetry.setpoint_until
    if old.session is not None and old.session.ended_at is None:
        return old.session, old.resident
    return None
