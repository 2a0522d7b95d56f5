"""Subentry flow of a CoAP station: tested before it is added or changed."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigSubentryFlow, SubentryFlowResult
from homeassistant.const import CONF_HOST, CONF_NAME, CONF_PORT
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
)
import voluptuous as vol

from .const import (
    CONF_CONNECTED_PHASE,
    CONF_MAX_CURRENT,
    CONF_MIN_CURRENT,
    CONF_OWNER,
    CONF_PHASES,
    CONF_PROTOCOL,
    DEFAULT_MAX_CURRENT,
    DEFAULT_MIN_CURRENT,
    PROTOCOL_COAP,
    SUBENTRY_RESIDENT,
)
from .selectors import CONNECTED_PHASE, PHASES, amperes
from .transport.coap import DEFAULT_PORT, NotAStationError, probe_station
from .transport.errors import StationError

NO_OWNER = "none"


def station_schema(defaults: dict[str, Any], residents: list[SelectOptionDict]) -> vol.Schema:
    """Form of a CoAP station: address, current range, phases and owner."""
    schema: dict[Any, Any] = {
        vol.Required(CONF_NAME, default=defaults.get(CONF_NAME, "")): TextSelector(),
        vol.Required(CONF_HOST, default=defaults.get(CONF_HOST, "")): TextSelector(),
        vol.Required(CONF_PORT, default=defaults.get(CONF_PORT, DEFAULT_PORT)): NumberSelector(
            NumberSelectorConfig(min=1, max=65535, step=1, mode=NumberSelectorMode.BOX)
        ),
        vol.Required(
            CONF_MIN_CURRENT, default=defaults.get(CONF_MIN_CURRENT, DEFAULT_MIN_CURRENT)
        ): amperes(1, 80),
        vol.Required(
            CONF_MAX_CURRENT, default=defaults.get(CONF_MAX_CURRENT, DEFAULT_MAX_CURRENT)
        ): amperes(1, 80),
        vol.Required(CONF_PHASES, default=str(defaults.get(CONF_PHASES, 1))): PHASES,
        vol.Required(
            CONF_CONNECTED_PHASE, default=str(defaults.get(CONF_CONNECTED_PHASE, 1))
        ): CONNECTED_PHASE,
    }
    if residents:
        owner = defaults.get(CONF_OWNER)
        if not any(resident["value"] == owner for resident in residents):
            owner = NO_OWNER  # never set, or the resident was removed since
        schema[vol.Required(CONF_OWNER, default=owner)] = SelectSelector(
            SelectSelectorConfig(options=[SelectOptionDict(value=NO_OWNER, label="-"), *residents])
        )
    return vol.Schema(schema)


class StationSubentryFlow(ConfigSubentryFlow):
    """Add or change a CoAP station of the site, testing it first."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Ask for the station's address and test it."""
        return await self._station_step("user", user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a station's address, current range, phases or owner."""
        return await self._station_step("reconfigure", user_input)

    def _residents(self) -> list[SelectOptionDict]:
        return [
            SelectOptionDict(value=key, label=subentry.title)
            for key, subentry in self._get_entry().subentries.items()
            if subentry.subentry_type == SUBENTRY_RESIDENT
        ]

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
            step_id=step_id,
            data_schema=station_schema(defaults, self._residents()),
            errors=errors,
        )


def _station_data(user_input: dict[str, Any]) -> dict[str, Any]:
    owner = user_input.get(CONF_OWNER, NO_OWNER)
    return {
        CONF_PROTOCOL: PROTOCOL_COAP,
        CONF_HOST: user_input[CONF_HOST].strip().removeprefix("[").removesuffix("]"),
        CONF_PORT: int(user_input[CONF_PORT]),
        CONF_MIN_CURRENT: float(user_input[CONF_MIN_CURRENT]),
        CONF_MAX_CURRENT: float(user_input[CONF_MAX_CURRENT]),
        CONF_PHASES: int(user_input[CONF_PHASES]),
        CONF_CONNECTED_PHASE: int(user_input.get(CONF_CONNECTED_PHASE, 1)),
        CONF_OWNER: None if owner == NO_OWNER else owner,
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
