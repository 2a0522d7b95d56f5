"""The power-limit allocator: site limit, demand response and stations in, setpoints out.

A pure, deterministic function (DESIGN.md section 7). Import never exceeds the available current
on any phase, a charging station gets 0 or at least its minimum, and a discharge request is split
across the plugged cars whose owners opted in and that are above their reserve.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
import math

from .discharge import DischargingCar, split_discharge
from .filling import fill_equally

# Setpoints are sent in tenths of an ampere: import is rounded down, so rounding never adds load.
STEPS_PER_A = 10


class Policy(StrEnum):
    """Who charges first when not every car fits."""

    FAIR_SHARE = "fair_share"
    FCFS = "fcfs"
    PRIORITY = "priority"


class DemandResponseMode(StrEnum):
    """What the grid asks of the site."""

    NORMAL = "normal"
    LIMIT = "limit"
    SHED = "shed"
    DISCHARGE = "discharge"


@dataclass(frozen=True, kw_only=True)
class DemandResponse:
    """A demand-response request; `power_w` is the import cap (limit) or the power to deliver."""

    mode: DemandResponseMode = DemandResponseMode.NORMAL
    power_w: float = 0.0


@dataclass(frozen=True, kw_only=True)
class SiteLimits:
    """The supply as the allocator sees it."""

    limit_a: tuple[float, ...]
    """Import current available to the stations, per supply phase."""
    voltage_v: float = 230.0
    policy: Policy = Policy.FAIR_SHARE
    max_active: int | None = None
    """How many coordinated stations may charge at once; None = no cap."""
    rotation_period_s: float = 1800.0
    """Under fair_share, a car that charged this long yields its place to one that waits."""


@dataclass(frozen=True, kw_only=True)
class StationDemand:
    """One station as the allocator sees it."""

    key: str
    phases: frozenset[int] = frozenset({0})
    """Supply phases the station draws on (0-based)."""
    min_a: float = 6.0
    max_a: float = 32.0
    max_discharge_a: float = 0.0
    """Largest discharge current of the station with the plugged vehicle; 0 = cannot discharge."""
    wants_charge: bool = False
    """An authorized session with a vehicle that may be plugged in."""
    session_start: float | None = None
    priority: int = 0
    v2g_opt_in: bool = False
    soc: float | None = None
    reserve_soc: float = 0.0
    """State of charge (percent) the car keeps when discharging."""
    session_net_wh: float = 0.0
    """Energy charged minus energy given back in this session: the reserve when SoC is unknown."""
    fixed_a: float | None = None
    """Counted as is and never changed: a manual setpoint, or the budget of a station out of contact."""

    @property
    def may_discharge(self) -> bool:
        """Whether this car can take part in a discharge request now."""
        if not (self.wants_charge and self.v2g_opt_in and self.fixed_a is None):
            return False
        if self.max_discharge_a < self.min_a:
            return False
        if self.soc is not None:
            return self.soc > self.reserve_soc
        return self.session_net_wh > 0


@dataclass(frozen=True, kw_only=True)
class Rotation:
    """Fair-share bookkeeping carried from one allocation to the next."""

    served_since: Mapping[str, float] = field(default_factory=dict)
    waiting_since: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Allocation:
    """The allocator's answer."""

    setpoints: Mapping[str, float]
    """Amperes per coordinated station (negative = discharge, 0 = paused)."""
    active: tuple[str, ...]
    queued: tuple[str, ...]
    """Stations with a session that get nothing now."""
    phase_load_a: tuple[float, ...]
    """Import per phase if every station draws what it was given (fixed budgets included)."""
    discharge_w: float
    rotation: Rotation
    next_rotation_at: float | None
    """When a waiting car is due to take a charging car's place (fair_share)."""


def allocate(
    site: SiteLimits,
    demand_response: DemandResponse,
    stations: Sequence[StationDemand],
    now: float,
    rotation: Rotation | None = None,
) -> Allocation:
    """Decide every coordinated station's setpoint."""
    rotation = rotation or Rotation()
    phase_count = len(site.limit_a)
    loads = {station.key: _phases(station, phase_count) for station in stations}
    fixed_load = [0.0] * phase_count
    for station in stations:
        if station.fixed_a is not None and station.fixed_a > 0:
            for phase in loads[station.key]:
                fixed_load[phase] += station.fixed_a
    coordinated = [s for s in stations if s.fixed_a is None]
    setpoints = dict.fromkeys((s.key for s in coordinated), 0.0)
    mode = demand_response.mode
    discharge_w = 0.0
    if mode is DemandResponseMode.DISCHARGE:
        cars = (
            DischargingCar(key=s.key, min_a=s.min_a, max_discharge_a=s.max_discharge_a)
            for s in coordinated
            if s.may_discharge
        )
        discharging = split_discharge(cars, demand_response.power_w, site.voltage_v, loads)
        setpoints.update(discharging)
        discharge_w = sum(
            -amps * site.voltage_v * len(loads[s.key])
            for s in coordinated
            if (amps := setpoints[s.key]) < 0
        )
    elif mode is not DemandResponseMode.SHED:
        limit = list(site.limit_a)
        if mode is DemandResponseMode.LIMIT:
            per_phase = max(demand_response.power_w, 0.0) / (site.voltage_v * phase_count)
            limit = [min(value, per_phase) for value in limit]
        slack = [limit[p] - fixed_load[p] for p in range(phase_count)]
        wanting = [s for s in coordinated if s.wants_charge]
        setpoints.update(_charge(site, wanting, slack, loads, (now, rotation)))
    load = list(fixed_load)
    for station in coordinated:
        if (amps := setpoints[station.key]) > 0:
            for phase in loads[station.key]:
                load[phase] += amps
    wanting_keys = [s.key for s in coordinated if s.wants_charge]
    active = tuple(key for key in wanting_keys if setpoints[key] != 0)
    queued = tuple(key for key in wanting_keys if setpoints[key] == 0)
    next_rotation = _rotate(rotation, active, queued, now)
    return Allocation(
        setpoints=setpoints,
        active=active,
        queued=queued,
        phase_load_a=tuple(load),
        discharge_w=discharge_w,
        rotation=next_rotation,
        next_rotation_at=_next_rotation_at(site, next_rotation, queued, now),
    )


_ONLY_FIRST = frozenset({0})


def _phases(station: StationDemand, phase_count: int) -> frozenset[int]:
    """The supply phases a station loads; a 3-phase station on a 1-phase supply loads phase 0."""
    if station.phases and max(station.phases) < phase_count and min(station.phases) >= 0:
        return station.phases
    return frozenset(p for p in station.phases if 0 <= p < phase_count) or _ONLY_FIRST


def _floor(amps: float) -> float:
    return math.floor(amps * STEPS_PER_A + 1e-9) / STEPS_PER_A


def _charge(
    site: SiteLimits,
    wanting: list[StationDemand],
    slack: list[float],
    loads: Mapping[str, frozenset[int]],
    moment: tuple[float, Rotation],
) -> dict[str, float]:
    """Admit cars at their minimum in policy order, then share what is left."""
    now, rotation = moment
    ranked = sorted(wanting, key=lambda s: _rank(site, s, now, rotation))
    capacity = list(slack)
    admitted: list[StationDemand] = []
    for station in ranked:
        if site.max_active is not None and len(admitted) >= site.max_active:
            break
        phases = loads[station.key]
        if all(slack[p] >= station.min_a - 1e-9 for p in phases):
            admitted.append(station)
            for phase in phases:
                slack[phase] -= station.min_a
        elif _overdue(site, station, now, rotation) and all(
            capacity[p] >= station.min_a - 1e-9 for p in phases
        ):
            # Nobody behind a car that waited a whole period may take the room it needs.
            break
    extra: dict[str, float]
    if site.policy is Policy.FAIR_SHARE:
        extra = fill_equally([(s.key, loads[s.key], s.max_a - s.min_a) for s in admitted], slack)
    else:
        extra = {}
        for station in admitted:
            phases = loads[station.key]
            room = min(slack[p] for p in phases)
            extra[station.key] = max(0.0, min(station.max_a - station.min_a, room))
            for phase in phases:
                slack[phase] -= extra[station.key]
    return {s.key: min(s.max_a, max(s.min_a, _floor(s.min_a + extra[s.key]))) for s in admitted}


def _rank(
    site: SiteLimits, station: StationDemand, now: float, rotation: Rotation
) -> tuple[float, float, float, str]:
    start = station.session_start if station.session_start is not None else math.inf
    if site.policy is Policy.FCFS:
        return (0, 0, start, station.key)
    if site.policy is Policy.PRIORITY:
        return (-station.priority, 0, start, station.key)
    # fair_share: cars within their turn, then the longest waiting, then cars whose turn is over.
    served = rotation.served_since.get(station.key)
    if served is not None and now - served < site.rotation_period_s:
        return (0, served, start, station.key)
    if served is None:
        return (1, rotation.waiting_since.get(station.key, now), start, station.key)
    return (2, served, start, station.key)


def _overdue(site: SiteLimits, station: StationDemand, now: float, rotation: Rotation) -> bool:
    """Under fair_share, whether a waiting car has waited a whole rotation period."""
    waiting = rotation.waiting_since.get(station.key)
    return (
        site.policy is Policy.FAIR_SHARE
        and waiting is not None
        and station.key not in rotation.served_since
        and now - waiting >= site.rotation_period_s
    )


def _rotate(
    previous: Rotation, active: Iterable[str], queued: Iterable[str], now: float
) -> Rotation:
    return Rotation(
        served_since={key: previous.served_since.get(key, now) for key in active},
        waiting_since={key: previous.waiting_since.get(key, now) for key in queued},
    )


def _next_rotation_at(
    site: SiteLimits, rotation: Rotation, queued: tuple[str, ...], now: float
) -> float | None:
    if site.policy is not Policy.FAIR_SHARE or not queued or not rotation.served_since:
        return None
    due = [since + site.rotation_period_s for since in rotation.served_since.values()]
    upcoming = [moment for moment in due if moment > now]
    return min(upcoming) if upcoming else None
