"""Config flow of a site, its options flow, and the subentry types it owns."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigFlowResult, ConfigSubentryFlow
from homeassistant.const import CONF_NAME
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
)
import voluptuous as vol

from .const import (
    CONF_PHASES,
    CONF_SUPPLY_LIMIT,
    CONF_VOLTAGE,
    DEFAULT_SUPPLY_LIMIT,
    DEFAULT_VOLTAGE,
    DOMAIN,
    SUBENTRY_RESIDENT,
    SUBENTRY_STATION,
)
from .flows.discovery import OcppDiscoverySteps
from .flows.options import SiteOptionsFlow
from .flows.resident import ResidentSubentryFlow
from .flows.selectors import PHASES, amperes
from .flows.station import StationSubentryFlow
from .migration import MINOR_VERSION


def site_schema(defaults: dict[str, Any]) -> vol.Schema:
    """Form of the site: name and electrical supply."""
    return vol.Schema(
        {
            vol.Required(CONF_NAME, default=defaults.get(CONF_NAME, "Home")): TextSelector(),
            vol.Required(
                CONF_SUPPLY_LIMIT, default=defaults.get(CONF_SUPPLY_LIMIT, DEFAULT_SUPPLY_LIMIT)
            ): amperes(1, 2000),
            vol.Required(CONF_PHASES, default=str(defaults.get(CONF_PHASES, 1))): PHASES,
            vol.Required(
                CONF_VOLTAGE, default=defaults.get(CONF_VOLTAGE, DEFAULT_VOLTAGE)
            ): NumberSelector(
                NumberSelectorConfig(
                    min=100, max=480, step=1, unit_of_measurement="V", mode=NumberSelectorMode.BOX
                )
            ),
        }
    )


def _site_data(user_input: dict[str, Any]) -> dict[str, Any]:
    return {
        CONF_SUPPLY_LIMIT: float(user_input[CONF_SUPPLY_LIMIT]),
        CONF_PHASES: int(user_input[CONF_PHASES]),
        CONF_VOLTAGE: float(user_input[CONF_VOLTAGE]),
    }


class EvV2gConfigFlow(OcppDiscoverySteps, domain=DOMAIN):
    """Create a site (one per electrical supply), or add a discovered charge point to one."""

    VERSION = 1
    MINOR_VERSION = MINOR_VERSION

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Stations and residents belong to a site."""
        return {SUBENTRY_STATION: StationSubentryFlow, SUBENTRY_RESIDENT: ResidentSubentryFlow}

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> SiteOptionsFlow:
        """How the site shares its supply."""
        return SiteOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the site's name and supply."""
        if user_input is not None:
            name = user_input[CONF_NAME].strip()
            await self.async_set_unique_id(name.casefold())
            self._abort_if_unique_id_configured()
            return self.async_create_entry(title=name, data=_site_data(user_input))
        return self.async_show_form(step_id="user", data_schema=site_schema({}))

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the site's name or supply."""
        entry = self._get_reconfigure_entry()
        if user_input is not None:
            name = user_input[CONF_NAME].strip()
            await self.async_set_unique_id(name.casefold())
            if entry.unique_id != name.casefold():
                self._abort_if_unique_id_configured()
            return self.async_update_and_abort(
                entry, unique_id=name.casefold(), title=name, data=_site_data(user_input)
            )
        defaults = {CONF_NAME: entry.title, **entry.data}
        return self.async_show_form(step_id="reconfigure", data_schema=site_schema(defaults))
