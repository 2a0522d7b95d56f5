"""Config flow of a site, and subentry flows of its stations."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_HOST, CONF_NAME, CONF_PORT
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
import voluptuous as vol

from .const import (
    CONF_MAX_CURRENT,
    CONF_MIN_CURRENT,
    CONF_PHASES,
    CONF_PROTOCOL,
    CONF_SUPPLY_LIMIT,
    CONF_VOLTAGE,
    DEFAULT_MAX_CURRENT,
    DEFAULT_MIN_CURRENT,
    DEFAULT_SUPPLY_LIMIT,
    DEFAULT_VOLTAGE,
    DOMAIN,
    PROTOCOL_COAP,
    SUBENTRY_STATION,
)
from .transport.coap import DEFAULT_PORT, NotAStationError, StationError, probe_station

PHASES = SelectSelector(
    SelectSelectorConfig(
        options=["1", "3"], mode=SelectSelectorMode.LIST, translation_key=CONF_PHASES
    )
)


def _amperes(low: float, high: float) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=low, max=high, step=1, unit_of_measurement="A", mode=NumberSelectorMode.BOX
        )
    )


def site_schema(defaults: dict[str, Any]) -> vol.Schema:
    """Form of the site: name and electrical supply."""
    return vol.Schema(
        {
            vol.Required(CONF_NAME, default=defaults.get(CONF_NAME, "Home")): TextSelector(),
            vol.Required(
                CONF_SUPPLY_LIMIT, default=defaults.get(CONF_SUPPLY_LIMIT, DEFAULT_SUPPLY_LIMIT)
            ): _amperes(1, 2000),
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


def station_schema(defaults: dict[str, Any]) -> vol.Schema:
    """Form of a CoAP station: address and current range."""
    return vol.Schema(
        {
            vol.Required(CONF_NAME, default=defaults.get(CONF_NAME, "")): TextSelector(),
            vol.Required(CONF_HOST, default=defaults.get(CONF_HOST, "")): TextSelector(),
            vol.Required(CONF_PORT, default=defaults.get(CONF_PORT, DEFAULT_PORT)): NumberSelector(
                NumberSelectorConfig(min=1, max=65535, step=1, mode=NumberSelectorMode.BOX)
            ),
            vol.Required(
                CONF_MIN_CURRENT, default=defaults.get(CONF_MIN_CURRENT, DEFAULT_MIN_CURRENT)
            ): _amperes(1, 80),
            vol.Required(
                CONF_MAX_CURRENT, default=defaults.get(CONF_MAX_CURRENT, DEFAULT_MAX_CURRENT)
            ): _amperes(1, 80),
            vol.Required(CONF_PHASES, default=str(defaults.get(CONF_PHASES, 1))): PHASES,
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
        """Stations belong to a site."""
        return {SUBENTRY_STATION: StationSubentryFlow}

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


class StationSubentryFlow(ConfigSubentryFlow):
    """Add or change a CoAP station of the site, testing it first."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Ask for the station's address and test it."""
        return await self._station_step("user", user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a station's address or current range."""
        return await self._station_step("reconfigure", user_input)

    async def _station_step(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> SubentryFlowResult:
        errors: dict[str, str] = {}
        current = self._get_reconfigure_subentry() if step_id == "reconfigure" else None
        if user_input is not None:
            data = _station_data(user_input)
            unique_id = f"{PROTOCOL_COAP}:{data[CONF_HOST].lower()}:{data[CONF_PORT]}"
            for subentry in self._get_entry().subentries.values():
                if subentry.unique_id == unique_id and subentry is not current:
                    return self.async_abort(reason="already_configured")
            if data[CONF_MIN_CURRENT] > data[CONF_MAX_CURRENT]:
                errors[CONF_MIN_CURRENT] = "min_above_max"
            else:
                errors = await _test_station(data[CONF_HOST], data[CONF_PORT])
            if not errors:
                title = user_input[CONF_NAME].strip() or data[CONF_HOST]
                if current is not None:
                    return self.async_update_and_abort(
                        self._get_entry(), current, title=title, data=data, unique_id=unique_id
                    )
                return self.async_create_entry(title=title, data=data, unique_id=unique_id)
        defaults = user_input or (
            {CONF_NAME: current.title, **current.data} if current is not None else {}
        )
        return self.async_show_form(
            step_id=step_id, data_schema=station_schema(defaults), errors=errors
        )


def _station_data(user_input: dict[str, Any]) -> dict[str, Any]:
    return {
        CONF_PROTOCOL: PROTOCOL_COAP,
        CONF_HOST: user_input[CONF_HOST].strip().removeprefix("[").removesuffix("]"),
        CONF_PORT: int(user_input[CONF_PORT]),
        CONF_MIN_CURRENT: float(user_input[CONF_MIN_CURRENT]),
        CONF_MAX_CURRENT: float(user_input[CONF_MAX_CURRENT]),
        CONF_PHASES: int(user_input[CONF_PHASES]),
    }


async def _test_station(host: str, port: int) -> dict[str, str]:
    """Errors of the station form: empty when an ev_v2g station answers."""
    try:
        await probe_station(host, port)
    except NotAStationError:
        return {"base": "not_station"}
    except (StationError, OSError):
        return {"base": "cannot_connect"}
    return {}
