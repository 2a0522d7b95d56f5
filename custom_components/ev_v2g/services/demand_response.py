"""Site services: demand response, set and cleared by flows, grid signals or the user."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
import voluptuous as vol

from ..const import DOMAIN
from ..core.allocation import DemandResponseMode
from ..runtime import EvV2gConfigEntry
from .validation import register

ATTR_CONFIG_ENTRY_ID = "config_entry_id"
ATTR_MODE = "mode"
ATTR_POWER = "power"
ATTR_DURATION = "duration"
ATTR_SOURCE = "source"

SERVICE_SET_DEMAND_RESPONSE = "set_demand_response"
SERVICE_CLEAR_DEMAND_RESPONSE = "clear_demand_response"

_SITE: dict[vol.Marker, object] = {vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string}
SET_DEMAND_RESPONSE_SCHEMA = vol.Schema(
    {
        **_SITE,
        vol.Required(ATTR_MODE): vol.In([mode.value for mode in DemandResponseMode]),
        vol.Optional(ATTR_POWER): vol.All(vol.Coerce(float), vol.Range(min=0, max=100_000)),
        vol.Optional(ATTR_DURATION): cv.positive_time_period,
        vol.Optional(ATTR_SOURCE): vol.All(cv.string, vol.Length(max=100)),
    }
)
CLEAR_DEMAND_RESPONSE_SCHEMA = vol.Schema(
    {**_SITE, vol.Optional(ATTR_SOURCE): vol.All(cv.string, vol.Length(max=100))}
)

_NEEDS_POWER = (DemandResponseMode.LIMIT, DemandResponseMode.DISCHARGE)


def site_entry(hass: HomeAssistant, call: ServiceCall) -> EvV2gConfigEntry:
    """The loaded site a call names, or a translated error."""
    entry_id = call.data[ATTR_CONFIG_ENTRY_ID]
    entry: EvV2gConfigEntry | None = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="site_not_found",
            translation_placeholders={"entry_id": entry_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="site_not_loaded",
            translation_placeholders={"site": entry.title},
        )
    return entry


def _source(call: ServiceCall) -> str:
    """Who asked: the given source, else the user, else the automation or script."""
    return call.data.get(ATTR_SOURCE) or call.context.user_id or "automation"


@callback
def async_setup_demand_response_services(hass: HomeAssistant) -> None:
    """Register the site services."""

    async def set_demand_response(call: ServiceCall) -> None:
        entry = site_entry(hass, call)
        mode = DemandResponseMode(call.data[ATTR_MODE])
        power_kw = call.data.get(ATTR_POWER)
        if mode in _NEEDS_POWER and not power_kw:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="power_required",
                translation_placeholders={"mode": mode.value},
            )
        duration: timedelta | None = call.data.get(ATTR_DURATION)
        entry.runtime_data.hub.sharing.set_demand_response(
            mode,
            power_w=(power_kw or 0.0) * 1000,
            duration_s=duration.total_seconds() if duration else None,
            source=_source(call),
        )

    async def clear_demand_response(call: ServiceCall) -> None:
        site_entry(hass, call).runtime_data.hub.sharing.clear_demand_response(_source(call))

    register(hass, SERVICE_SET_DEMAND_RESPONSE, set_demand_response, SET_DEMAND_RESPONSE_SCHEMA)
    register(
        hass, SERVICE_CLEAR_DEMAND_RESPONSE, clear_demand_response, CLEAR_DEMAND_RESPONSE_SCHEMA
    )
