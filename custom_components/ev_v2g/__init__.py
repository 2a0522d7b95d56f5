"""The ev_v2g integration: shared, power-limited EV charging with vehicle-to-grid."""

from __future__ import annotations

from typing import Any

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType

from .const import (
    CONF_LOAD_SENSOR,
    CONF_PROTOCOL,
    DOMAIN,
    PROTOCOL_COAP,
    SUBENTRY_RESIDENT,
    SUBENTRY_STATION,
)
from .events import connect_events
from .hub import SiteConfig, SiteHub, resident_from_data, station_setup
from .load_sensor import LoadSensorFollower
from .runtime import EvV2gConfigEntry
from .services import async_setup_services

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the services, which name their site."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: EvV2gConfigEntry) -> bool:
    """Start observing the site's stations and sharing its supply."""
    site = SiteConfig.from_data(entry.title, entry.data)
    residents = {
        key: resident_from_data(key, subentry.title, subentry.data)
        for key, subentry in entry.subentries.items()
        if subentry.subentry_type == SUBENTRY_RESIDENT
    }
    hub = SiteHub(site, entry.options, residents)
    stations = {
        key: station_setup(key, subentry.title, subentry.data)
        for key, subentry in entry.subentries.items()
        if subentry.subentry_type == SUBENTRY_STATION
        and subentry.data.get(CONF_PROTOCOL, PROTOCOL_COAP) == PROTOCOL_COAP
    }
    try:
        await hub.start(stations)
    except OSError as err:
        await hub.stop()
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="coap_unavailable",
            translation_placeholders={"error": str(err)},
        ) from err
    entry.runtime_data = hub
    hub.structure = _structure(entry)
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, entry.entry_id)},
        name=entry.title,
        manufacturer="ev_v2g",
        model="Charging site",
    )
    connect_events(hass, entry.entry_id, hub)
    if sensor := entry.options.get(CONF_LOAD_SENSOR):
        follower = LoadSensorFollower(hass, entry.entry_id, entry.title, hub.sharing, sensor)
        entry.async_on_unload(follower.start())
    entry.async_on_unload(entry.add_update_listener(_async_update))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


def _structure(entry: EvV2gConfigEntry) -> Any:
    """What needs a reload when it changes; other options apply live."""
    return (
        entry.title,
        dict(entry.data),
        entry.options.get(CONF_LOAD_SENSOR),
        {key: (s.title, dict(s.data)) for key, s in entry.subentries.items()},
    )


async def _async_update(hass: HomeAssistant, entry: EvV2gConfigEntry) -> None:
    """Apply changed options live; reload when the site, its stations or residents change."""
    hub = entry.runtime_data
    if _structure(entry) != hub.structure:
        hass.config_entries.async_schedule_reload(entry.entry_id)
        return
    hub.sharing.set_options(hub.site.sharing_options(entry.options))


async def async_unload_entry(hass: HomeAssistant, entry: EvV2gConfigEntry) -> bool:
    """Stop sharing, observing and release the CoAP context."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.stop()
    return unloaded
