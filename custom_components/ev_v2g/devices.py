"""The site's devices in the device registry, registered once at setup with their parent links.

The site is the top device; stations, charge points with several connectors, and residents hang
under it (a connector under its charge point). Links are set by device id, which every release
takes (`via_device` by identifiers is deprecated from 2026.8); entities then only name their
device by its identifier.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceEntryType

from .const import DOMAIN
from .core.resident import Resident
from .site_config import StationSetup

MANUFACTURER = "EV V2G"


def station_identifier(setup: StationSetup) -> str:
    """The key of a station's device: its own, or its charge point's when it has one connector."""
    if setup.charge_point_id is not None and setup.connectors == 1:
        return setup.subentry
    return setup.station.key


def _station_fields(setup: StationSetup) -> dict[str, Any]:
    """What a station's device shows: a CoAP station, an OCPP charge point or a connector."""
    name = setup.station.name
    if setup.charge_point_id is None:
        # Built by anyone to the contract: no maker to name (None clears the one kept before).
        return {"name": name, "manufacturer": None, "model": "CoAP charging station"}
    if setup.connectors == 1:
        return {
            "name": name,
            "model": "OCPP charging station",
            "serial_number": setup.charge_point_id,
        }
    return {"name": name, "model": "OCPP connector"}


@callback
def async_site_device(hass: HomeAssistant, entry_id: str, key: str) -> dr.DeviceEntry | None:
    """The site's device with identifier `key`, looked up among the site's own devices.

    Identifiers are unique per config entry only from 2026.8, where a lookup by identifiers
    alone is deprecated; this works on every release.
    """
    registry = dr.async_get(hass)
    return next(
        (
            device
            for device in dr.async_entries_for_config_entry(registry, entry_id)
            if (DOMAIN, key) in device.identifiers
        ),
        None,
    )


@callback
def async_register_devices(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    setups: Mapping[str, StationSetup],
    residents: Mapping[str, Resident],
) -> set[str]:
    """Register every device of the site under its parent; returns their identifiers."""
    registry = dr.async_get(hass)
    site = registry.async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, entry.entry_id)},
        name=entry.title,
        manufacturer=MANUFACTURER,
        model="Charging site",
    )
    parents = {entry.entry_id: site.id}

    def register(key: str, subentry: str, parent: str, **fields: Any) -> None:
        device = registry.async_get_or_create(
            config_entry_id=entry.entry_id,
            config_subentry_id=subentry,
            identifiers={(DOMAIN, key)},
            **fields,
        )
        if device.via_device_id != parents[parent]:
            registry.async_update_device(device.id, via_device_id=parents[parent])
        parents[key] = device.id

    for setup in setups.values():
        if setup.connectors > 1 and setup.subentry not in parents:
            # The charge point's own device; each of its connectors is a station under it.
            title = entry.subentries[setup.subentry].title
            register(
                setup.subentry,
                setup.subentry,
                entry.entry_id,
                name=title,
                model="OCPP charge point",
            )
    for setup in setups.values():
        parent = setup.subentry if setup.connectors > 1 else entry.entry_id
        register(station_identifier(setup), setup.subentry, parent, **_station_fields(setup))
    for key, resident in residents.items():
        register(
            key,
            key,
            entry.entry_id,
            name=resident.name,
            manufacturer=None,
            model="Resident",
            entry_type=DeviceEntryType.SERVICE,
        )
    return set(parents)


@callback
def async_remove_stale_devices(hass: HomeAssistant, entry_id: str, known: set[str]) -> None:
    """Remove the site's devices whose identifier is not `known` (e.g. a connector now gone).

    A removed subentry takes its devices along; fewer connectors on a charge point do not.
    """
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry_id):
        keys = {key for domain, key in device.identifiers if domain == DOMAIN}
        if keys and not keys & known:
            registry.async_remove_device(device.id)  # the site's devices are its own only
