"""Power sharing of a site: stations, limits and demand response in, setpoints on the stations.

Runs the pure allocator when one of its inputs changes, at once: changes made in the same turn
of the event loop, or while a run is under way, are taken together by the next run,
sends only the setpoints that changed, and wakes itself when a rotation is due, a
demand-response request ends or the budget kept for a silent station expires. Break before make:
the cuts of an outcome go out first, all at once, and its raises only once every cut is
acknowledged; a station whose cut was not is counted at its old setpoint until its lease ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import partial
import logging
import math
import time

from ..const import CONTROL_MANUAL
from ..core.allocation import Allocation, Rotation, SiteLimits, StationDemand, allocate
from .delivery import SetpointDelivery
from .demand_response import DemandResponseRequests
from .departed import DepartedStations
from .inputs import (
    DemandResponseState,
    SetpointTarget,
    SharingOptions,
    available_a,
    budget_ends,
    station_demand,
)
from .manual import ManualRequests, fits

_LOGGER = logging.getLogger(__name__)

# After a setpoint could not be delivered, try again this much later.
RETRY_DELAY = 5.0


class PowerSharing(DemandResponseRequests):
    """Keeps a site's stations within its supply and carries out demand response."""

    def __init__(
        self,
        options: SharingOptions,
        targets: Mapping[str, SetpointTarget],
        supply_phases: dict[str, frozenset[int]],
    ) -> None:
        """Share `options`' supply across `targets`; call start() to begin."""
        self.options = options
        self.targets = targets
        self.supply_phases = supply_phases
        self.site_limit_a = options.supply_limit_a
        self.measured_load_w: float | None = None
        self.demand_response = DemandResponseState()
        self.demand_response_power_w = 0.0
        """Power used when the demand-response mode is picked by hand (limit or discharge)."""
        self.control_modes: dict[str, str] = {}
        self.settings_restored = False
        """Set when the stored settings were put back (entities then restore nothing)."""
        self.allocation: Allocation | None = None
        self.on_allocation_changed: Callable[[Allocation], None] | None = None
        self.on_demand_response: Callable[[DemandResponseState], None] | None = None
        self._rotation = Rotation()
        self._signatures: dict[str, StationDemand] = {}
        self._power: dict[str, float] = {}
        self._listeners: list[Callable[[], None]] = []
        self._unsubscribe: dict[str, Callable[[], None]] = {}
        self._pending: asyncio.Handle | None = None
        self._wake: asyncio.TimerHandle | None = None
        self._running: asyncio.Task[None] | None = None
        self._dirty = False
        self.departed = DepartedStations()
        self.delivery = SetpointDelivery(targets, self.is_manual)
        self.manual = ManualRequests()

    # --- life -----------------------------------------------------------------------------------

    def start(self) -> None:
        """Follow every station and allocate once."""
        for key in self.targets:
            self.follow(key)

    def follow(self, key: str) -> None:
        """Share the supply with one more station (added to `targets`), and plan again."""
        station = self.targets[key].station
        self._unsubscribe[key] = station.add_listener(partial(self._station_changed, key))
        self.departed.release(key)  # set up anew: its new link counts what it holds
        self.trigger()

    def forget(self, key: str, *, gone: bool, still_a: float = 0.0, until: float = 0.0) -> None:
        """Stop following a station; `gone` when it left the site, not only changed.

        A station that may still apply `still_a` (it left unanswered, or is being set up anew)
        keeps that much of the supply until `until`, when its lease ends, or until it is
        followed again. One set up anew keeps its control mode, the user's setpoint and any
        unacknowledged cut.
        """
        if (unsubscribe := self._unsubscribe.pop(key, None)) is not None:
            unsubscribe()
        self._power.pop(key, None)
        self._signatures.pop(key, None)
        phases = self.supply_phases.get(key, frozenset({0}))
        self.departed.hold(key, phases, still_a, until)
        if gone:
            self.supply_phases.pop(key, None)
            self.control_modes.pop(key, None)
            self.manual.drop(key)
            self.delivery.forget(key)
        self._changed()

    async def stop(self) -> None:
        """Stop following stations and cancel pending work."""
        for unsubscribe in self._unsubscribe.values():
            unsubscribe()
        self._unsubscribe.clear()
        for handle in (self._pending, self._wake):
            if handle is not None:
                handle.cancel()
        self._pending = self._wake = None
        if self._running is not None:
            self._running.cancel()
            await asyncio.gather(self._running, return_exceptions=True)

    @property
    def site_power_w(self) -> float:
        """What the stations draw now (W), summed afresh from each one's last value.

        Never a running sum: one absurd value, once replaced, leaves nothing behind.
        """
        return math.fsum(self._power.values())

    def add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call listener when a site value changes; returns a function that removes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()

    # --- inputs ---------------------------------------------------------------------------------

    def _station_changed(self, key: str) -> None:
        station = self.targets[key].station
        power = (station.telemetry.power_w or 0.0) if station.available else 0.0
        if not station.capabilities.plausible_power_w(power):
            power = 0.0  # impossible: nothing known, and grid import then all counts as load
        previous_power = self._power.get(key, 0.0)
        if power != previous_power:
            self._power[key] = power
            self._notify()
        demand = self.demand_of(key, time.time())
        # The allocator only asks whether a session has energy to give back, not how much.
        signature = replace(demand, session_net_wh=float(demand.session_net_wh > 0))
        if self._signatures.get(key) != signature:
            self._signatures[key] = signature
            self.trigger()

    def set_site_limit(self, limit_a: float) -> None:
        """Change the site's current limit (at most the supply limit)."""
        self.site_limit_a = min(limit_a, self.options.supply_limit_a)
        self._changed()

    def set_measured_load(self, watts: float | None) -> None:
        """The load sensor's value in W; None when unknown (the safe limit applies)."""
        if watts != self.measured_load_w:
            self.measured_load_w = watts
            self._changed()

    def set_options(self, options: SharingOptions) -> None:
        """Apply changed site options without restarting anything."""
        self.options = options
        self.site_limit_a = min(self.site_limit_a, options.supply_limit_a)
        self._changed()

    def is_manual(self, key: str) -> bool:
        """Whether the station is under manual control (the user's setpoint is kept)."""
        return self.control_modes.get(key) == CONTROL_MANUAL

    def set_control_mode(self, key: str, mode: str) -> None:
        """`coordinated` (the allocator decides) or `manual` (the user's setpoint is kept)."""
        if self.control_modes.get(key) != mode:
            self.control_modes[key] = mode
            if mode != CONTROL_MANUAL:
                self.manual.drop(key)
            self._notify()
            self._station_changed(key)

    def manual_setpoints(self) -> dict[str, float]:
        """The user's setpoint of each station in manual control (on its way, or delivered)."""
        setpoints = {
            key: target.desired_setpoint_a
            for key, target in self.targets.items()
            if self.is_manual(key) and target.desired_setpoint_a is not None
        }
        return {**setpoints, **self.manual.pending()}

    async def set_manual_setpoint(self, key: str, setpoint_a: float) -> None:
        """The user's setpoint for a station in manual control, once the others made room.

        Raises the station's StationError, or RoomNotMadeError while a cut is unanswered (the
        setpoint then goes out as soon as it is).
        """
        waiter = self.manual.ask(key, setpoint_a)
        self._station_changed(key)
        self.trigger()
        await waiter

    def _changed(self) -> None:
        self._notify()
        self.trigger()

    # --- what the allocator sees ----------------------------------------------------------------

    def limits(self) -> tuple[float, ...]:
        """Import current available to the stations on each phase.

        Less what stations that left the site unanswered may still apply.
        """
        limits = available_a(
            self.options, self.site_limit_a, self.measured_load_w, self.site_power_w
        )
        return self.departed.less(limits, time.time())

    def site_limits(self) -> SiteLimits:
        """The supply and policy as the allocator takes them."""
        return SiteLimits(
            limit_a=self.limits(),
            voltage_v=self.options.voltage_v,
            policy=self.options.policy,
            max_active=self.options.max_active,
            rotation_period_s=self.options.rotation_period_s,
        )

    def demand_of(self, key: str, now: float) -> StationDemand:
        """One station as the allocator sees it now.

        A station whose cut went unacknowledged counts at what it may still apply.
        """
        target = self.targets[key]
        manual = self.is_manual(key)
        demand = station_demand(
            target, self.supply_phases.get(key, frozenset({0})), manual=manual, now=now
        )
        if manual and (wanted := self.manual.wanted(key)) is not None:
            demand = replace(demand, fixed_a=max(demand.fixed_a or 0.0, wanted))
        if (high := self.delivery.counted_a(key, now)) is not None:
            demand = replace(demand, fixed_a=max(demand.fixed_a or 0.0, high))
        return demand

    # --- running the allocator -------------------------------------------------------------------

    def trigger(self) -> None:
        """Allocate soon, taking together whatever else changes meanwhile."""
        if self._running is not None and not self._running.done():
            self._dirty = True  # the run in progress schedules the next one when it ends
        else:
            self._schedule_run()

    def _schedule_run(self) -> None:
        if self._pending is None:
            self._pending = asyncio.get_running_loop().call_soon(self._start_run)

    def _start_run(self) -> None:
        self._pending = None
        self._running = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        self._dirty = False
        now = time.time()
        if self.demand_response.until is not None and now >= self.demand_response.until:
            self.clear_demand_response(self.demand_response.source)
        demands = [self.demand_of(key, now) for key in self.targets]
        allocation = allocate(
            self.site_limits(), self.demand_response.request, demands, now, self._rotation
        )
        self._rotation = allocation.rotation
        previous, self.allocation = self.allocation, allocation
        changes = [
            (key, setpoint)
            for key, setpoint in allocation.setpoints.items()
            if key in self.targets
            and self.targets[key].station.available
            and self.targets[key].desired_setpoint_a != setpoint
        ]
        manual, no_room = self.manual.sendable(
            self.is_manual, self.delivery.in_force_a, fits(allocation.phase_load_a, self.limits())
        )
        held = await self.delivery.deliver([*changes, *manual.items()], frozenset(manual))
        if held:
            self._dirty = True  # plan the raises again, the unacknowledged cuts counted high
        for key in manual.keys() | no_room:
            if key in held or key in no_room:
                self.manual.held(key)  # tried again at the next change or lease end
            else:
                self.manual.settle(key, self.delivery.errors.get(key))
        if manual:
            self._notify()  # the stored settings keep the user's setpoints
        if previous is None or _outcome(previous) != _outcome(allocation):
            if self.on_allocation_changed is not None:
                self.on_allocation_changed(allocation)
            self._notify()
        self._schedule_wake(allocation, demands, now)
        if self._dirty:
            self._schedule_run()

    def _schedule_wake(
        self, allocation: Allocation, demands: list[StationDemand], now: float
    ) -> None:
        moments = [allocation.next_rotation_at, self.demand_response.until]
        moments.extend(budget_ends(self.targets, demands, now))
        moments.extend(cut.until for cut in self.delivery.unconfirmed.values())
        moments.extend(self.departed.ends())
        if self.delivery.failed:
            moments.append(now + RETRY_DELAY)
        upcoming = [moment for moment in moments if moment is not None and moment > now]
        if self._wake is not None:
            self._wake.cancel()
            self._wake = None
        if upcoming:
            self._wake = asyncio.get_running_loop().call_later(min(upcoming) - now, self.trigger)


def _outcome(allocation: Allocation) -> tuple[object, ...]:
    return (dict(allocation.setpoints), allocation.active, allocation.queued)
