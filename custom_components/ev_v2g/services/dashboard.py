"""The dashboard service: the site's dashboard configuration, to copy into a dashboard of one's own."""

from __future__ import annotations

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.helpers import config_validation as cv
import voluptuous as vol

from ..dashboard.panel import async_site_config
from .demand_response import ATTR_CONFIG_ENTRY_ID, site_entry
from .validation import register

SERVICE_GET_DASHBOARD = "get_dashboard"
GET_DASHBOARD_SCHEMA = vol.Schema({vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string})


@callback
def async_setup_dashboard_services(hass: HomeAssistant) -> None:
    """Register get_dashboard."""

    async def get_dashboard(call: ServiceCall) -> ServiceResponse:
        entry = site_entry(hass, call)
        return await async_site_config(hass, entry)

    register(
        hass, SERVICE_GET_DASHBOARD, get_dashboard, GET_DASHBOARD_SCHEMA, SupportsResponse.ONLY
    )
