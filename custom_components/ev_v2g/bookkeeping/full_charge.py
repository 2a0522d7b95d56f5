"""Ends a station's session when the car is full, as in the condo pilot.

Full: the car may charge but has drawn almost nothing for some minutes. A paused car is not full.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
import logging

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later

from ..core.records import EndReason
from ..core.station import IllegalTransitionError, Station, StationState
from ..hub import SiteHub
from ..transport.errors import StationError

_LOGGER = logging.getLogger(__name__)


def looks_full(station: Station, threshold_w: float) -> bool:
    """Whether the car draws less than the threshold although it is allowed to charge."""
    telemetry = station.telemetry
    allowed = telemetry.setpoint_a is None or telemetry.setpoint_a > 0
    return (
        station.state is StationState.CHARGING
        and allowed
        and telemetry.power_w is not None
        and abs(telemetry.power_w) < threshold_w
    )


class FullChargeWatch:
    """Watches every station of a site for a full car."""

    def __init__(self, hass: HomeAssistant, hub: SiteHub, threshold_w: float, minutes: float):
        """Full = under threshold_w for `minutes` (0 turns the rule off)."""
        self.hass = hass
        self.hub = hub
        self.threshold_w = threshold_w
        self.delay_s = minutes * 60
        self._timers: dict[str, CALLBACK_TYPE] = {}

    def start(self) -> CALLBACK_TYPE:
        """Follow the stations; returns the function that stops it."""
        if self.delay_s <= 0:
            return lambda: None
        removers = {
            key: station.add_listener(partial(self._changed, key))
            for key, station in self.hub.stations.items()
        }

        def added(key: str) -> None:
            removers[key] = self.hub.station(key).add_listener(partial(self._changed, key))

        def removed(key: str) -> None:
            if (remove := removers.pop(key, None)) is not None:
                remove()
            if (cancel := self._timers.pop(key, None)) is not None:
                cancel()

        unlisten = self.hub.add_station_listener(added, removed)

        def stop() -> None:
            unlisten()
            for remove in removers.values():
                remove()
            for cancel in self._timers.values():
                cancel()
            self._timers.clear()

        return stop

    @callback
    def _changed(self, key: str) -> None:
        full = looks_full(self.hub.station(key), self.threshold_w)
        if full and key not in self._timers:
            self._timers[key] = async_call_later(self.hass, self.delay_s, partial(self._full, key))
        elif not full and key in self._timers:
            self._timers.pop(key)()

    @callback
    def _full(self, key: str, _: datetime) -> None:
        self._timers.pop(key, None)
        if looks_full(self.hub.station(key), self.threshold_w):
            self.hass.async_create_task(self._end(key), f"ev_v2g full car at {key}")

    async def _end(self, key: str) -> None:
        station = self.hub.station(key)
        try:
            await self.hub.stop_session(key, EndReason.FULL)
        except (StationError, IllegalTransitionError) as err:
            _LOGGER.warning(
                "%s: the car is full but the session could not end: %s", station.name, err
            )
            return
        _LOGGER.info("%s: the car is full; session ended", station.name)
