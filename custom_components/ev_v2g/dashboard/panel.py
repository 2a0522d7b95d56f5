"""The site's dashboard in the sidebar, built afresh from the site whenever it is opened.

It is a dashboard of Home Assistant's own (the frontend's `lovelace` panel) whose configuration
comes from `cards.dashboard_config`: every station, charge point and resident the site has now,
under the names and entity ids they have now. A station or resident added, renamed or removed
shows at the next load; open browsers are told to load again. It is read-only (like a YAML
dashboard); a user who wants their own copies it with the `get_dashboard` action.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging
from typing import Any

from homeassistant.components import frontend
from homeassistant.components.lovelace.const import LOVELACE_DATA
from homeassistant.components.lovelace.dashboard import LovelaceConfig
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.json import json_bytes, json_fragment
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import slugify

from ..const import DOMAIN
from ..hub import SiteHub
from ..runtime import EvV2gConfigEntry
from .cards import DeviceCards, SiteCards, dashboard_config

_LOGGER = logging.getLogger(__name__)
MODE = "yaml"
"""What the frontend is told: a dashboard it shows but does not edit."""
ICON = "mdi:ev-station"
HEADINGS = "dashboard_headings"
"""The translations (selector options) that hold the dashboard's headings."""


def dashboard_url(hass: HomeAssistant, entry: EvV2gConfigEntry) -> str:
    """Where the site's dashboard is: ev-charging-<site>, unless that is taken."""
    url = f"ev-charging-{slugify(entry.title, separator='-') or 'site'}"
    panels = hass.data.get(frontend.DATA_PANELS, {})
    if url in panels:
        url = f"ev-charging-{entry.entry_id.lower()}"
    return url


async def async_site_config(hass: HomeAssistant, entry: EvV2gConfigEntry) -> dict[str, Any]:
    """The site's dashboard configuration as it is now."""
    translations = await async_get_translations(hass, hass.config.language, "selector", {DOMAIN})
    prefix = f"component.{DOMAIN}.selector.{HEADINGS}.options."
    headings = {
        key.removeprefix(prefix): text
        for key, text in translations.items()
        if key.startswith(prefix)
    }
    return dashboard_config(site_cards(hass, entry, headings))


def site_cards(hass: HomeAssistant, entry: EvV2gConfigEntry, headings: dict[str, str]) -> SiteCards:
    """The site's devices and their enabled entities, from the entity registry."""
    registry = er.async_get(hass)
    by_unique_id = {
        registered.unique_id: registered
        for registered in er.async_entries_for_config_entry(registry, entry.entry_id)
        if registered.disabled_by is None
    }

    def entities(prefix: str) -> dict[str, tuple[str, str]]:
        found = {}
        for unique_id, registered in by_unique_id.items():
            if unique_id.startswith(f"{prefix}_"):
                key = unique_id.removeprefix(f"{prefix}_")
                # The user's own name, else the tile's short label, else the entity's name.
                short = headings.get(f"tile_{key}")
                name = registered.name or short or registered.original_name or key
                found[key] = (registered.entity_id, name)
        return found

    hub: SiteHub = entry.runtime_data.hub
    stations = [
        DeviceCards(
            name=setup.station.name,
            entities=entities(key),
            can_discharge=setup.station.capabilities.can_discharge,
        )
        for key, setup in hub.setups.items()
    ]
    residents = [
        DeviceCards(name=resident.name, entities=entities(key))
        for key, resident in hub.residents.items()
    ]
    site = DeviceCards(name=entry.title, entities=entities(entry.entry_id))
    return SiteCards(site=site, stations=stations, residents=residents, headings=headings)


class SiteDashboard(LovelaceConfig):
    """A dashboard whose configuration is the site's, built at each load."""

    def __init__(self, hass: HomeAssistant, entry: EvV2gConfigEntry, url_path: str) -> None:
        """Describe the dashboard as the lovelace integration keeps its own."""
        super().__init__(
            hass,
            url_path,
            {
                "mode": MODE,
                "title": entry.title,
                "icon": ICON,
                "show_in_sidebar": True,
                "require_admin": False,
            },
        )
        self.entry = entry

    @property
    def mode(self) -> str:
        """Shown, not edited, by the frontend."""
        return MODE

    async def async_get_info(self) -> dict[str, Any]:
        """What the lovelace integration reports about a dashboard."""
        config = await self.async_load(False)
        return {"mode": MODE, "resources": 0, "views": len(config["views"])}

    async def async_load(self, force: bool) -> dict[str, Any]:
        """The site's dashboard as it is now."""
        return await async_site_config(self.hass, self.entry)

    async def async_json(self, force: bool) -> json_fragment:
        """The same, as JSON for the frontend."""
        return json_fragment(json_bytes(await self.async_load(force)))

    @callback
    def changed(self) -> None:
        """Tell open browsers to load the dashboard again."""
        self._config_updated()


@callback
def async_show_dashboard(hass: HomeAssistant, entry: EvV2gConfigEntry) -> Callable[[], None]:
    """Put the site's dashboard in the sidebar; returns what takes it away again."""
    if LOVELACE_DATA not in hass.data:
        _LOGGER.info("No dashboards in this Home Assistant: the site's dashboard is not shown")
        return lambda: None
    url = dashboard_url(hass, entry)
    dashboard = SiteDashboard(hass, entry, url)
    hass.data[LOVELACE_DATA].dashboards[url] = dashboard
    frontend.async_register_built_in_panel(
        hass,
        "lovelace",
        sidebar_title=entry.title,
        sidebar_icon=ICON,
        frontend_url_path=url,
        config={"mode": MODE},
    )
    pending: list[asyncio.Handle] = []

    @callback
    def refresh() -> None:
        pending.clear()
        dashboard.changed()

    registry = er.async_get(hass)
    # The site's entity ids: a removed entity is known only by its id.
    ours = {
        registered.entity_id
        for registered in er.async_entries_for_config_entry(registry, entry.entry_id)
    }

    @callback
    def registry_updated(event: Event[er.EventEntityRegistryUpdatedData]) -> None:
        entity_id = event.data["entity_id"]
        if event.data["action"] == "remove":
            if entity_id not in ours:
                return  # another integration's entity
            ours.discard(entity_id)
        else:
            registered = registry.async_get(entity_id)
            if registered is None or registered.config_entry_id != entry.entry_id:
                return
            ours.add(entity_id)
            if (old := event.data.get("old_entity_id")) is not None:
                ours.discard(old)
        if not pending:
            pending.append(hass.loop.call_soon(refresh))

    stop_listening = hass.bus.async_listen(er.EVENT_ENTITY_REGISTRY_UPDATED, registry_updated)
    runtime = entry.runtime_data
    runtime.refresh_dashboard = dashboard.changed

    @callback
    def hide() -> None:
        stop_listening()
        for handle in pending:
            handle.cancel()
        frontend.async_remove_panel(hass, url, warn_if_unknown=False)
        if hass.data[LOVELACE_DATA].dashboards.get(url) is dashboard:
            del hass.data[LOVELACE_DATA].dashboards[url]
        runtime.refresh_dashboard = None

    return hide
