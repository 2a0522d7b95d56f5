"""What a station shows its users (DESIGN.md section 4), driven through its real life cycle."""

from __future__ import annotations

import pytest

from custom_components.ev_v2g.core.activity import (
    Activity,
    PauseReason,
    Sharing,
    StationActivity,
    activity_of,
)
from custom_components.ev_v2g.core.records import (
    Authorization,
    AuthorizationKind,
    EndReason,
    Session,
)
from custom_components.ev_v2g.core.station import Station, Telemetry


def _session() -> Session:
    return Session(
        id=Session.new_id(),
        station="s1",
        resident=None,
        resident_name=None,
        authorization=Authorization(kind=AuthorizationKind.USER, by="u"),
        started_at=0.0,
    )


def _station(*, plugged: bool = True, enabled: bool = True, **telemetry: float) -> Station:
    """A connected station, its car plugged in, with a session unless `enabled` is False."""
    station = Station(key="s1", name="S1", telemetry=Telemetry(plugged=plugged))
    station.connect()
    if enabled:
        station.enable(_session())
    for name, value in telemetry.items():
        setattr(station.telemetry, name, value)
    station.observe_current()
    return station


def test_out_of_contact_and_before_contact() -> None:
    """Not yet connected, then out of contact."""
    station = Station(key="s1", name="S1")
    assert activity_of(station, Sharing()) == StationActivity(Activity.CONNECTING)
    station.connect()
    station.contact_lost()
    assert activity_of(station, Sharing()) == StationActivity(Activity.CONTACT_LOST)


def test_without_a_session() -> None:
    """Idle with no car; a car nobody started; a stale power reading shows neither."""
    assert activity_of(_station(plugged=False, enabled=False), Sharing()).activity is (
        Activity.IDLE
    )
    plugged = _station(enabled=False, power_w=-2000.0)
    assert activity_of(plugged, Sharing()).activity is Activity.PLUGGED_IN


@pytest.mark.parametrize(
    ("telemetry", "expected"),
    [
        ({"current_a": 10.0, "power_w": 2300.0}, Activity.CHARGING),
        ({"current_a": -10.0, "power_w": -2300.0}, Activity.DISCHARGING),
        ({"current_a": -10.0, "voltage_v": 230.0}, Activity.DISCHARGING),
        ({"current_a": 0.0, "power_w": 0.0, "soc": 100.0}, Activity.FULL),
    ],
)
def test_what_flows_decides(telemetry: dict[str, float], expected: Activity) -> None:
    """The measured power (or current x voltage) says charging or discharging."""
    assert activity_of(_station(**telemetry), Sharing(setpoint_a=16.0)).activity is expected


def test_waiting_and_paused() -> None:
    """Queued with its place; paused by demand response, by hand, by the site or by the car."""
    station = _station(current_a=0.0, power_w=0.0)
    assert activity_of(station, Sharing(queue_place=2, setpoint_a=0.0)) == StationActivity(
        Activity.WAITING, queue_place=2
    )
    cases = {
        PauseReason.DEMAND_RESPONSE: Sharing(queue_place=1, setpoint_a=0.0, demand_response=True),
        PauseReason.MANUAL: Sharing(setpoint_a=0.0, manual=True),
        PauseReason.SITE_LIMIT: Sharing(setpoint_a=0.0),
        PauseReason.VEHICLE: Sharing(setpoint_a=16.0),
    }
    for reason, sharing in cases.items():
        assert activity_of(station, sharing) == StationActivity(Activity.PAUSED, reason)


def test_waiting_for_the_car_and_full_after_the_session() -> None:
    """A session with no car waits for it; a session ended full shows full until unplugged."""
    assert activity_of(_station(plugged=False), Sharing()).activity is Activity.WAITING_FOR_CAR
    station = _station(current_a=10.0, power_w=2300.0)
    station.disable(EndReason.FULL)
    assert activity_of(station, Sharing()).activity is Activity.FULL
    station.telemetry.plugged = False
    station.observe_current()
    assert activity_of(station, Sharing()).activity is Activity.IDLE
    station.telemetry.plugged = True
    assert activity_of(station, Sharing()).activity is Activity.PLUGGED_IN
