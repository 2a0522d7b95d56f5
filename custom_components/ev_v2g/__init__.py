"""The ev_v2g integration: shared, power-limited EV charging with vehicle-to-grid."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .const import CONF_DASHBOARD, DOMAIN
from .dashboard.panel import async_show_dashboard
from .devices import async_register_devices, async_remove_stale_devices
from .entry_removal import async_remove_entry as async_remove_entry
from .migration import async_migrate_entry as async_migrate_entry
from .runtime import EvV2gConfigEntry, async_start_site, site_structure
from .services import async_setup_services
from .site_changes import async_apply_changes, needs_reload

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
    """Open the site's ledger, observe its stations and share its supply."""
    entry.runtime_data = runtime = await async_start_site(hass, entry)
    known = async_register_devices(hass, entry, runtime.hub.setups, runtime.hub.residents)
    async_remove_stale_devices(hass, entry.entry_id, known | set(entry.subentries))
    entry.async_on_unload(entry.add_update_listener(_async_update))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    _show_dashboard_or_not(hass, entry)
    entry.async_on_unload(lambda: _show_dashboard_or_not(hass, entry, unloading=True))
    return True


def _show_dashboard_or_not(
    hass: HomeAssistant, entry: EvV2gConfigEntry, *, unloading: bool = False
) -> None:
    """Show the site's dashboard in the sidebar if its options say so, else take it away."""
    runtime = entry.runtime_data
    wanted = not unloading and entry.options.get(CONF_DASHBOARD, True)
    if wanted and runtime.hide_dashboard is None:
        runtime.hide_dashboard = async_show_dashboard(hass, entry)
    elif not wanted and runtime.hide_dashboard is not None:
        runtime.hide_dashboard()
        runtime.hide_dashboard = None
    elif runtime.refresh_dashboard is not None:
        runtime.refresh_dashboard()


async def _async_update(hass: HomeAssistant, entry: EvV2gConfigEntry) -> None:
    """Apply changed options, stations and residents in place; reload when the site changes."""
    runtime = entry.runtime_data
    if site_structure(entry) != runtime.structure or needs_reload(entry):
        runtime.reloading = True
        hass.config_entries.async_schedule_reload(entry.entry_id)
        return
    runtime.hub.sharing.set_options(runtime.hub.site.sharing_options(entry.options))
    runtime.book.price.set_options(entry.options)
    runtime.book.price_changed()
    await async_apply_changes(hass, entry)
    _show_dashboard_or_not(hass, entry)


async def async_unload_entry(hass: HomeAssistant, entry: EvV2gConfigEntry) -> bool:
    """Stop sharing and observing, write the ledger's last records, release the ports."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.async_close(hass)
    return unloaded
