"""Session and ledger services: start and stop a session, statements, re-assigning a session."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.util import dt as dt_util, slugify
import voluptuous as vol

from ..bookkeeping.authorization import authorize
from ..bookkeeping.session_book import this_month
from ..const import CONF_COST_SPLIT, CONF_SHARED_COSTS, DOMAIN
from ..core.billing import CSV_ENCODING, CostSplit, SharedCosts, build_statement
from ..core.ledger import LedgerUnavailableError, UnknownSessionError
from ..core.period import PeriodError, parse_period
from ..core.records import Assignment
from ..core.resident import Resident
from ..error_translation import station_errors
from ..hub import SiteHub
from ..runtime import EvV2gConfigEntry
from .demand_response import ATTR_CONFIG_ENTRY_ID, site_entry

ATTR_STATION = "station"
ATTR_RESIDENT = "resident"
ATTR_PERIOD = "period"
ATTR_FORMAT = "format"
ATTR_SHARED_COSTS = "shared_costs"
ATTR_SPLIT = "split"
ATTR_SESSION_ID = "session_id"

FORMAT_JSON = "json"
FORMAT_CSV = "csv"

START_SESSION_SCHEMA = vol.Schema(
    {vol.Required(ATTR_STATION): cv.string, vol.Optional(ATTR_RESIDENT): cv.string}
)
STOP_SESSION_SCHEMA = vol.Schema({vol.Required(ATTR_STATION): cv.string})
GET_STATEMENT_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_PERIOD): cv.string,
        vol.Optional(ATTR_FORMAT, default=FORMAT_JSON): vol.In([FORMAT_JSON, FORMAT_CSV]),
        vol.Optional(ATTR_SHARED_COSTS): vol.All(vol.Coerce(float), vol.Range(min=0)),
        vol.Optional(ATTR_SPLIT): vol.In([split.value for split in CostSplit]),
    }
)
ASSIGN_SESSION_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_SESSION_ID): cv.string,
        vol.Optional(ATTR_RESIDENT): cv.string,
    }
)


def _station(hass: HomeAssistant, device_id: str) -> tuple[SiteHub, str]:
    """The hub and key of the station a device id names."""
    device = dr.async_get(hass).async_get(device_id)
    keys = {key for domain, key in device.identifiers if domain == DOMAIN} if device else set()
    for entry_id in device.config_entries if device else ():
        entry: EvV2gConfigEntry | None = hass.config_entries.async_get_entry(entry_id)
        if entry is None or entry.domain != DOMAIN or entry.state is not ConfigEntryState.LOADED:
            continue
        if found := keys & entry.runtime_data.hub.stations.keys():
            return entry.runtime_data.hub, found.pop()
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="station_not_found",
        translation_placeholders={"station": device_id},
    )


def _resident(hass: HomeAssistant, hub: SiteHub, wanted: str) -> Resident:
    """A resident named by device id, subentry id or name."""
    if (device := dr.async_get(hass).async_get(wanted)) is not None:
        wanted = next((key for domain, key in device.identifiers if domain == DOMAIN), wanted)
    if (resident := hub.resident_named(wanted)) is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="unknown_resident",
            translation_placeholders={"resident": wanted},
        )
    return resident


def _ledger_unavailable(hub: SiteHub, err: LedgerUnavailableError) -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="ledger_unreachable",
        translation_placeholders={"site": hub.site.name, "error": err.reason},
    )


def _period(text: str | None) -> tuple[datetime, datetime]:
    if not text:
        return this_month()
    try:
        return parse_period(text, dt_util.get_default_time_zone())
    except PeriodError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_period",
            translation_placeholders={"period": text},
        ) from err


@callback
def async_setup_session_services(hass: HomeAssistant) -> None:
    """Register the session and ledger services."""

    async def start_session(call: ServiceCall) -> None:
        hub, key = _station(hass, call.data[ATTR_STATION])
        wanted = call.data.get(ATTR_RESIDENT)
        requested = _resident(hass, hub, wanted) if wanted else None
        authorization, resident = await authorize(hass, hub, key, call.context, requested)
        async with station_errors(hub.station(key)):
            await hub.start_session(key, authorization, resident)

    async def stop_session(call: ServiceCall) -> None:
        hub, key = _station(hass, call.data[ATTR_STATION])
        async with station_errors(hub.station(key)):
            await hub.stop_session(key)

    async def get_statement(call: ServiceCall) -> ServiceResponse:
        entry = site_entry(hass, call)
        hub = entry.runtime_data.hub
        start, end = _period(call.data.get(ATTR_PERIOD))
        shared = SharedCosts(
            amount=float(call.data.get(ATTR_SHARED_COSTS, entry.options.get(CONF_SHARED_COSTS, 0))),
            split=CostSplit(call.data.get(ATTR_SPLIT, entry.options.get(CONF_COST_SPLIT, "equal"))),
        )
        try:
            usages = await hub.book.async_usage(start, end)
            metered = await hub.book.async_metered(start, end)
            present = await hub.book.residency.async_presence(start, end)
        except LedgerUnavailableError as err:
            raise _ledger_unavailable(hub, err) from err
        names = {key: name for key, (_, name) in present.items()}
        names |= {key: resident.name for key, resident in hub.residents.items()}
        statement = build_statement(
            start,
            end,
            usages,
            names,
            shared,
            hass.config.currency,
            metered,
            {key: seconds for key, (seconds, _) in present.items()},
        )
        response: dict[str, Any] = statement.as_dict()
        if call.data[ATTR_FORMAT] == FORMAT_CSV:
            path = Path(hass.config.path(DOMAIN, "statements"))
            path /= f"{slugify(entry.title)}_{start:%Y-%m}.csv"
            await hass.async_add_executor_job(_write_text, path, statement.to_csv(entry.title))
            response["csv_path"] = str(path)
        return response

    async def assign_session(call: ServiceCall) -> None:
        entry = site_entry(hass, call)
        hub = entry.runtime_data.hub
        wanted = call.data.get(ATTR_RESIDENT)
        resident = _resident(hass, hub, wanted) if wanted else None
        assignment = Assignment(
            session=call.data[ATTR_SESSION_ID],
            resident=None if resident is None else resident.key,
            resident_name=None if resident is None else resident.name,
            at=dt_util.utcnow().timestamp(),
            user_id=call.context.user_id,
            context_id=call.context.id,
        )
        try:
            await hub.book.assign(assignment, resident)
        except UnknownSessionError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="unknown_session",
                translation_placeholders={"session_id": assignment.session},
            ) from err
        except LedgerUnavailableError as err:
            raise _ledger_unavailable(hub, err) from err

    for name, handler, schema in (
        ("start_session", start_session, START_SESSION_SCHEMA),
        ("stop_session", stop_session, STOP_SESSION_SCHEMA),
        ("assign_session", assign_session, ASSIGN_SESSION_SCHEMA),
    ):
        hass.services.async_register(DOMAIN, name, handler, schema=schema)
    hass.services.async_register(
        DOMAIN,
        "get_statement",
        get_statement,
        schema=GET_STATEMENT_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding=CSV_ENCODING)
