"""The full-car rule alone: what counts as full, and a station that cannot be stopped."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.ev_v2g.bookkeeping.full_charge import FullChargeWatch, looks_full
from custom_components.ev_v2g.core.records import (
    Authorization,
    AuthorizationKind,
    EndReason,
    Session,
)
from custom_components.ev_v2g.core.station import Station
from custom_components.ev_v2g.transport.errors import StationUnreachableError


def charging_station(power_w: float | None, setpoint_a: float | None = 16.0) -> Station:
    """A station in a charging session, drawing `power_w`."""
    station = Station(key="bay", name="Bay")
    station.telemetry.switch_on = True
    station.connect()
    station.enable(
        Session(
            id="s",
            station="bay",
            resident=None,
            resident_name=None,
            authorization=Authorization(kind=AuthorizationKind.AUTOMATION, by="automation"),
            started_at=0.0,
        )
    )
    station.telemetry.current_a = 10.0
    station.observe_current()
    station.telemetry.power_w = power_w
    station.telemetry.setpoint_a = setpoint_a
    return station


@pytest.mark.parametrize(
    ("power_w", "setpoint_a", "full"),
    [
        (20.0, 16.0, True),
        (-20.0, None, True),
        (20.0, 0.0, False),  # paused by the site: not full
        (2000.0, 16.0, False),
        (None, 16.0, False),
    ],
)
def test_what_counts_as_full(power_w: float | None, setpoint_a: float | None, full: bool) -> None:
    """Full = charging, allowed to, and drawing under the threshold."""
    assert looks_full(charging_station(power_w, setpoint_a), 100.0) is full


class UnstoppableHub:
    """A hub whose one station does not answer the command that ends the session."""

    def __init__(self, station: Station) -> None:
        """Hold the station."""
        self.stations = {station.key: station}
        self.stops: list[EndReason] = []

    def station(self, key: str) -> Station:
        """The one station."""
        return self.stations[key]

    def add_station_listener(self, added: object, removed: object) -> Callable[[], None]:
        """No station comes or goes."""
        return lambda: None

    async def stop_session(self, key: str, reason: EndReason) -> None:
        """Fail like a station that has gone away."""
        self.stops.append(reason)
        raise StationUnreachableError("no answer")


async def test_station_that_cannot_be_stopped_is_logged(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    """A full car whose station does not answer: a warning, and the watch keeps going."""
    station = charging_station(power_w=10.0)
    hub: Any = UnstoppableHub(station)
    stop = FullChargeWatch(hass, hub, threshold_w=100.0, minutes=1).start()
    station.notify()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=61))
    await hass.async_block_till_done()
    assert hub.stops == [EndReason.FULL]
    assert "the car is full but the session could not end" in caplog.text
    station.telemetry.power_w = 3000.0
    station.notify()
    station.telemetry.power_w = 10.0
    station.notify()
    stop()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=200))
    await hass.async_block_till_done()
    assert hub.stops == [EndReason.FULL]


async def test_rule_turned_off(hass: HomeAssistant) -> None:
    """0 minutes: nothing is watched."""
    station = charging_station(power_w=10.0)
    hub: Any = UnstoppableHub(station)
    FullChargeWatch(hass, hub, threshold_w=100.0, minutes=0).start()()
    station.notify()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(hours=1))
    await hass.async_block_till_done()
    assert hub.stops == []
