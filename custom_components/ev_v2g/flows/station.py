"""Subentry flow of a station: CoAP (tested before it is added or changed) or OCPP."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigSubentry, SubentryFlowResult
from homeassistant.const import CONF_HOST, CONF_NAME, CONF_PORT
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    TextSelector,
)
import voluptuous as vol

from ..const import (
    CONF_MAX_CURRENT,
    CONF_MIN_CURRENT,
    CONF_PROTOCOL,
    PROTOCOL_COAP,
    PROTOCOL_OCPP,
    SUBENTRY_STATION,
)
from ..transport.coap.addresses import host_addresses, normal_host
from ..transport.coap.client import DEFAULT_PORT, NotAStationError, probe_station
from ..transport.errors import StationError
from .ocpp import OcppStationFlow
from .station_form import electrical_data, electrical_fields, resident_options


def station_schema(defaults: dict[str, Any], residents: list[SelectOptionDict]) -> vol.Schema:
    """Form of a CoAP station: address, current range, phases and owner."""
    return vol.Schema(
        {
            vol.Required(CONF_NAME, default=defaults.get(CONF_NAME, "")): TextSelector(),
            vol.Required(CONF_HOST, default=defaults.get(CONF_HOST, "")): TextSelector(),
            vol.Required(CONF_PORT, default=defaults.get(CONF_PORT, DEFAULT_PORT)): NumberSelector(
                NumberSelectorConfig(min=1, max=65535, step=1, mode=NumberSelectorMode.BOX)
            ),
            **electrical_fields(defaults, residents),
        }
    )


class StationSubentryFlow(OcppStationFlow):
    """Add or change a station of the site: CoAP (tested first) or OCPP."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Ask how the station talks to Home Assistant."""
        return self.async_show_menu(step_id="user", menu_options=[PROTOCOL_COAP, PROTOCOL_OCPP])

    async def async_step_coap(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Ask for a CoAP station's address and test it."""
        return await self._station_step("coap", user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a station's address or id, current range, phases or owner."""
        if self._get_reconfigure_subentry().data.get(CONF_PROTOCOL) == PROTOCOL_OCPP:
            return await self.async_step_ocpp_reconfigure(user_input)
        return await self._station_step("reconfigure", user_input)

    async def _station_step(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> SubentryFlowResult:
        errors: dict[str, str] = {}
        current = self._get_reconfigure_subentry() if step_id == "reconfigure" else None
        placeholders: dict[str, str] = {}
        if user_input is not None:
            data = _station_data(user_input)
            unique_id = f"{PROTOCOL_COAP}:{data[CONF_HOST]}:{data[CONF_PORT]}"
            if (same := await _same_station(self._get_entry(), data, current)) is not None:
                return self.async_abort(
                    reason="same_station",
                    description_placeholders={"station": same.title, "address": _address_of(same)},
                )
            if data[CONF_MIN_CURRENT] > data[CONF_MAX_CURRENT]:
                errors[CONF_MIN_CURRENT] = "min_above_max"
            else:
                errors, placeholders = await _test_station(data[CONF_HOST], data[CONF_PORT])
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
            data_schema=station_schema(defaults, resident_options(self._get_entry())),
            errors=errors,
            description_placeholders=placeholders or None,
        )


def _station_data(user_input: dict[str, Any]) -> dict[str, Any]:
    return {
        CONF_PROTOCOL: PROTOCOL_COAP,
        CONF_HOST: normal_host(user_input[CONF_HOST]),
        CONF_PORT: int(user_input[CONF_PORT]),
        **electrical_data(user_input),
    }


async def _test_station(host: str, port: int) -> tuple[dict[str, str], dict[str, str]]:
    """Errors of the station form and their placeholders: none when an ev_v2g station answers."""
    try:
        await probe_station(host, port)
    except NotAStationError as err:
        return {"base": "not_station"}, {"missing": ", ".join(err.missing) or "?"}
    except (StationError, OSError):
        return {"base": "cannot_connect"}, {}
    return {}, {}


async def _same_station(
    entry: ConfigEntry, data: dict[str, Any], current: ConfigSubentry | None
) -> ConfigSubentry | None:
    """Another CoAP station of the site at one of the same addresses and the same port."""
    others = [
        subentry
        for subentry in entry.subentries.values()
        if subentry is not current
        and subentry.subentry_type == SUBENTRY_STATION
        and subentry.data.get(CONF_PROTOCOL, PROTOCOL_COAP) == PROTOCOL_COAP
        and subentry.data.get(CONF_PORT) == data[CONF_PORT]
    ]
    if not others:
        return None
    mine = await host_addresses(data[CONF_HOST])
    for other in others:
        if mine & await host_addresses(str(other.data.get(CONF_HOST, ""))):
            return other
    return None


def _address_of(subentry: ConfigSubentry) -> str:
    """A station's address as the user typed it, e.g. `127.0.0.1:5683` or `[::1]:5683`."""
    host = str(subentry.data.get(CONF_HOST, ""))
    return (
        f"[{host}]:{subentry.data.get(CONF_PORT)}"
        if ":" in host
        else f"{host}:{subentry.data.get(CONF_PORT)}"
    )
