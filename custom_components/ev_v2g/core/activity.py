"""What a station is doing, as the people using it see it.

The life cycle (`core/station.py`) says what a station may do; this says what it does now:
charging, discharging, waiting in the queue (with its place), paused (with the reason), full,
or, with no session, idle or with a car plugged in that nobody started. It is worked out from
the station's life cycle and telemetry and from what power sharing decided for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .records import EndReason
from .station import CHARGING_THRESHOLD_W, Station, StationState

FULL_SOC = 99.5
"""A car reporting at least this state of charge is full."""


class Activity(StrEnum):
    """What a station is doing."""

    CONNECTING = "connecting"
    CONTACT_LOST = "contact_lost"
    IDLE = "idle"
    PLUGGED_IN = "plugged_in"
    """A car is plugged in, but nobody started a session."""
    WAITING_FOR_CAR = "waiting_for_car"
    """A session was started; no car is plugged in yet."""
    CHARGING = "charging"
    DISCHARGING = "discharging"
    WAITING = "waiting"
    """Queued: the site has no room for it yet."""
    PAUSED = "paused"
    FULL = "full"


class PauseReason(StrEnum):
    """Why a station with a session draws nothing."""

    DEMAND_RESPONSE = "demand_response"
    SITE_LIMIT = "site_limit"
    MANUAL = "manual"
    VEHICLE = "vehicle"
    """Allowed to charge, the car takes nothing (it paused, or waits for its own timer)."""


@dataclass(frozen=True, kw_only=True)
class Sharing:
    """What power sharing decided for one station."""

    queue_place: int | None = None
    """Its place in the queue (1 = next), when queued."""
    setpoint_a: float | None = None
    """The current it was given; None before the first allocation."""
    demand_response: bool = False
    """A demand-response request is in force."""
    manual: bool = False


@dataclass(frozen=True)
class StationActivity:
    """An activity, and the reason when paused."""

    activity: Activity
    reason: PauseReason | None = None
    queue_place: int | None = None


def activity_of(station: Station, sharing: Sharing) -> StationActivity:
    """What the station is doing now."""
    state = station.state
    telemetry = station.telemetry
    if state is StationState.UNAVAILABLE:
        return StationActivity(Activity.CONTACT_LOST)
    if state is StationState.INITIALIZED:
        return StationActivity(Activity.CONNECTING)
    if state is StationState.READY:
        if not telemetry.plugged:
            return StationActivity(Activity.IDLE)
        full = station.last_end is EndReason.FULL
        return StationActivity(Activity.FULL if full else Activity.PLUGGED_IN)
    power_w = telemetry.power_w
    if power_w is None and telemetry.current_a is not None and telemetry.voltage_v:
        power_w = telemetry.current_a * telemetry.voltage_v
    if power_w is not None and power_w <= -CHARGING_THRESHOLD_W:
        return StationActivity(Activity.DISCHARGING)
    if power_w is not None and power_w >= CHARGING_THRESHOLD_W:
        return StationActivity(Activity.CHARGING)
    if power_w is None and state is StationState.CHARGING:
        return StationActivity(Activity.CHARGING)  # no power reported: its register grows
    if telemetry.plugged is False:
        return StationActivity(Activity.WAITING_FOR_CAR)
    if telemetry.soc is not None and telemetry.soc >= FULL_SOC:
        return StationActivity(Activity.FULL)
    given = sharing.setpoint_a if sharing.setpoint_a is not None else telemetry.setpoint_a
    paused = given is not None and given <= 0
    if paused and sharing.manual:
        return StationActivity(Activity.PAUSED, PauseReason.MANUAL)
    if paused and sharing.demand_response:
        return StationActivity(Activity.PAUSED, PauseReason.DEMAND_RESPONSE)
    if sharing.queue_place is not None:
        return StationActivity(Activity.WAITING, queue_place=sharing.queue_place)
    if paused:
        return StationActivity(Activity.PAUSED, PauseReason.SITE_LIMIT)
    return StationActivity(Activity.PAUSED, PauseReason.VEHICLE)
