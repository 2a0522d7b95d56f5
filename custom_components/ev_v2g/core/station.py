"""Charging station model: capabilities, live telemetry and the life-cycle state machine.

The life cycle follows the CoAP V2G pilot: initialized -> ready -> enabled -> charging, with no
way back from charging to enabled (a new session needs a new authorization).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
import logging
import time

from .capabilities import Capabilities
from .meter import EnergyMeter
from .records import EndReason, Session
from .resident import Resident

_LOGGER = logging.getLogger(__name__)

# Below this magnitude the station is considered idle (measurement noise of a CT sensor).
CHARGING_THRESHOLD_A = 0.5
# A station that reports no current charges when its power is above this (0.5 A at 230 V)...
CHARGING_THRESHOLD_W = 115.0
# ...or, reporting neither, when its energy register grew by at least this since the last look.
CHARGING_THRESHOLD_WH = 1.0


class StationState(StrEnum):
    """Where a station is in its life cycle."""

    INITIALIZED = "initialized"
    READY = "ready"
    ENABLED = "enabled"
    CHARGING = "charging"
    UNAVAILABLE = "unavailable"


class Transition(StrEnum):
    """Events that move a station through its life cycle."""

    CONNECT = "connect"
    ENABLE = "enable"
    VEHICLE_CHARGING = "vehicle_charging"
    SESSION_END = "session_end"
    DISABLE = "disable"
    CONTACT_LOST = "contact_lost"


_ANY = frozenset(StationState)
_LEGAL: dict[Transition, frozenset[StationState]] = {
    Transition.CONNECT: frozenset({StationState.INITIALIZED, StationState.UNAVAILABLE}),
    Transition.ENABLE: frozenset({StationState.READY}),
    Transition.VEHICLE_CHARGING: frozenset({StationState.ENABLED}),
    Transition.SESSION_END: frozenset({StationState.CHARGING}),
    Transition.DISABLE: _ANY - {StationState.INITIALIZED, StationState.UNAVAILABLE},
    Transition.CONTACT_LOST: _ANY - {StationState.UNAVAILABLE},
}


class IllegalTransitionError(Exception):
    """A life-cycle event that is not allowed in the station's current state."""

    def __init__(self, station: str, state: StationState, transition: Transition) -> None:
        """Describe the refused transition."""
        super().__init__(f"{station}: cannot {transition.value} while {state.value}")
        self.station = station
        self.state = state
        self.transition = transition


@dataclass(kw_only=True)
class Telemetry:
    """Live values measured by a station; None until first reported."""

    current_a: float | None = None
    voltage_v: float | None = None
    power_w: float | None = None
    plugged: bool | None = None
    soc: int | None = None
    vehicle_v2g: bool | None = None
    switch_on: bool | None = None
    setpoint_a: float | None = None
    setpoint_until: int | None = None
    fallback_a: float | None = None


@dataclass(kw_only=True)
class Station:
    """One charging station: identity, capabilities, telemetry, meters and life cycle."""

    key: str
    name: str
    capabilities: Capabilities = field(default_factory=Capabilities)
    """What the station may do now: its configuration, narrowed by what it reports."""
    configured: Capabilities | None = None
    """What it was set up with (the capabilities it starts with); reports never widen it."""
    telemetry: Telemetry = field(default_factory=Telemetry)
    energy_import: EnergyMeter = field(default_factory=EnergyMeter)
    energy_export: EnergyMeter = field(default_factory=EnergyMeter)
    state: StationState = StationState.INITIALIZED
    session: Session | None = None
    """The authorized session, from enable until it ends."""
    resident: Resident | None = None
    """Whom the session belongs to; None = unassigned."""
    _listeners: list[Callable[[], None]] = field(default_factory=list, repr=False)
    _session_listeners: list[Callable[[Session], None]] = field(default_factory=list, repr=False)
    _failed_listeners: set[str] = field(default_factory=set, repr=False)
    implausible_readings: int = 0
    """Reports dropped as physically impossible (a current, a power, an energy step)."""
    _car_seen: bool = field(default=False, repr=False)
    last_end: EndReason | None = None
    """Why the last session ended, while its car is still plugged in (None once it leaves)."""
    """A car was plugged during the session: unplugging it ends the session."""

    def __post_init__(self) -> None:
        """The configuration is what the station starts with."""
        if self.configured is None:
            self.configured = self.capabilities

    def report_limits(self, min_a: float, max_a: float, max_discharge_a: float) -> bool:
        """Take the limits the station reports, within its configuration; whether they made sense.

        Each report is judged on its own against the configuration: an absurd one leaves the
        configured capabilities in force.
        """
        configured = self.configured or self.capabilities
        narrowed = configured.within(min_a, max_a, max_discharge_a)
        self.capabilities = narrowed or configured
        return narrowed is not None

    @property
    def available(self) -> bool:
        """Whether we are in contact with the station."""
        return self.state not in (StationState.INITIALIZED, StationState.UNAVAILABLE)

    @property
    def session_started_at(self) -> float | None:
        """When the current session was authorized."""
        return None if self.session is None else self.session.started_at

    @property
    def session_energy_wh(self) -> float | None:
        """Energy imported since the current session started."""
        return self._since_start(self.energy_import, "import_start_wh")

    @property
    def session_exported_wh(self) -> float | None:
        """Energy given back since the current session started."""
        return self._since_start(self.energy_export, "export_start_wh")

    @property
    def session_net_wh(self) -> float:
        """Energy charged minus energy given back in this session (0 when unknown)."""
        return (self.session_energy_wh or 0.0) - (self.session_exported_wh or 0.0)

    def _since_start(self, meter: EnergyMeter, start: str) -> float | None:
        begin = None if self.session is None else getattr(self.session, start)
        if begin is None or meter.total_wh is None:
            return None
        return float(meter.total_wh - begin)

    def add_session_listener(self, listener: Callable[[Session], None]) -> None:
        """Call listener when a session starts (ended_at None) and when it ends."""
        self._session_listeners.append(listener)

    def add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call listener on every change of this station; returns a function that removes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def notify(self) -> None:
        """Tell this station's listeners (and only them) that something changed.

        One listener's error stops neither the others nor the caller (an observation): it is
        logged with its traceback the first time, at debug level after.
        """
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                name = getattr(listener, "__qualname__", type(listener).__qualname__)
                first = name not in self._failed_listeners
                self._failed_listeners.add(name)
                _LOGGER.log(
                    logging.ERROR if first else logging.DEBUG,
                    "%s: a listener failed (%s)%s",
                    self.name,
                    name,
                    "" if first else " again",
                    exc_info=first,
                )

    def can(self, transition: Transition) -> bool:
        """Whether the transition is legal now."""
        return self.state in _LEGAL[transition]

    def check(self, transition: Transition) -> None:
        """Raise IllegalTransitionError unless the transition is legal now."""
        if not self.can(transition):
            raise IllegalTransitionError(self.key, self.state, transition)

    def _move(self, transition: Transition, target: StationState) -> None:
        self.check(transition)
        self.state = target

    def connect(self) -> None:
        """Contact established (first time or after a loss).

        After a loss, a station whose relay is still closed resumes its session: a network blip
        must not end a session that the station itself kept going.
        """
        resumed = self.state is StationState.UNAVAILABLE and self.session is not None
        self._move(Transition.CONNECT, StationState.READY)
        if resumed and self.telemetry.switch_on:
            self.state = StationState.ENABLED
            self.observe_current()
        elif resumed:
            self._end_session(EndReason.CONTACT_LOST)

    def enable(self, session: Session, resident: Resident | None = None) -> None:
        """Start an authorized session (for `resident`, if known) and let the vehicle charge.

        A session resumed after a restart keeps the meter readings it started from.
        """
        self._move(Transition.ENABLE, StationState.ENABLED)
        if session.import_start_wh is None:
            session.import_start_wh = self.energy_import.total_wh
        if session.export_start_wh is None:
            session.export_start_wh = self.energy_export.total_wh
        self.session = session
        self.resident = resident
        self.last_end = None
        self._session_changed(session)

    def disable(self, reason: EndReason = EndReason.STOPPED) -> None:
        """Stop charging and end the session."""
        self._move(Transition.DISABLE, StationState.READY)
        self._end_session(reason)

    def contact_lost(self) -> None:
        """No notification in time: the station is unavailable (its session is kept)."""
        self._move(Transition.CONTACT_LOST, StationState.UNAVAILABLE)

    def observe_current(self) -> None:
        """Apply the life-cycle consequences of the latest telemetry."""
        if self.telemetry.plugged is False:
            self.last_end = None
        if self.state is StationState.ENABLED and self._flowing():
            self._move(Transition.VEHICLE_CHARGING, StationState.CHARGING)
        if self.session is not None and self.telemetry.plugged:
            self._car_seen = True
        if (
            self.state in (StationState.ENABLED, StationState.CHARGING)
            and self.telemetry.plugged is False
            and self._car_seen
        ):
            # The session's car left (a queued car that never drew current too).
            charging = self.state is StationState.CHARGING
            self._move(
                Transition.SESSION_END if charging else Transition.DISABLE, StationState.READY
            )
            self._end_session(EndReason.UNPLUGGED)

    def _flowing(self) -> bool:
        """Whether energy flows: from the current, else the power, else the register's growth."""
        telemetry = self.telemetry
        if telemetry.current_a is not None:
            return abs(telemetry.current_a) >= CHARGING_THRESHOLD_A
        if telemetry.power_w is not None:
            return abs(telemetry.power_w) >= CHARGING_THRESHOLD_W
        total = self.energy_import.total_wh
        start = None if self.session is None else self.session.import_start_wh
        return total is not None and start is not None and total - start >= CHARGING_THRESHOLD_WH

    def _end_session(self, reason: EndReason) -> None:
        session = self.session
        if session is None:
            return
        session.ended_at = time.time()
        session.end_reason = reason
        session.import_stop_wh = self.energy_import.total_wh
        session.export_stop_wh = self.energy_export.total_wh
        self.session = None
        self.resident = None
        self._car_seen = False
        self.last_end = None if reason is EndReason.UNPLUGGED else reason
        self._session_changed(session)

    def _session_changed(self, session: Session) -> None:
        for listener in list(self._session_listeners):
            listener(session)
