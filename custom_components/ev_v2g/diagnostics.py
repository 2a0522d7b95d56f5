"""Diagnostics of a site, with addresses and identities redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_HOST, CONF_PASSWORD
from homeassistant.core import HomeAssistant

from .runtime import EvV2gConfigEntry

TO_REDACT = {CONF_HOST, CONF_PASSWORD, "authorized_by", "id_tags", "title", "unique_id"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: EvV2gConfigEntry
) -> dict[str, Any]:
    """Site configuration and every station's live state."""
    hub = entry.runtime_data
    stations = {
        key: {
            "config": async_redact_data(dict(entry.subentries[key].data), TO_REDACT),
            "state": station.state.value,
            "authorized_by": station.authorized_by,
            "capabilities": asdict(station.capabilities),
            "telemetry": asdict(station.telemetry),
            "energy_import": asdict(station.energy_import),
            "energy_export": asdict(station.energy_export),
            "connected": hub.links[key].observer.connected,
        }
        for key, station in hub.stations.items()
    }
    return async_redact_data(
        {"site": {"title": entry.title, **entry.data}, "stations": stations}, TO_REDACT
    )
