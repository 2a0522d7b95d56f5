"""Follows the sensor of the building's load so that the stations get what the supply has left.

An unknown or unavailable sensor means the configured safe limit applies at once; if it stays so
for LOAD_SENSOR_GRACE seconds, a repair issue tells the user.
"""

from __future__ import annotations

from collections.abc import Callable
import logging
import math

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN, UnitOfPower
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, State, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later, async_track_state_change_event

from ..const import DOMAIN, LOAD_SENSOR_GRACE
from .power_sharing import PowerSharing

_LOGGER = logging.getLogger(__name__)

_TO_WATTS = {UnitOfPower.WATT: 1.0, UnitOfPower.KILO_WATT: 1000.0, UnitOfPower.MEGA_WATT: 1e6}


def watts_of(state: State | None) -> float | None:
    """The sensor's value in W, or None when unknown, unavailable or not a power."""
    if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        return None
    factor = _TO_WATTS.get(state.attributes.get("unit_of_measurement", UnitOfPower.WATT))
    try:
        value = float(state.state)
    except ValueError:
        return None
    if factor is None or not math.isfinite(value):
        return None
    return value * factor


class LoadSensorFollower:
    """Feeds one site's power sharing from its load sensor."""

    def __init__(
        self, hass: HomeAssistant, entry_id: str, site: str, sharing: PowerSharing, entity_id: str
    ) -> None:
        """Follow `entity_id` for the site; call start()."""
        self.hass = hass
        self.sharing = sharing
        self.entity_id = entity_id
        self.site = site
        self.issue_id = f"load_sensor_unavailable_{entry_id}"
        self._grace: Callable[[], None] | None = None

    def start(self) -> Callable[[], None]:
        """Start following; returns the function that stops it."""
        unsubscribe = async_track_state_change_event(self.hass, self.entity_id, self._changed)
        self._update(self.hass.states.get(self.entity_id))

        def stop() -> None:
            unsubscribe()
            self._cancel_grace()
            ir.async_delete_issue(self.hass, DOMAIN, self.issue_id)

        return stop

    @callback
    def _changed(self, event: Event[EventStateChangedData]) -> None:
        self._update(event.data["new_state"])

    def _update(self, state: State | None) -> None:
        watts = watts_of(state)
        self.sharing.set_measured_load(watts)
        if watts is not None:
            self._cancel_grace()
            ir.async_delete_issue(self.hass, DOMAIN, self.issue_id)
        elif self._grace is None:
            self._grace = async_call_later(self.hass, LOAD_SENSOR_GRACE, self._raise_issue)

    def _cancel_grace(self) -> None:
        if self._grace is not None:
            self._grace()
            self._grace = None

    @callback
    def _raise_issue(self, _now: object) -> None:
        self._grace = None
        _LOGGER.warning(
            "%s: load sensor %s gives no power value; the safe limit applies",
            self.site,
            self.entity_id,
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self.issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="load_sensor_unavailable",
            translation_placeholders={
                "site": self.site,
                "sensor": self.entity_id,
                "safe_limit": f"{self.sharing.options.safe_limit_a:g}",
            },
        )
