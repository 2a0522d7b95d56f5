"""Connectors, cars, transactions and charging profiles of a simulated OCPP charge point.

No networking here: `SimConnector.advance(dt)` moves one connector forward by `dt` seconds and
`SimConnector.limit_a` evaluates the charging profiles it holds, as a charge point's firmware would.
The OCPP side (ocpp_cp, ocpp_v16, ocpp_v201) reads this state and reports it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

MIN_CURRENT_A = 6.0
"""IEC 61851: a car cannot be offered less than 6 A; a lower limit pauses charging."""

MAX_PURPOSES = frozenset(
    {"ChargePointMaxProfile", "ChargingStationMaxProfile", "ChargingStationExternalConstraints"}
)
TX_DEFAULT = "TxDefaultProfile"
TX = "TxProfile"
_RECURRENCE = {"Daily": timedelta(days=1), "Weekly": timedelta(weeks=1)}


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """UTC ISO 8601 with milliseconds and a Z, as charge points usually send it."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str | None) -> datetime | None:
    """An ISO 8601 time from the wire (naive ones taken as UTC), or None."""
    if not text:
        return None
    moment = datetime.fromisoformat(str(text))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(slots=True)
class SimProfile:
    """A charging profile as stored by the charge point, its schedule reduced to what we need."""

    id: int
    connector: int
    """0: the whole charge point."""
    purpose: str
    stack_level: int
    kind: str = "Absolute"
    recurrency: str | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    start: datetime | None = None
    """startSchedule."""
    duration: float | None = None
    unit: str = "A"
    periods: list[tuple[float, float, int | None]] = field(default_factory=list)
    """(startPeriod s, limit in `unit`, numberPhases) in order."""
    transaction_id: int | str | None = None
    received_at: datetime = field(default_factory=utc_now)

    @classmethod
    def from_wire(
        cls,
        profile: Mapping[str, Any],
        schedule: Mapping[str, Any],
        connector: int,
        received_at: datetime,
    ) -> SimProfile:
        """Build from a profile and its schedule as the ocpp library hands them (snake_case)."""
        periods = [
            (float(p["start_period"]), float(p["limit"]), p.get("number_phases"))
            for p in schedule.get("charging_schedule_period", [])
        ]
        periods.sort(key=lambda period: period[0])
        duration = schedule.get("duration")
        return cls(
            id=int(profile.get("charging_profile_id", profile.get("id", 0))),
            connector=connector,
            purpose=str(profile["charging_profile_purpose"]),
            stack_level=int(profile["stack_level"]),
            kind=str(profile.get("charging_profile_kind", "Absolute")),
            recurrency=profile.get("recurrency_kind"),
            valid_from=parse_time(profile.get("valid_from")),
            valid_to=parse_time(profile.get("valid_to")),
            start=parse_time(schedule.get("start_schedule")),
            duration=None if duration is None else float(duration),
            unit=str(schedule.get("charging_rate_unit", "A")),
            periods=periods,
            transaction_id=profile.get("transaction_id"),
            received_at=received_at,
        )

    def limit_at(
        self, now: datetime, *, tx_started: datetime | None, voltage_v: float, phases: int
    ) -> float | None:
        """The limit in amperes per phase at `now`, or None when the profile does not apply then."""
        if (self.valid_from is not None and now < self.valid_from) or (
            self.valid_to is not None and now >= self.valid_to
        ):
            return None
        if self.kind == "Relative":
            origin = tx_started or now
        else:
            origin = self.start or self.valid_from or self.received_at
        elapsed = (now - origin).total_seconds()
        if elapsed < 0:
            return None
        if self.kind == "Recurring" and (cycle := _RECURRENCE.get(self.recurrency or "")):
            elapsed %= cycle.total_seconds()
        if self.duration is not None and elapsed >= self.duration:
            return None
        active = [period for period in self.periods if period[0] <= elapsed]
        if not active:
            return None
        _, limit, period_phases = active[-1]
        if self.unit == "W":
            limit /= voltage_v * (period_phases or phases)
        return max(0.0, limit)


@dataclass(slots=True)
class SimTransaction:
    """A transaction the charge point runs; its id may arrive later (1.6, queued offline)."""

    id_tag: str
    started_at: datetime
    meter_start_wh: float
    id: int | str | None = None
    remote_start_id: int | None = None
    seq_no: int = 0
    """2.0.1: the next TransactionEvent's seqNo."""

    def next_seq(self) -> int:
        """Take the next sequence number."""
        self.seq_no += 1
        return self.seq_no - 1


def best_limit(
    profiles: Iterable[SimProfile],
    purposes: frozenset[str],
    now: datetime,
    *,
    tx: SimTransaction | None,
    voltage_v: float,
    phases: int,
) -> float | None:
    """The limit of the highest stack level profile of `purposes` that applies at `now`."""
    candidates = sorted(
        (p for p in profiles if p.purpose in purposes), key=lambda p: p.stack_level, reverse=True
    )
    for profile in candidates:
        if TX in purposes and (tx is None or profile.transaction_id not in (None, tx.id)):
            continue
        started = tx.started_at if tx is not None else None
        limit = profile.limit_at(now, tx_started=started, voltage_v=voltage_v, phases=phases)
        if limit is not None:
            return limit
    return None


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
    current_a: float = 0.0
    power_w: float = 0.0
    profiles: dict[tuple[str, int], SimProfile] = field(default_factory=dict)
    """This connector's profiles by (purpose, stack level)."""

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
        for profiles in (own, self.station_profiles.values()):
            if limit is None:
                limit = self._best(profiles, frozenset({TX_DEFAULT}), now)
        limit = self.max_current_a if limit is None else min(limit, self.max_current_a)
        cap = self._best(self.station_profiles.values(), MAX_PURPOSES, now)
        return limit if cap is None else min(limit, cap)

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
        self.current_a = self.power_w = 0.0

    def advance(self, dt: float) -> None:
        """Recompute the current from the limit and the car, then integrate over `dt` seconds."""
        current = 0.0
        if self.transaction is not None and self.plugged and not self.full:
            current = min(self.limit_a, self.car_max_current_a)
            if current < MIN_CURRENT_A:
                current = 0.0
        self.current_a = current
        self.power_w = current * self.voltage_v * self.phases
        if dt > 0 and self.power_w > 0:
            energy_wh = self.power_w * dt / 3600
            self.energy_import_wh += energy_wh
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
