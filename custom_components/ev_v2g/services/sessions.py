"""Session services: start and stop a session, re-assign a session to another resident."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.util import dt as dt_util
import voluptuous as vol

from ..bookkeeping.authorization import authorize
from ..const import DOMAIN
from ..core.ledger import LedgerUnavailableError, UnknownSessionError
from ..core.records import Assignment
from ..core.resident import Resident
from ..error_translation import station_errors
from ..hub import SiteHub
from ..runtime import EvV2gConfigEntry
from .demand_response import ATTR_CONFIG_ENTRY_ID, site_entry
from .validation import register

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


def ledger_unavailable(hub: SiteHub, err: LedgerUnavailableError) -> HomeAssistantError:
    """The translated error of a ledger that cannot be reached."""
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="ledger_unreachable",
        translation_placeholders={"site": hub.site.name, "error": err.reason},
    )


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
            raise ledger_unavailable(hub, err) from err

    for name, handler, schema in (
        ("start_session", start_session, START_SESSION_SCHEMA),
        ("stop_session", stop_session, STOP_SESSION_SCHEMA),
        ("assign_session", assign_session, ASSIGN_SESSION_SCHEMA),
    ):
        register(hass, name, handler, schema)
