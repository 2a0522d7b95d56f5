"""Statement services: a month's statement (JSON or CSV), and closing a month as issued."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util, slugify
import voluptuous as vol

from ..bookkeeping.month_totals import this_month
from ..bookkeeping.statements import PeriodNotOverError, Site, async_close, async_statement
from ..const import CONF_COST_SPLIT, CONF_SHARED_COSTS, DOMAIN
from ..core.billing import Statement
from ..core.ledger import LedgerUnavailableError
from ..core.ledger_details import PeriodClosedError
from ..core.period import PeriodError, parse_period
from ..core.shared_costs import CostSplit, SharedCosts
from ..core.statement_csv import CSV_ENCODING, sessions_csv, statement_csv
from ..runtime import EvV2gConfigEntry
from .demand_response import ATTR_CONFIG_ENTRY_ID, site_entry
from .sessions import ledger_unavailable
from .validation import register

ATTR_PERIOD = "period"
ATTR_FORMAT = "format"
ATTR_SHARED_COSTS = "shared_costs"
ATTR_SPLIT = "split"

FORMAT_JSON = "json"
FORMAT_CSV = "csv"

_COSTS: dict[vol.Marker, Any] = {
    vol.Optional(ATTR_SHARED_COSTS): vol.All(vol.Coerce(float), vol.Range(min=0)),
    vol.Optional(ATTR_SPLIT): vol.In([split.value for split in CostSplit]),
}
GET_STATEMENT_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_PERIOD): cv.string,
        vol.Optional(ATTR_FORMAT, default=FORMAT_JSON): vol.In([FORMAT_JSON, FORMAT_CSV]),
        **_COSTS,
    }
)
CLOSE_PERIOD_SCHEMA = vol.Schema(
    {vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string, vol.Required(ATTR_PERIOD): cv.string, **_COSTS}
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


def _shared(entry: EvV2gConfigEntry, call: ServiceCall) -> SharedCosts:
    return SharedCosts(
        amount=float(call.data.get(ATTR_SHARED_COSTS, entry.options.get(CONF_SHARED_COSTS, 0))),
        split=CostSplit(call.data.get(ATTR_SPLIT, entry.options.get(CONF_COST_SPLIT, "equal"))),
    )


def _site(hass: HomeAssistant, entry: EvV2gConfigEntry) -> Site:
    hub = entry.runtime_data.hub
    return Site(
        residents={key: resident.name for key, resident in hub.residents.items()},
        stations={key: station.name for key, station in hub.stations.items()},
        currency=hass.config.currency,
    )


@callback
def async_setup_statement_services(hass: HomeAssistant) -> None:
    """Register the statement services."""

    async def get_statement(call: ServiceCall) -> ServiceResponse:
        entry = site_entry(hass, call)
        hub = entry.runtime_data.hub
        start, end = _period(call.data.get(ATTR_PERIOD))
        try:
            statement = await async_statement(
                hub.book, start, end, _shared(entry, call), _site(hass, entry)
            )
        except LedgerUnavailableError as err:
            raise ledger_unavailable(hub, err) from err
        return await _respond(hass, entry, call, statement)

    async def close_period(call: ServiceCall) -> ServiceResponse:
        entry = site_entry(hass, call)
        hub = entry.runtime_data.hub
        start, end = _period(call.data[ATTR_PERIOD])
        try:
            statement = await async_close(
                hub.book,
                start,
                end,
                _shared(entry, call),
                _site(hass, entry),
                now=dt_util.now(),
                user_id=call.context.user_id,
            )
        except PeriodNotOverError as err:
            raise _refused("period_not_over", call) from err
        except PeriodClosedError as err:
            raise _refused("period_closed", call) from err
        except LedgerUnavailableError as err:
            raise ledger_unavailable(hub, err) from err
        return await _respond(hass, entry, call, statement)

    register(hass, "get_statement", get_statement, GET_STATEMENT_SCHEMA, SupportsResponse.OPTIONAL)
    register(hass, "close_period", close_period, CLOSE_PERIOD_SCHEMA, SupportsResponse.OPTIONAL)


def _refused(key: str, call: ServiceCall) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={"period": call.data[ATTR_PERIOD]},
    )


async def _respond(
    hass: HomeAssistant, entry: EvV2gConfigEntry, call: ServiceCall, statement: Statement
) -> dict[str, Any]:
    """The statement as data; in CSV also written to files (the lines, and the sessions)."""
    response: dict[str, Any] = statement.as_dict()
    if call.data.get(ATTR_FORMAT) == FORMAT_CSV:
        folder = Path(hass.config.path(DOMAIN, "statements"))
        name = f"{slugify(entry.title)}_{statement.start:%Y-%m}"
        path, sessions = folder / f"{name}.csv", folder / f"{name}_sessions.csv"
        await hass.async_add_executor_job(
            _write_texts,
            {
                path: statement_csv(statement, entry.title),
                sessions: sessions_csv(statement, entry.title),
            },
        )
        response["csv_path"] = str(path)
        response["sessions_csv_path"] = str(sessions)
    return response


def _write_texts(texts: dict[Path, str]) -> None:
    for path, text in texts.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding=CSV_ENCODING)
