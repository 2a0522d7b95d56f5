"""Diagnostics of a site, with addresses and identities redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_HOST, CONF_PASSWORD
from homeassistant.core import HomeAssistant

from .const import (
    CONF_ALLOWED_TAGS,
    CONF_CHARGE_POINT_ID,
    CONF_LEDGER_URL,
    CONF_OCPP_CERTFILE,
    CONF_OCPP_KEYFILE,
    CONF_PASSWORD_HASH,
)
from .runtime import EvV2gConfigEntry
from .site_config import subentry_of

TO_REDACT = {
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PASSWORD_HASH,
    CONF_LEDGER_URL,
    CONF_ALLOWED_TAGS,
    CONF_OCPP_CERTFILE,
    CONF_OCPP_KEYFILE,
    "by",
    CONF_CHARGE_POINT_ID,
    "id_tag",
    "id_tags",
    "resident_name",
    "serial_number",
    "title",
    "unique_id",
    "user_id",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: EvV2gConfigEntry
) -> dict[str, Any]:
    """Site configuration and every station's live state."""
    runtime = entry.runtime_data
    hub = runtime.hub
    stations = {
        key: {
            "config": async_redact_data(dict(entry.subentries[subentry_of(key)].data), TO_REDACT),
            "state": station.state.value,
            "session": None if station.session is None else asdict(station.session),
            "capabilities": asdict(station.capabilities),
            "telemetry": asdict(station.telemetry),
            "energy_import": asdict(station.energy_import),
            "energy_export": asdict(station.energy_export),
            "connected": hub.links[key].connected,
            "implausible_readings": station.implausible_readings,
        }
        for key, station in hub.stations.items()
    }
    sharing = hub.sharing
    allocation = sharing.allocation
    power_sharing = {
        "options": asdict(sharing.options),
        "site_limit_a": sharing.site_limit_a,
        "measured_load_w": sharing.measured_load_w,
        "limits_a": sharing.limits(),
        "control_modes": sharing.control_modes,
        "demand_response": asdict(sharing.demand_response),
        "allocation": None if allocation is None else asdict(allocation),
    }
    writer = runtime.writer
    ledger = {
        "schema_version": writer.ledger.schema_version,
        "queued_records": len(writer.queue),
        "failures": writer.failures,
        "last_error": writer.last_error,
    }
    return async_redact_data(
        {
            "site": {"title": entry.title, **entry.data, "options": dict(entry.options)},
            "stations": stations,
            "residents": len(hub.residents),
            "power_sharing": power_sharing,
            "ocpp": None if runtime.charge_points is None else runtime.charge_points.diagnostics(),
            "ledger": ledger,
        },
        TO_REDACT,
    )
