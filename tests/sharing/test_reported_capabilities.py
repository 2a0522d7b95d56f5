"""The allocator fed what stations report, not only what they were set up with (hypothesis).

Each station starts from a configuration, then takes a run of reported limits (absurd ones
among them) and telemetry the way a link hands them on; its demand is built by
`station_demand`, as power sharing builds it. The truth is the configuration and the last
report that made sense, worked out here from the reports themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import math

from hypothesis import given, settings, strategies as st

from custom_components.ev_v2g.core.allocation import (
    DemandResponse,
    DemandResponseMode,
    Policy,
    SiteLimits,
    allocate,
)
from custom_components.ev_v2g.core.capabilities import Capabilities
from custom_components.ev_v2g.core.station import Station, StationState
from custom_components.ev_v2g.sharing.inputs import station_demand

EPSILON = 1e-6
JUNK = st.sampled_from([math.nan, math.inf, -math.inf, -1.0, -32.0, 1e308, 0.0])
AMPS = st.one_of(st.floats(0, 200), JUNK)
REPORT = st.tuples(AMPS, AMPS, AMPS)


@dataclass
class Link:
    """A link's side of a station as power sharing reads it: in contact, limits obeyed."""

    station: Station
    desired_setpoint_a: float | None = None
    held_until: float | None = None
    cannot_be_limited: bool = False
    known: bool = True

    async def set_setpoint(
        self, setpoint_a: float, *, unless: Callable[[], bool] | None = None
    ) -> None:
        """Not used: the allocation is read, not sent."""


@dataclass(frozen=True)
class Bounds:
    """What a station may be given: import range and largest discharge."""

    low: float
    high: float
    discharge: float


def expected_bounds(configured: Capabilities, reports: list[tuple[float, float, float]]) -> Bounds:
    """The configuration narrowed by the last report that makes sense (none: the configuration)."""
    unchanged = Bounds(
        configured.min_current_a, configured.max_current_a, configured.max_discharge_a
    )
    bounds = unchanged
    for min_a, max_a, discharge_a in reports:
        values = (min_a, max_a, discharge_a)
        low = max(configured.min_current_a, min_a)
        high = min(configured.max_current_a, max_a)
        if not all(math.isfinite(v) and v >= 0 for v in values) or min_a > max_a or low > high:
            bounds = unchanged
            continue
        discharge = min(configured.max_current_a, discharge_a)
        bounds = Bounds(low, high, discharge if discharge >= low else 0.0)
    return bounds


@st.composite
def stations(draw: st.DrawFn, index: int) -> tuple[Station, Bounds]:
    """A station configured, then told things by its hardware."""
    min_a = draw(st.sampled_from([6.0, 8.0, 10.0]))
    configured = Capabilities(
        min_current_a=min_a,
        max_current_a=draw(st.floats(min_a, 80)),
        max_discharge_a=draw(st.sampled_from([0.0, 16.0, 32.0])),
        phases=1,
    )
    station = Station(key=f"s{index}", name=f"Bay {index}", capabilities=configured)
    reports = draw(st.lists(REPORT, max_size=4))
    for report in reports:
        station.report_limits(*report)
    telemetry = station.telemetry
    telemetry.plugged = draw(st.sampled_from([True, None, False]))
    telemetry.vehicle_v2g = draw(st.sampled_from([True, None, False]))
    telemetry.soc = draw(st.one_of(st.none(), st.floats(0, 100)))
    telemetry.current_a = draw(st.one_of(st.none(), st.floats(-80, 80)))
    station.state = draw(st.sampled_from([StationState.ENABLED, StationState.CHARGING]))
    return station, expected_bounds(configured, reports)


@settings(max_examples=200, deadline=None)
@given(
    count=st.integers(1, 8),
    limit_a=st.floats(0, 200),
    mode=st.sampled_from(list(DemandResponseMode)),
    power_w=st.floats(0, 100_000),
    policy=st.sampled_from(list(Policy)),
    data=st.data(),
)
def test_setpoints_stay_within_configuration_and_sensible_reports(
    count: int,
    limit_a: float,
    mode: DemandResponseMode,
    power_w: float,
    policy: Policy,
    data: st.DataObject,
) -> None:
    """Whatever the stations report: the supply holds, each setpoint within what may be asked."""
    drawn = [data.draw(stations(index), label=f"station {index}") for index in range(count)]
    demands = [
        station_demand(Link(station), frozenset({0}), manual=False, now=1e6) for station, _ in drawn
    ]
    site = SiteLimits(limit_a=(limit_a,), policy=policy)
    result = allocate(site, DemandResponse(mode=mode, power_w=power_w), demands, now=1e6)

    supply = limit_a
    if mode is DemandResponseMode.LIMIT:
        supply = min(supply, power_w / site.voltage_v)
    imported = sum(max(setpoint, 0.0) for setpoint in result.setpoints.values())
    assert imported <= supply + EPSILON
    for station, bounds in drawn:
        setpoint = result.setpoints[station.key]
        assert math.isfinite(setpoint)
        if setpoint > 0:
            assert station.telemetry.plugged is not False
            assert bounds.low - EPSILON <= setpoint <= bounds.high + EPSILON
        elif setpoint < 0:
            assert mode is DemandResponseMode.DISCHARGE
            assert station.telemetry.vehicle_v2g is not False
            assert bounds.low - EPSILON <= -setpoint <= bounds.discharge + EPSILON
