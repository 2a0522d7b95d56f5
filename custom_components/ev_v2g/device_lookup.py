"""Which site or station a device is, and its entities: the lookups of the device automations.

Everything is read from the device and entity registries and the site's subentries, so it works
whether or not the site is loaded and whatever the user renamed its entities to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er

from .const import DOMAIN, SUBENTRY_RESIDENT, SUBENTRY_STATION
from .site_config import subentry_of


@dataclass(frozen=True, kw_only=True)
class EntityRef:
    """An entity of a site or station device, by its platform and description key."""

    platform: Platform
    key: str


PLUGGED: Final = EntityRef(platform=Platform.BINARY_SENSOR, key="plugged")
STATION_STATE: Final = EntityRef(platform=Platform.SENSOR, key="state")
CURRENT_LIMIT: Final = EntityRef(platform=Platform.NUMBER, key="current_limit")
DEMAND_RESPONSE_ACTIVE: Final = EntityRef(
    platform=Platform.BINARY_SENSOR, key="demand_response_active"
)
DEMAND_RESPONSE_MODE: Final = EntityRef(platform=Platform.SELECT, key="demand_response_mode")


@dataclass(frozen=True, kw_only=True)
class DeviceTarget:
    """A site device, or a station device of a site."""

    entry: ConfigEntry
    """The site's config entry."""
    station_key: str | None = None
    """The station's subentry id; None for the site device."""

    @property
    def entry_id(self) -> str:
        """The site's config entry id."""
        return self.entry.entry_id

    @property
    def is_station(self) -> bool:
        """Whether the device is a station (else it is the site)."""
        return self.station_key is not None

    @property
    def station_data(self) -> Mapping[str, Any]:
        """The station's configuration (its subentry data); empty for the site."""
        if self.station_key is None:
            return {}
        return self.entry.subentries[subentry_of(self.station_key)].data

    @property
    def residents(self) -> dict[str, str]:
        """The site's residents: name by subentry id, sorted by name."""
        residents = {
            key: subentry.title
            for key, subentry in self.entry.subentries.items()
            if subentry.subentry_type == SUBENTRY_RESIDENT
        }
        return dict(sorted(residents.items(), key=lambda item: item[1].casefold()))

    def entity_id(self, hass: HomeAssistant, ref: EntityRef) -> str | None:
        """The current entity_id of one of this device's entities, from the entity registry."""
        owner = self.station_key or self.entry_id
        return er.async_get(hass).async_get_entity_id(ref.platform, DOMAIN, f"{owner}_{ref.key}")


@callback
def async_device_target(hass: HomeAssistant, device_id: str) -> DeviceTarget | None:
    """The site or station a device is; None for a resident, another integration's or no device."""
    device = dr.async_get(hass).async_get(device_id)
    if device is None:
        return None
    keys = {key for domain, key in device.identifiers if domain == DOMAIN}
    for entry_id in device.config_entries:
        entry = hass.config_entries.async_get_entry(entry_id)
        if entry is None or entry.domain != DOMAIN:
            continue
        if entry_id in keys:
            return DeviceTarget(entry=entry)
        for key in keys:
            subentry = entry.subentries.get(subentry_of(key))
            if subentry is not None and subentry.subentry_type == SUBENTRY_STATION:
                return DeviceTarget(entry=entry, station_key=key)
    return None
