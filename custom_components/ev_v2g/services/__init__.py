"""The site's services: demand response, sessions, statements and the dashboard (registered once, in async_setup)."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback

from .dashboard import async_setup_dashboard_services
from .demand_response import async_setup_demand_response_services
from .sessions import async_setup_session_services
from .statements import async_setup_statement_services


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register every service of the integration; each names the site it acts on."""
    async_setup_demand_response_services(hass)
    async_setup_session_services(hass)
    async_setup_statement_services(hass)
    async_setup_dashboard_services(hass)
