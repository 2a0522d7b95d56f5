"""Config flow of a site, its options flow, and the subentry types it owns."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
)
from homeassistant.const import CONF_NAME
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
)
import voluptuous as vol

from .const import (
    CONF_LOAD_KIND,
    CONF_LOAD_SENSOR,
    CONF_MAX_ACTIVE,
    CONF_PHASES,
    CONF_POLICY,
    CONF_ROTATION_PERIOD,
    CONF_SAFE_LIMIT,
    CONF_SUPPLY_LIMIT,
    CONF_VOLTAGE,
    DEFAULT_ROTATION_PERIOD,
    DEFAULT_SUPPLY_LIMIT,
    DEFAULT_VOLTAGE,
    DOMAIN,
    LOAD_GRID_IMPORT,
    LOAD_NON_EV,
    SUBENTRY_RESIDENT,
    SUBENTRY_STATION,
)
from .core.allocation import Policy
from .resident_flow import ResidentSubentryFlow
from .selectors import PHASES, amperes, whole
from .station_flow import StationSubentryFlow


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


class EvV2gConfigFlow(ConfigFlow, domain=DOMAIN):
    """Create a site: one per electrical supply."""

    VERSION = 1

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


OPTIONS_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_POLICY, default=Policy.FAIR_SHARE.value): SelectSelector(
            SelectSelectorConfig(options=[p.value for p in Policy], translation_key=CONF_POLICY)
        ),
        vol.Required(CONF_MAX_ACTIVE, default=0): whole(0, 1000),
        vol.Required(CONF_ROTATION_PERIOD, default=DEFAULT_ROTATION_PERIOD): whole(1, 1440, "min"),
        vol.Optional(CONF_LOAD_SENSOR): EntitySelector(
            EntitySelectorConfig(domain="sensor", device_class="power")
        ),
        vol.Required(CONF_LOAD_KIND, default=LOAD_NON_EV): SelectSelector(
            SelectSelectorConfig(
                options=[LOAD_NON_EV, LOAD_GRID_IMPORT], translation_key=CONF_LOAD_KIND
            )
        ),
        vol.Required(CONF_SAFE_LIMIT, default=0): amperes(0, 2000),
    }
)


class SiteOptionsFlow(OptionsFlow):
    """Policy, how many may charge at once, and the load sensor the limit follows."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and store the sharing options."""
        errors: dict[str, str] = {}
        if user_input is not None:
            supply = float(self.config_entry.data[CONF_SUPPLY_LIMIT])
            if float(user_input[CONF_SAFE_LIMIT]) > supply:
                errors[CONF_SAFE_LIMIT] = "safe_above_supply"
            else:
                return self.async_create_entry(
                    data={
                        CONF_POLICY: user_input[CONF_POLICY],
                        CONF_MAX_ACTIVE: int(user_input[CONF_MAX_ACTIVE]),
                        CONF_ROTATION_PERIOD: int(user_input[CONF_ROTATION_PERIOD]),
                        CONF_LOAD_SENSOR: user_input.get(CONF_LOAD_SENSOR),
                        CONF_LOAD_KIND: user_input[CONF_LOAD_KIND],
                        CONF_SAFE_LIMIT: float(user_input[CONF_SAFE_LIMIT]),
                    }
                )
        values = user_input or {
            key: value for key, value in self.config_entry.options.items() if value is not None
        }
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(OPTIONS_SCHEMA, values),
            errors=errors,
        )
