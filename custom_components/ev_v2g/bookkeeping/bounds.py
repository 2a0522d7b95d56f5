"""Readings at every bound a bill is cut at: the end of each month and each change of price.

A delta between two readings is priced, and counted in a month, by its later reading. So a
reading of every station is taken just before each bound, priced at the price that was in
force: the energy before a month's end is that month's, the energy before a tariff change is
billed at the price before it. Bounds are the month ends, the time-of-use windows' starts, and
each change of a price sensor.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
import logging
import math

from homeassistant.core import CALLBACK_TYPE, Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_point_in_time, async_track_state_change_event
from homeassistant.util import dt as dt_util

from ..core.period import month_bounds
from .price import PriceSource

_LOGGER = logging.getLogger(__name__)

# A bound's reading is dated this much before it, so it falls in the period it closes.
BEFORE_BOUND = 0.001
MOST_SPREAD = 10_000
"""Bounds a gap's energy is spread over at most (a gap of years is not split further)."""

type TakeReadings = Callable[[float, float], None]
"""Read every station now, dated `at`, priced at `price`."""


class BoundReadings:
    """Calls `take` at each month end and each price change of the site."""

    def __init__(
        self,
        hass: HomeAssistant,
        price: PriceSource,
        month_end: Callable[[], datetime],
        take: TakeReadings,
    ) -> None:
        """`month_end` gives the end of the month now in progress."""
        self.hass = hass
        self.price = price
        self.month_end = month_end
        self.take = take
        self._timer: CALLBACK_TYPE | None = None
        self._sensor: CALLBACK_TYPE | None = None

    def start(self) -> CALLBACK_TYPE:
        """Follow the bounds; returns the function that stops it."""
        self.follow_price()
        self._schedule()
        return self.stop

    def stop(self) -> None:
        """No more bound readings."""
        for cancel in (self._timer, self._sensor):
            if cancel is not None:
                cancel()
        self._timer = self._sensor = None

    def follow_price(self) -> None:
        """The tariff changed (its options): bounds from the new one."""
        if self._sensor is not None:
            self._sensor()
            self._sensor = None
        if self.price.sensor is not None:
            self._sensor = async_track_state_change_event(
                self.hass, self.price.sensor, self._sensor_changed
            )
        if self._timer is not None:
            self._schedule()

    def _schedule(self) -> None:
        if self._timer is not None:
            self._timer()
        now = dt_util.now()
        bounds = [self.month_end()]
        if self.price.sensor is None and (change := self.price.tariff.next_change(now)):
            bounds.append(change)
        bound = min(bounds)

        @callback
        def reached(_: datetime) -> None:
            self._reached(bound.timestamp())

        self._timer = async_track_point_in_time(self.hass, reached, bound)

    def between(self, start: float, end: float) -> list[tuple[float, float]]:
        """The bound readings due strictly between two readings: (at, price) of each, in order.

        A station out of contact at a bound, or Home Assistant stopped then, had no reading
        there; the next reading spreads its energy over these. A price sensor's past changes
        are not known: only month ends and time-of-use changes count.
        """
        zone = dt_util.get_default_time_zone()
        moment = dt_util.as_local(dt_util.utc_from_timestamp(start))
        found: list[tuple[float, float]] = []
        while len(found) < MOST_SPREAD:
            bound = month_bounds(moment.year, moment.month, zone)[1]
            change = None if self.price.sensor else self.price.tariff.next_change(moment)
            if change is not None and change < bound:
                bound = change
            at = bound.timestamp() - BEFORE_BOUND
            if at >= end:
                break
            if at > start:
                before = dt_util.as_local(dt_util.utc_from_timestamp(bound.timestamp() - 1.0))
                found.append((at, self.price.tariff.price_at(before)))
            moment = dt_util.as_local(dt_util.utc_from_timestamp(bound.timestamp()))
        return found

    @callback
    def _reached(self, bound: float) -> None:
        self._timer = None
        before = dt_util.as_local(dt_util.utc_from_timestamp(bound - 1.0))
        self.take(bound - BEFORE_BOUND, self.price.tariff.price_at(before))
        self._schedule()

    @callback
    def _sensor_changed(self, event: Event[EventStateChangedData]) -> None:
        old = event.data["old_state"]
        try:
            price = float(old.state) if old is not None else math.nan
        except ValueError:
            price = math.nan
        if not math.isfinite(price):
            return  # no price was in force: the readings keep the fallback they had
        self.take(event.time_fired.timestamp() - BEFORE_BOUND, price)
