"""Charging profiles of a simulated OCPP charge point and the limits they set.

`SimProfile` is a profile as the charge point stores it; `best_limit` picks the limit that applies
among several, as a charge point's firmware would. Connectors (physics) hold and apply them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .transaction import SimTransaction

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
