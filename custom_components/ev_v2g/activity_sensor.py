"""A station's activity sensor: charging, discharging, waiting (its place), paused (why), full.

It hears its own station and the site's allocations (a queue place or a pause is decided by
power sharing), and writes only when what it shows changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity

from .core.activity import Activity, PauseReason, Sharing, StationActivity, activity_of
from .entity import EvV2gStationEntity

ACTIVITY_OPTIONS = [activity.value for activity in Activity]
REASON_OPTIONS = [reason.value for reason in PauseReason]


class ActivitySensor(EvV2gStationEntity, SensorEntity):
    """What the station is doing, as the people using it see it."""

    _attr_device_class = SensorDeviceClass.ENUM
    _attr_options = ACTIVITY_OPTIONS

    def _activity(self) -> StationActivity:
        sharing = self.hub.sharing
        allocation = sharing.allocation
        key = self.station_key
        place = None
        setpoint = None
        if allocation is not None:
            if key in allocation.queued:
                place = allocation.queued.index(key) + 1
            setpoint = allocation.setpoints.get(key)
        return activity_of(
            self.station,
            Sharing(
                queue_place=place,
                setpoint_a=setpoint,
                demand_response=sharing.demand_response.active,
                manual=sharing.is_manual(key),
            ),
        )

    @property
    def available(self) -> bool:
        """Always readable: a station out of contact shows "contact lost"."""
        return True

    @property
    def native_value(self) -> str:
        """The station's activity."""
        return self._activity().activity.value

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """The queue place when waiting, the reason when paused."""
        activity = self._activity()
        return {
            "queue_place": activity.queue_place,
            "reason": None if activity.reason is None else activity.reason.value,
        }

    def snapshot(self) -> StationActivity:
        """What this sensor shows (worked out once per update)."""
        return self._activity()

    def _subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        station = super()._subscribe(listener)
        site = self.hub.sharing.add_listener(listener)

        def unsubscribe() -> None:
            station()
            site()

        return unsubscribe
