"""What power sharing takes in: the site's options, the DR request, and each station's demand.

A station's demand is what the allocator needs of it now: capabilities, session, resident and,
for a station out of contact or in manual control, the budget it is counted at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..const import (
    CONF_LOAD_KIND,
    CONF_LOAD_SENSOR,
    CONF_MAX_ACTIVE,
    CONF_POLICY,
    CONF_ROTATION_PERIOD,
    CONF_SAFE_LIMIT,
    DEFAULT_ROTATION_PERIOD,
    LOAD_GRID_IMPORT,
    LOAD_NON_EV,
    SETPOINT_EXPIRY_GRACE,
)
from ..core.allocation import DemandResponse, DemandResponseMode, Policy, StationDemand
from ..core.station import Station, StationState


class SetpointTarget(Protocol):
    """What power sharing needs of a station link, whatever its protocol."""

    station: Station

    @property
    def desired_setpoint_a(self) -> float | None:
        """The setpoint last delivered and kept (None before the first)."""

    @property
    def held_until(self) -> float | None:
        """Until when the station may apply that setpoint on its own (its lease), if known."""

    @property
    def cannot_be_limited(self) -> bool:
        """Whether the station refuses our limits (it is counted at its maximum)."""

    @property
    def known(self) -> bool:
        """Whether what the station does now is known; if not, it counts at what it may draw."""

    async def set_setpoint(
        self, setpoint_a: float, *, unless: Callable[[], bool] | None = None
    ) -> None:
        """Send a setpoint (with a lease the link keeps refreshed).

        `unless`, asked when the setpoint's turn to go out comes, drops it if true.
        """


@dataclass(frozen=True, kw_only=True)
class SharingOptions:
    """The site options that shape sharing."""

    supply_limit_a: float
    phases: int
    voltage_v: float
    policy: Policy = Policy.FAIR_SHARE
    max_active: int | None = None
    rotation_period_s: float = DEFAULT_ROTATION_PERIOD * 60.0
    load_sensor: str | None = None
    load_kind: str = LOAD_NON_EV
    safe_limit_a: float = 0.0

    @classmethod
    def from_entry(
        cls, supply_limit_a: float, phases: int, voltage_v: float, options: Mapping[str, Any]
    ) -> SharingOptions:
        """Build from the site's data and options."""
        max_active = int(options.get(CONF_MAX_ACTIVE) or 0)
        return cls(
            supply_limit_a=supply_limit_a,
            phases=phases,
            voltage_v=voltage_v,
            policy=Policy(options.get(CONF_POLICY, Policy.FAIR_SHARE)),
            max_active=max_active or None,
            rotation_period_s=float(options.get(CONF_ROTATION_PERIOD, DEFAULT_ROTATION_PERIOD))
            * 60.0,
            load_sensor=options.get(CONF_LOAD_SENSOR) or None,
            load_kind=options.get(CONF_LOAD_KIND, LOAD_NON_EV),
            safe_limit_a=float(options.get(CONF_SAFE_LIMIT, 0.0)),
        )


@dataclass(frozen=True, kw_only=True)
class DemandResponseState:
    """The demand-response request in force."""

    request: DemandResponse = field(default_factory=DemandResponse)
    until: float | None = None
    """Unix time at which the request ends by itself; None = until cleared."""
    source: str | None = None

    @property
    def active(self) -> bool:
        """Whether the grid asks anything of the site now."""
        return self.request.mode is not DemandResponseMode.NORMAL


def station_demand(
    target: SetpointTarget, phases: frozenset[int], *, manual: bool, now: float
) -> StationDemand:
    """One station as the allocator sees it now."""
    station = target.station
    telemetry = station.telemetry
    resident = station.resident
    fixed: float | None = None
    if not station.available or not target.known:
        fixed = reserved_a(target, now)
    elif target.cannot_be_limited:
        # It draws what it likes: counted at its maximum, or what it draws if more.
        fixed = max(station.capabilities.max_current_a, telemetry.current_a or 0.0)
    elif manual:
        fixed = target.desired_setpoint_a
        if fixed is None:
            fixed = telemetry.setpoint_a or 0.0
    caps = station.capabilities
    return StationDemand(
        key=station.key,
        phases=phases,
        min_a=caps.min_current_a,
        max_a=caps.max_current_a,
        max_discharge_a=0.0 if telemetry.vehicle_v2g is False else caps.max_discharge_a,
        wants_charge=station.available
        and station.state in (StationState.ENABLED, StationState.CHARGING)
        and telemetry.plugged is not False,
        session_start=station.session_started_at,
        priority=resident.priority if resident else 0,
        v2g_opt_in=resident.v2g_opt_in if resident else False,
        soc=telemetry.soc,
        reserve_soc=resident.reserve_soc if resident else 100.0,
        session_net_wh=station.session_net_wh,
        fixed_a=fixed,
    )


def reserved_a(target: SetpointTarget, now: float) -> float:
    """The budget kept for a station out of contact: what it may still be drawing."""
    station = target.station
    telemetry = station.telemetry
    most = station.capabilities.max_current_a
    held = max(telemetry.setpoint_until or 0.0, target.held_until or 0.0)
    holding = held and held + SETPOINT_EXPIRY_GRACE > now
    if station.state is StationState.INITIALIZED:
        # Never in contact: the fallback it is known to hold (a charge point's, by the site's
        # rule), else its maximum; and a setpoint it still holds from before it was set up
        # anew, whatever its new maximum.
        base = most if telemetry.fallback_a is None else min(max(telemetry.fallback_a, 0.0), most)
        return max(base, telemetry.setpoint_a or 0.0) if holding else base
    if holding:
        return max(target.desired_setpoint_a or 0.0, telemetry.setpoint_a or 0.0, 0.0)
    if telemetry.fallback_a is None:
        return most
    return max(telemetry.fallback_a, 0.0)


def budget_ends(
    targets: Mapping[str, SetpointTarget], demands: Iterable[StationDemand], now: float
) -> list[float]:
    """When the budgets kept for stations counted at a fixed value run out (allocate again then)."""
    moments = []
    for demand in demands:
        if (target := targets.get(demand.key)) is None:
            continue  # it left the site meanwhile
        held = max(target.station.telemetry.setpoint_until or 0.0, target.held_until or 0.0)
        if demand.fixed_a is not None and held + SETPOINT_EXPIRY_GRACE > now:
            moments.append(held + SETPOINT_EXPIRY_GRACE)
    return moments


def available_a(
    options: SharingOptions, site_limit_a: float, load_w: float | None, site_power_w: float
) -> tuple[float, ...]:
    """Import current available to the stations on each phase.

    The site's limit, less the building's load when a sensor measures it (its safe limit
    while the sensor has no value); a whole-grid-import sensor includes the stations' own power.
    """
    base = min(site_limit_a, options.supply_limit_a)
    if options.load_sensor is not None:
        if load_w is None:
            base = min(base, options.safe_limit_a)
        else:
            if options.load_kind == LOAD_GRID_IMPORT:
                load_w -= site_power_w
            base -= load_w / (options.voltage_v * options.phases)
    return (max(base, 0.0),) * options.phases
