"""What the OCPP central system knows of a charge point, whatever its OCPP version.

This is the contract between the transport (transport/ocpp) and the Home Assistant side: the
transport keeps one ChargePointState per charge point id (it outlives connections and a site's
reload), updates it from the charge point's messages and tells its listener which connector
changed. The site reads the state and reconciles its stations with it; it never sees a frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class OcppVersion(StrEnum):
    """The WebSocket subprotocols we speak."""

    V16 = "ocpp1.6"
    V201 = "ocpp2.0.1"


class ConnectorStatus(StrEnum):
    """A connector's status, in OCPP 1.6 terms (2.0.1's are mapped onto these)."""

    AVAILABLE = "Available"
    PREPARING = "Preparing"
    CHARGING = "Charging"
    SUSPENDED_EV = "SuspendedEV"
    SUSPENDED_EVSE = "SuspendedEVSE"
    FINISHING = "Finishing"
    RESERVED = "Reserved"
    UNAVAILABLE = "Unavailable"
    FAULTED = "Faulted"
    OCCUPIED = "Occupied"
    """2.0.1: a vehicle is connected, charging or not."""


PLUGGED_STATUSES = frozenset(
    {
        ConnectorStatus.PREPARING,
        ConnectorStatus.CHARGING,
        ConnectorStatus.SUSPENDED_EV,
        ConnectorStatus.SUSPENDED_EVSE,
        ConnectorStatus.FINISHING,
        ConnectorStatus.OCCUPIED,
    }
)


class StopReason(StrEnum):
    """Why a transaction ended (1.6 Reason / 2.0.1 stoppedReason, reduced)."""

    LOCAL = "Local"
    """Stopped at the charge point (card, button)."""
    REMOTE = "Remote"
    """Stopped by us (RemoteStop / RequestStop)."""
    EV_DISCONNECTED = "EVDisconnected"
    OTHER = "Other"


class ProfilePurpose(StrEnum):
    """Which charging profile a limit is sent as."""

    CHARGE_POINT_MAX = "ChargePointMaxProfile"
    """Connector 0: the ceiling of the whole charge point (the site's)."""
    TX_DEFAULT = "TxDefaultProfile"
    """Applies to transactions that start later (and, at stack level 0, the fallback)."""
    TX = "TxProfile"
    """Applies to the running transaction only."""


@dataclass(kw_only=True)
class Transaction:
    """A transaction in progress on a connector."""

    id: str
    """1.6: the integer we gave in StartTransaction, as text; 2.0.1: the charge point's id."""
    id_tag: str | None
    started_at: float
    """Epoch seconds, from the charge point's timestamp."""
    meter_start_wh: float | None = None
    remote: bool = False
    """Started by our RemoteStart / RequestStart."""


@dataclass(kw_only=True)
class EndedTransaction:
    """A transaction that ended: what the site needs to close its session."""

    transaction: Transaction
    ended_at: float
    meter_stop_wh: float | None
    reason: StopReason


@dataclass(kw_only=True)
class ConnectorState:
    """One connector (2.0.1: EVSE) of a charge point. Numbered from 1."""

    connector: int
    status: ConnectorStatus | None = None
    error_code: str | None = None
    transaction: Transaction | None = None
    ended: EndedTransaction | None = None
    """The last transaction that ended, until the site takes it (take_ended)."""
    energy_import_wh: float | None = None
    """Energy.Active.Import.Register, the meter's lifetime counter."""
    energy_export_wh: float | None = None
    current_a: float | None = None
    """Current.Import (highest phase), negative when Current.Export is reported instead."""
    power_w: float | None = None
    """Power.Active.Import minus Power.Active.Export."""
    voltage_v: float | None = None
    soc: float | None = None
    sample_at: float | None = None
    """Timestamp of the newest meter sample applied: older or equal ones are ignored."""
    limit_a: float | None = None
    """The limit of the last charging profile the charge point accepted for this connector."""

    @property
    def plugged(self) -> bool | None:
        """Whether a vehicle is connected, as far as the status tells."""
        if self.status is None or self.status in (
            ConnectorStatus.UNAVAILABLE,
            ConnectorStatus.FAULTED,
        ):
            return None if self.transaction is None else True
        return self.status in PLUGGED_STATUSES or self.transaction is not None

    def take_ended(self) -> EndedTransaction | None:
        """The transaction that ended since the last call, once."""
        ended, self.ended = self.ended, None
        return ended


@dataclass(kw_only=True)
class ChargePointInfo:
    """From BootNotification."""

    vendor: str | None = None
    model: str | None = None
    serial_number: str | None = None
    firmware_version: str | None = None


@dataclass(kw_only=True)
class ChargePointState:
    """All we know of one charge point; kept across its reconnects."""

    id: str
    version: OcppVersion | None = None
    info: ChargePointInfo = field(default_factory=ChargePointInfo)
    online: bool = False
    """Connected and heard from within two heartbeat intervals."""
    booted: bool = False
    rate_unit: str = "A"
    """The unit its charging profiles are sent in: "A", or "W" for a charger that takes W only."""
    watts_per_amp: float = 230.0
    """W per A of a limit (voltage x phases), to send a limit in W."""
    connectors: dict[int, ConnectorState] = field(default_factory=dict)
    heard: set[int] = field(default_factory=set)
    """Connectors whose status or transaction it reported on this connection. Until then what
    a connector does is not known: it may have started charging on its own while away."""

    def connector(self, number: int) -> ConnectorState:
        """A connector's state, created on first mention."""
        if (state := self.connectors.get(number)) is None:
            state = self.connectors[number] = ConnectorState(connector=number)
        return state
