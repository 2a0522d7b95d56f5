"""The events a site fires, for automations: allocation, demand response and sessions."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .bookkeeping.session_book import SessionBook
from .bookkeeping.totals import Totals
from .const import (
    EVENT_ALLOCATION_CHANGED,
    EVENT_DEMAND_RESPONSE,
    EVENT_SESSION_ENDED,
    EVENT_SESSION_STARTED,
)
from .core.allocation import Allocation
from .core.records import Session
from .core.station import Station
from .hub import SiteHub
from .sharing.inputs import DemandResponseState


def connect_events(hass: HomeAssistant, entry_id: str, hub: SiteHub) -> None:
    """Fire the site's events on the bus when its sharing changes."""

    def name(key: str) -> str:
        return hub.station(key).name if key in hub.links else key

    @callback
    def allocation_changed(allocation: Allocation) -> None:
        hass.bus.async_fire(
            EVENT_ALLOCATION_CHANGED,
            {
                "config_entry_id": entry_id,
                "site": hub.site.name,
                "setpoints": {name(key): value for key, value in allocation.setpoints.items()},
                "active": [name(key) for key in allocation.active],
                "queued": [name(key) for key in allocation.queued],
                "discharge_w": round(allocation.discharge_w),
            },
        )

    @callback
    def demand_response(state: DemandResponseState) -> None:
        hass.bus.async_fire(
            EVENT_DEMAND_RESPONSE,
            {
                "config_entry_id": entry_id,
                "site": hub.site.name,
                "mode": state.request.mode.value,
                "power_w": state.request.power_w,
                "until": None
                if state.until is None
                else dt_util.utc_from_timestamp(state.until).isoformat(),
                "source": state.source,
            },
        )

    hub.sharing.on_allocation_changed = allocation_changed
    hub.sharing.on_demand_response = demand_response


def connect_session_events(
    hass: HomeAssistant, entry_id: str, hub: SiteHub, book: SessionBook
) -> None:
    """Fire ev_v2g_session_started and ev_v2g_session_ended, with what the session took."""

    def common(station: Station, session: Session) -> dict[str, object]:
        return {
            "config_entry_id": entry_id,
            "site": hub.site.name,
            "station": station.name,
            "station_id": station.key,
            "session_id": session.id,
            "resident": session.resident_name,
            "resident_id": session.resident,
            "user_id": session.authorization.user_id,
            "authorized_by": session.authorization.kind.value,
            "started": dt_util.utc_from_timestamp(session.started_at).isoformat(),
        }

    @callback
    def started(station: Station, session: Session) -> None:
        hass.bus.async_fire(EVENT_SESSION_STARTED, common(station, session))

    @callback
    def ended(station: Station, session: Session, totals: Totals) -> None:
        ended_at = session.ended_at or session.started_at
        hass.bus.async_fire(
            EVENT_SESSION_ENDED,
            {
                **common(station, session),
                "ended": dt_util.utc_from_timestamp(ended_at).isoformat(),
                "reason": session.end_reason.value if session.end_reason else None,
                "duration_min": round((ended_at - session.started_at) / 60, 1),
                "energy_kwh": round(totals.import_wh / 1000, 3),
                "exported_kwh": round(totals.export_wh / 1000, 3),
                "cost": round(totals.cost, 2),
                "credit": round(totals.credit, 2),
                "currency": hass.config.currency,
            },
        )

    book.on_session_started = started
    book.on_session_ended = ended
