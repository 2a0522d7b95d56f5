"""Connectors, cars and transactions of a simulated OCPP charge point.

No networking here: `SimConnector.advance(dt)` moves one connector forward by `dt` seconds and
`SimConnector.limit_a` evaluates the charging profiles it holds (profiles), as a charge point's
firmware would. The OCPP side (charge_point, v16, v201) reads this state and reports it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
import time

from .profiles import MAX_PURPOSES, MIN_CURRENT_A, TX, TX_DEFAULT, SimProfile, best_limit, utc_now
from .transaction import SimTransaction


@dataclass(slots=True, eq=False)
class SimConnector:
    """One connector (2.0.1: one EVSE with one connector) and the car plugged into it."""

    number: int
    max_current_a: float = 32.0
    voltage_v: float = 230.0
    phases: int = 1
    clock: Callable[[], datetime] = utc_now
    station_profiles: dict[tuple[str, int], SimProfile] = field(default_factory=dict)
    """Connector 0's profiles, shared by every connector of the charge point."""

    status: str = "Available"
    """The last status reported (1.6 status, 2.0.1 connectorStatus)."""
    charging_state: str = "Idle"
    """2.0.1: the last chargingState reported."""
    available: bool = True
    plugged: bool = False
    soc: float | None = None
    capacity_kwh: float = 60.0
    car_max_current_a: float = 32.0
    transaction: SimTransaction | None = None
    pending: tuple[str, int | None] | None = None
    """Authorized or remotely started but not plugged yet: (id tag, remoteStartId)."""
    finishing: bool = False
    """1.6: a transaction ended and the car is still plugged."""
    energy_import_wh: float = 0.0
    """Energy.Active.Import.Register as the charger reports it."""
    delivered_wh: float = 0.0
    """All the energy the connector delivered, never reset: the truth a bill is checked against."""
    current_a: float = 0.0
    power_w: float = 0.0
    profiles: dict[tuple[str, int], SimProfile] = field(default_factory=dict)
    """This connector's profiles by (purpose, stack level)."""
    tx_default_at_start_only: bool = False
    """A running transaction keeps the TxDefaultProfiles in force when it started (each until
    its own end); ones set, or replaced, later apply from the next transaction."""
    _start_defaults: tuple[object, list[SimProfile], list[SimProfile]] | None = field(
        default=None, init=False, repr=False
    )
    drawn: list[tuple[float, float]] = field(default_factory=list)
    """Every current the connector drew, as (time.monotonic(), A) from the moment it did: the
    truth a test checks a site's limit against (the integration never reads it)."""

    @property
    def transaction_id(self) -> int | str | None:
        """The running transaction's id (None when none runs, or its id is not known yet)."""
        return None if self.transaction is None else self.transaction.id

    @property
    def id_tag(self) -> str | None:
        """The id tag of the running transaction."""
        return None if self.transaction is None else self.transaction.id_tag

    @property
    def full(self) -> bool:
        """Whether the plugged car is full."""
        return self.soc is not None and self.soc >= 100.0

    @property
    def limit_a(self) -> float:
        """The effective limit now: TxProfile, else TxDefaultProfile, capped by the maximum."""
        now = self.clock()
        own = self.profiles.values()
        limit = self._best(own, frozenset({TX}), now) if self.transaction is not None else None
        for profiles in self._defaults(own, self.station_profiles.values()):
            if limit is None:
                limit = self._best(profiles, frozenset({TX_DEFAULT}), now)
        limit = self.max_current_a if limit is None else min(limit, self.max_current_a)
        cap = self._best(self.station_profiles.values(), MAX_PURPOSES, now)
        return limit if cap is None else min(limit, cap)

    def _defaults(
        self, own: Iterable[SimProfile], station: Iterable[SimProfile]
    ) -> tuple[Iterable[SimProfile], Iterable[SimProfile]]:
        """The connector's and connector 0's profiles a TxDefaultProfile may come from."""
        tx = self.transaction
        if not self.tx_default_at_start_only or tx is None:
            return own, station
        if self._start_defaults is None or self._start_defaults[0] is not tx:
            self._start_defaults = (tx, list(own), list(station))  # as the transaction began
        return self._start_defaults[1], self._start_defaults[2]

    def _best(
        self, profiles: Iterable[SimProfile], purposes: frozenset[str], now: datetime
    ) -> float | None:
        return best_limit(
            profiles,
            purposes,
            now,
            tx=self.transaction,
            voltage_v=self.voltage_v,
            phases=self.phases,
        )

    def install(self, profile: SimProfile) -> None:
        """Store a profile on this connector, replacing one of the same purpose and stack level."""
        self.profiles[profile.purpose, profile.stack_level] = profile

    def plug(self, soc: float, capacity_kwh: float, max_current_a: float) -> None:
        """Connect a car."""
        if not 0.0 <= soc <= 100.0 or capacity_kwh <= 0 or max_current_a < 0:
            raise ValueError("need 0 <= soc <= 100, capacity_kwh > 0, max_current_a >= 0")
        self.plugged, self.soc = True, soc
        self.capacity_kwh, self.car_max_current_a = capacity_kwh, max_current_a
        self.finishing = False

    def unplug(self) -> None:
        """Disconnect the car."""
        self.plugged, self.soc, self.finishing = False, None, False
        self._draw(0.0)
        self.power_w = 0.0

    def _draw(self, current_a: float) -> None:
        if current_a != self.current_a or not self.drawn:
            self.drawn.append((time.monotonic(), current_a))
        self.current_a = current_a

    def advance(self, dt: float) -> None:
        """Recompute the current from the limit and the car, then integrate over `dt` seconds."""
        current = 0.0
        if self.transaction is not None and self.plugged and not self.full:
            current = min(self.limit_a, self.car_max_current_a)
            if current < MIN_CURRENT_A:
                current = 0.0
        self._draw(current)
        self.power_w = current * self.voltage_v * self.phases
        if dt > 0 and self.power_w > 0:
            energy_wh = self.power_w * dt / 3600
            self.energy_import_wh += energy_wh
            self.delivered_wh += energy_wh
            if self.soc is not None:
                self.soc = min(100.0, self.soc + energy_wh / (self.capacity_kwh * 10))

    def status_16(self) -> str:
        """The status in OCPP 1.6 terms."""
        if self.transaction is not None:
            if self.current_a > 0:
                return "Charging"
            return "SuspendedEV" if self.full else "SuspendedEVSE"
        if not self.available:
            return "Unavailable"
        if self.plugged:
            return "Finishing" if self.finishing else "Preparing"
        return "Preparing" if self.pending is not None else "Available"

    def status_201(self) -> tuple[str, str]:
        """(connectorStatus, chargingState) in OCPP 2.0.1 terms."""
        if self.transaction is not None and self.plugged:
            status = "Occupied"
            state = {"Charging": "Charging", "SuspendedEV": "SuspendedEV"}.get(
                self.status_16(), "SuspendedEVSE"
            )
            return status, state
        if self.plugged:
            return "Occupied", "EVConnected"
        return ("Available" if self.available else "Unavailable"), "Idle"

    def readings(self) -> list[tuple[str, str | None, float, str, str | None]]:
        """What the meter shows now: (measurand, phase, value, unit, location) tuples."""
        values: list[tuple[str, str | None, float, str, str | None]] = [
            ("Energy.Active.Import.Register", None, round(self.energy_import_wh, 1), "Wh", None),
            ("Power.Active.Import", None, round(self.power_w, 1), "W", None),
        ]
        for index in range(1, self.phases + 1):
            values.append(("Current.Import", f"L{index}", round(self.current_a, 2), "A", None))
            values.append(("Voltage", f"L{index}-N", round(self.voltage_v, 1), "V", None))
        values.append(("Current.Offered", None, round(self.limit_a, 1), "A", None))
        if self.soc is not None:
            values.append(("SoC", None, round(self.soc, 1), "Percent", "EV"))
        return values
