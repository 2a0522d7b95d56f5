"""Steps of an OCPP station's subentry flow, and what the discovery flow shares with them."""

from __future__ import annotations

import re
import secrets
import string
from typing import Any

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.helpers.selector import BooleanSelector, SelectOptionDict, TextSelector
import voluptuous as vol
from yarl import URL

from ..const import (
    CONF_CHARGE_POINT_ID,
    CONF_CONNECTORS,
    CONF_MAX_CURRENT,
    CONF_MIN_CURRENT,
    CONF_OCPP_CERTFILE,
    CONF_OCPP_PORT,
    CONF_PASSWORD_HASH,
    CONF_PROTOCOL,
    DEFAULT_OCPP_PORT,
    DOMAIN,
    PROTOCOL_OCPP,
)
from ..transport.ocpp.passwords import hash_password
from .selectors import whole
from .station_form import electrical_data, electrical_fields, resident_options

CONF_NEW_PASSWORD = "new_password"  # noqa: S105 - the name of a form field, not a secret
# OCPP-J caps a charge point's identity at 48 characters; these characters need no escaping.
CHARGE_POINT_ID = re.compile(r"[A-Za-z0-9._:-]{1,48}")
PASSWORD_ALPHABET = string.ascii_letters + string.digits
PASSWORD_LENGTH = 20
UNKNOWN_HOST = "<home-assistant-address>"


def new_password() -> str:
    """A random password any charger's settings page accepts: letters and digits."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def station_unique_id(charge_point_id: str) -> str:
    """Unique id of an OCPP station subentry."""
    return f"{PROTOCOL_OCPP}:{charge_point_id}"


def discovery_unique_id(entry_id: str, charge_point_id: str) -> str:
    """Unique id of the flow raised when an unknown charge point knocks on a site."""
    return f"ocpp_discovery:{entry_id}:{charge_point_id}"


def has_station(entry: ConfigEntry, charge_point_id: str) -> bool:
    """Whether the site already has a station with this charge point id."""
    unique_id = station_unique_id(charge_point_id)
    return any(subentry.unique_id == unique_id for subentry in entry.subentries.values())


def charger_url(hass: HomeAssistant, entry: ConfigEntry, charge_point_id: str) -> str:
    """The address a charger is told to connect to: ws(s)://host:port/<charge point id>."""
    scheme = "wss" if entry.options.get(CONF_OCPP_CERTFILE) else "ws"
    port = int(entry.options.get(CONF_OCPP_PORT) or DEFAULT_OCPP_PORT)
    try:
        host = URL(get_url(hass, allow_cloud=False)).host or UNKNOWN_HOST
    except NoURLAvailableError:
        host = UNKNOWN_HOST
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal
    return f"{scheme}://{host}:{port}/{charge_point_id}"


def credentials(
    hass: HomeAssistant, entry: ConfigEntry, charge_point_id: str, password: str
) -> dict[str, str]:
    """Description placeholders of the step that shows a charger its credentials, once."""
    return {
        "charge_point_id": charge_point_id,
        "password": password,
        "url": charger_url(hass, entry, charge_point_id),
    }


def ocpp_schema(
    defaults: dict[str, Any],
    residents: list[SelectOptionDict],
    *,
    ask_id: bool = False,
    ask_new_password: bool = False,
) -> vol.Schema:
    """Form of an OCPP station: name, maybe its id, connectors, current range, phases, owner."""
    fields: dict[Any, Any] = {
        vol.Required(CONF_NAME, default=defaults.get(CONF_NAME, "")): TextSelector()
    }
    if ask_id:
        fields[
            vol.Required(CONF_CHARGE_POINT_ID, default=defaults.get(CONF_CHARGE_POINT_ID, ""))
        ] = TextSelector()
    fields[vol.Required(CONF_CONNECTORS, default=defaults.get(CONF_CONNECTORS, 1))] = whole(1, 8)
    fields.update(electrical_fields(defaults, residents))
    if ask_new_password:
        fields[vol.Required(CONF_NEW_PASSWORD, default=False)] = BooleanSelector()
    return vol.Schema(fields)


def ocpp_data(
    user_input: dict[str, Any], charge_point_id: str, password_hash: str
) -> dict[str, Any]:
    """An OCPP station's subentry data: its password only as the hash ``hash_password`` made."""
    return {
        CONF_PROTOCOL: PROTOCOL_OCPP,
        CONF_CHARGE_POINT_ID: charge_point_id,
        CONF_PASSWORD_HASH: password_hash,
        CONF_CONNECTORS: int(user_input[CONF_CONNECTORS]),
        **electrical_data(user_input),
    }


def station_title(user_input: dict[str, Any], charge_point_id: str) -> str:
    """The station's name, or its id when the name was left empty."""
    return str(user_input[CONF_NAME]).strip() or charge_point_id


class OcppStationFlow(ConfigSubentryFlow):
    """Add or change an OCPP station: the charger connects to us with an id and a password."""

    _title: str
    _data: dict[str, Any]
    _password: str
    """The new password, in plain text only in this flow: shown once, stored as a hash."""

    async def async_step_ocpp(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Ask for the charge point's id, connectors, current range, phases and owner."""
        errors: dict[str, str] = {}
        if user_input is not None:
            charge_point_id = str(user_input[CONF_CHARGE_POINT_ID]).strip()
            if not CHARGE_POINT_ID.fullmatch(charge_point_id):
                errors[CONF_CHARGE_POINT_ID] = "invalid_charge_point_id"
            elif has_station(self._get_entry(), charge_point_id):
                return self.async_abort(reason="already_configured")
            elif float(user_input[CONF_MIN_CURRENT]) > float(user_input[CONF_MAX_CURRENT]):
                errors[CONF_MIN_CURRENT] = "min_above_max"
            else:
                self._password = new_password()
                data = ocpp_data(user_input, charge_point_id, hash_password(self._password))
                self._title, self._data = station_title(user_input, charge_point_id), data
                return await self.async_step_ocpp_password()
        return self.async_show_form(
            step_id="ocpp",
            data_schema=ocpp_schema(
                user_input or {}, resident_options(self._get_entry()), ask_id=True
            ),
            errors=errors,
        )

    async def async_step_ocpp_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change an OCPP station; its id stays, its password changes only when asked."""
        current = self._get_reconfigure_subentry()
        charge_point_id: str = current.data[CONF_CHARGE_POINT_ID]
        errors: dict[str, str] = {}
        if user_input is not None:
            if float(user_input[CONF_MIN_CURRENT]) > float(user_input[CONF_MAX_CURRENT]):
                errors[CONF_MIN_CURRENT] = "min_above_max"
            else:
                renew = bool(user_input.get(CONF_NEW_PASSWORD))
                password_hash = current.data[CONF_PASSWORD_HASH]
                if renew:
                    self._password = new_password()
                    password_hash = hash_password(self._password)
                data = ocpp_data(user_input, charge_point_id, password_hash)
                self._title, self._data = station_title(user_input, charge_point_id), data
                if renew:
                    return await self.async_step_ocpp_password()
                return self._store_pending()
        defaults = user_input or {CONF_NAME: current.title, **current.data}
        return self.async_show_form(
            step_id="ocpp_reconfigure",
            data_schema=ocpp_schema(
                defaults, resident_options(self._get_entry()), ask_new_password=True
            ),
            errors=errors,
            description_placeholders={"charge_point_id": charge_point_id},
        )

    async def async_step_ocpp_password(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Show what to enter in the charger; the station is stored when this is confirmed."""
        if user_input is not None:
            return self._store_pending()
        return self.async_show_form(
            step_id="ocpp_password",
            description_placeholders=credentials(
                self.hass, self._get_entry(), self._data[CONF_CHARGE_POINT_ID], self._password
            ),
        )

    def _store_pending(self) -> SubentryFlowResult:
        title, data = self._title, self._data
        unique_id = station_unique_id(data[CONF_CHARGE_POINT_ID])
        if self.source == SOURCE_RECONFIGURE:
            return self.async_update_and_abort(
                self._get_entry(), self._get_reconfigure_subentry(), title=title, data=data
            )
        entry = self._get_entry()
        if has_station(entry, data[CONF_CHARGE_POINT_ID]):
            return self.async_abort(reason="already_configured")  # added meanwhile, as discovered
        # The charger may also wait as a discovered device: adding it here answers that too.
        entry_id = entry.entry_id
        flows = self.hass.config_entries.flow
        match = {"unique_id": discovery_unique_id(entry_id, data[CONF_CHARGE_POINT_ID])}
        for flow in flows.async_progress_by_handler(DOMAIN, match_context=match):
            flows.async_abort(flow["flow_id"])
        return self.async_create_entry(title=title, data=data, unique_id=unique_id)
