"""What a simulated OCPP charge point is and holds: its description, connectors, stores and flags.

One object, handed to the version drivers with the scheduler (charge_point.py); nothing here
talks to the network.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .physics import SimConnector
from .profiles import SimProfile, utc_now

VERSIONS = ("ocpp1.6", "ocpp2.0.1")


@dataclass(kw_only=True, eq=False)
class ChargePointState:
    """A charge point's description (first) and its state (after `clock`)."""

    id: str
    version: str = "ocpp1.6"
    password: str | None = None
    max_current_a: float = 32.0
    voltage_v: float = 230.0
    phases: int = 1
    meter_interval: float = 10.0
    """Seconds between meter values (MeterValueSampleInterval)."""
    tick: float = 1.0
    """Seconds between physics steps."""
    id_tag: str = "CARD-1"
    """The card swipe() presents by default."""
    vendor: str = "ev_v2g"
    model: str = "SimCP"
    response_timeout: float = 30.0
    clock: Callable[[], datetime] = utc_now
    """Wall clock (timestamps, profile validity); tests may replace it."""

    connectors: dict[int, SimConnector] = field(default_factory=dict)
    station_profiles: dict[tuple[str, int], SimProfile] = field(default_factory=dict)
    """Connector 0's charging profiles by (purpose, stack level)."""
    accept_remote_start: bool = True
    accept_profiles: bool = True
    tx_default_at_start_only: bool = False
    """A running transaction keeps the TxDefaultProfiles it started with: one set later applies
    from the next transaction on, as some firmware reads the spec."""
    report_delay_s: float = 0.0
    """Seconds after an accepted boot before it sends what it queued offline and its connectors'
    statuses (firmware that boots first and reports the rest later)."""
    tx_profile_settle_s: float = 0.0
    """A TxProfile for a transaction younger than this is refused, as firmware still setting the
    transaction up refuses one (a TxDefaultProfile on the connector is taken meanwhile)."""
    measurands: frozenset[str] | None = None
    """Only these measurands are in its meter values (None: all it has), as a meter that reports
    energy alone would."""
    register_per_transaction: bool = False
    """Its energy register starts from 0 at each transaction, as some firmware reports it."""
    rate_units: tuple[str, ...] = ("A", "W")
    """The charging rate units its profiles may use; ("W",) is a W-only firmware."""
    send_heartbeats: bool = True
    answer_calls: bool = True
    """False: CALLs from the central system are written down but not answered."""
    strict_boot: bool = False
    """Drop (leave unanswered) every CALL that arrives before our BootNotification is accepted,
    as strict firmware does."""
    dropped_before_boot: list[str] = field(default_factory=list)
    """The actions strict_boot dropped."""
    boot_answer: str | None = None
    """The status of the last BootNotification answer, as soon as it arrives."""
    heartbeat_interval: float = 60.0
    local_list: dict[str, str] = field(default_factory=dict)
    """SendLocalList: id tag -> status."""
    local_list_version: int = 0
    auth_cache: dict[str, str] = field(default_factory=dict)
    config: dict[str, str] = field(default_factory=dict)
    """Writable configuration not modelled otherwise (1.6 keys / 2.0.1 Component.Variable)."""
    boot_status: str | None = None
    """The last BootNotification answer's status."""
    boot_reason: str = "PowerUp"
    reset_when_idle: bool = False
    """2.0.1 Reset OnIdle arrived during a transaction: reset once none runs."""
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """Every CALL from the central system, (action, payload) in arrival order."""

    def __post_init__(self) -> None:
        """Check the description."""
        if self.version not in VERSIONS:
            raise ValueError(f"version must be one of {VERSIONS}")
        if self.phases not in (1, 2, 3) or self.tick <= 0 or self.meter_interval <= 0:
            raise ValueError("need phases 1..3, tick > 0, meter_interval > 0")

    def add_connectors(self, count: int) -> None:
        """Connectors 1..count (2.0.1: EVSEs with one connector each), sharing connector 0's profiles."""
        if count < 1:
            raise ValueError("need connectors >= 1")
        self.connectors = {
            number: SimConnector(
                number,
                max_current_a=self.max_current_a,
                voltage_v=self.voltage_v,
                phases=self.phases,
                clock=self.now,
                station_profiles=self.station_profiles,
                tx_default_at_start_only=self.tx_default_at_start_only,
            )
            for number in range(1, count + 1)
        }

    def now(self) -> datetime:
        """The simulator's wall clock, in UTC."""
        return self.clock()
