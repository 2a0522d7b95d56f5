"""The events a site fires, for automations: allocation changed and demand response."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .const import EVENT_ALLOCATION_CHANGED, EVENT_DEMAND_RESPONSE
from .core.allocation import Allocation
from .hub import SiteHub
from .sharing_inputs import DemandResponseState


def connect_events(hass: HomeAssistant, entry_id: str, hub: SiteHub) -> None:
    """Fire the site's events on the bus when its sharing changes."""
    names = {key: station.name for key, station in hub.stations.items()}

    @callback
    def allocation_changed(allocation: Allocation) -> None:
        hass.bus.async_fire(
            EVENT_ALLOCATION_CHANGED,
            {
                "config_entry_id": entry_id,
                "site": hub.site.name,
                "setpoints": {names[key]: value for key, value in allocation.setpoints.items()},
                "active": [names[key] for key in allocation.active],
                "queued": [names[key] for key in allocation.queued],
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
