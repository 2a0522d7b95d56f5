"""The ev_v2g integration: shared, power-limited EV charging with vehicle-to-grid."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import device_registry as dr

from .const import CONF_PROTOCOL, DOMAIN, PROTOCOL_COAP, SUBENTRY_STATION
from .hub import SiteConfig, SiteHub, station_from_data
from .runtime import EvV2gConfigEntry

PLATFORMS = [Platform.BINARY_SENSOR, Platform.NUMBER, Platform.SENSOR, Platform.SWITCH]


async def async_setup_entry(hass: HomeAssistant, entry: EvV2gConfigEntry) -> bool:
    """Start observing the site's stations."""
    hub = SiteHub(SiteConfig.from_data(entry.title, entry.data))
    stations = {
        subentry_id: (
            station_from_data(subentry_id, subentry.title, subentry.data),
            subentry.data["host"],
            subentry.data["port"],
        )
        for subentry_id, subentry in entry.subentries.items()
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
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, entry.entry_id)},
        name=entry.title,
        manufacturer="ev_v2g",
        model="Charging site",
    )
    entry.async_on_unload(entry.add_update_listener(_async_reload))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def _async_reload(hass: HomeAssistant, entry: EvV2gConfigEntry) -> None:
    """Reload when the site or its stations change."""
    hass.config_entries.async_schedule_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: EvV2gConfigEntry) -> bool:
    """Stop observing and release the CoAP context."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.stop()
    return unloaded
