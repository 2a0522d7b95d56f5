"""What the central system keeps of one charge point, and how its messages change it.

The protocol handlers (v16.py, v201.py) translate frames into calls on a ChargePointRecord;
the record updates the ChargePointState and tells the listener, once per connector and
message (``flush``), what changed.
"""

from __future__ import annotations

from collections import deque
import logging
from typing import Protocol

from ..ratelimit import RateLimitedLog
from .measurands import MeterSample
from .metering import apply_sample
from .model import (
    ChargePointState,
    ConnectorState,
    ConnectorStatus,
    EndedTransaction,
    StopReason,
    Transaction,
)
from .remote_starts import RemoteStarts

_LOGGER = logging.getLogger(__name__)

MAX_CONNECTORS = 8
"""Connectors kept of a charge point whose count is not configured (the forms allow 1-8)."""


class CentralSystemListener(Protocol):
    """What the site implements to hear from the central system."""

    def charge_point_changed(self, state: ChargePointState, connector: int | None) -> None:
        """Something changed: connector None = the charge point itself (online, boot, version)."""

    def unknown_charge_point(self, charge_point_id: str) -> None:
        """An id with no password configured tried to connect (already refused with 401)."""

    def login_locked_out(self, charge_point_id: str, address: str) -> None:
        """An address sent too many wrong passwords (the last for this id): it is locked out."""


class CentralContext(Protocol):
    """What a session needs of its central system."""

    listener: CentralSystemListener | None
    accepted_tags: frozenset[str]
    connector_counts: dict[str, int]

    def issue_transaction_id(self) -> int:
        """A new 1.6 transaction id."""

    def issue_remote_start_id(self) -> int:
        """A new id for a remote start (2.0.1 remoteStartId)."""


class ChargePointRecord:
    """One charge point's state and bookkeeping; outlives its connections."""

    def __init__(
        self, central: CentralContext, state: ChargePointState, log: RateLimitedLog
    ) -> None:
        """Keep ``state`` for ``central``, logging problems through ``log``."""
        self.central = central
        self.state = state
        self.log = log
        self._dirty: set[int | None] = set()
        self.remote_starts = RemoteStarts()
        self._recently_ended: deque[str] = deque(maxlen=32)

    # Notification -----------------------------------------------------------------------------

    def mark(self, connector: int | None) -> None:
        """Remember that a connector (None: the charge point) changed."""
        self._dirty.add(connector)

    def flush(self) -> None:
        """Tell the listener, once per connector, what changed since the last flush."""
        if not self._dirty:
            return
        dirty = sorted(self._dirty, key=lambda number: -1 if number is None else number)
        self._dirty.clear()
        if (listener := self.central.listener) is None:
            return
        for connector in dirty:
            try:
                listener.charge_point_changed(self.state, connector)
            except Exception:
                self.log.log(
                    logging.ERROR,
                    (self.state.id, "listener"),
                    "Listener failed on a change of %s",
                    self.state.id,
                    exc_info=True,
                )

    def authorized(self, id_tag: str | None) -> bool:
        """Whether an id tag is one we accept."""
        return id_tag is not None and id_tag.casefold() in self.central.accepted_tags

    def admits(self, connector: int) -> bool:
        """Whether a connector number is one of this charge point's (connector 0 is the whole).

        A number beyond its configured count is not kept: a charger inventing thousands of
        connectors must not create, log or store thousands. One rate-limited warning says so.
        """
        count = self.central.connector_counts.get(self.state.id, MAX_CONNECTORS)
        if 0 < connector <= count:
            return True
        if connector > count:
            self.log.warning(
                (self.state.id, "connectors"),
                "Charge point %s reports connector %s; its station is set up with %s: "
                "reconfigure it to add the connector",
                self.state.id,
                connector,
                count,
            )
        return False

    def set_status(
        self, connector: int, status: ConnectorStatus, error_code: str | None = None
    ) -> None:
        """Set a connector's status and error code."""
        state = self.state.connector(connector)
        if state.status is not status or state.error_code != error_code:
            state.status = status
            state.error_code = error_code
            self.mark(connector)
        self.heard(connector)

    def heard(self, connector: int) -> None:
        """The charge point told what a connector does (its status, or a transaction)."""
        if connector not in self.state.heard:
            self.state.heard.add(connector)
            self.mark(connector)

    # Meter values -----------------------------------------------------------------------------

    def apply_samples(
        self, connector: int, samples: list[MeterSample], transaction_id: str | None = None
    ) -> None:
        """Apply the samples newer than the connector's last one; replays change nothing."""
        state = self.state.connector(connector)
        for sample in samples:
            if state.sample_at is not None and sample.timestamp <= state.sample_at:
                continue
            apply_sample(state, sample, transaction_id, self.log, self.state.id)
            state.sample_at = sample.timestamp
            self.mark(connector)

    # Transactions -----------------------------------------------------------------------------

    def find_connector(self, transaction_id: str) -> int:
        """The connector running a transaction; else the first idle one (or 1)."""
        connectors = sorted(self.state.connectors.items())
        for number, state in connectors:
            if state.transaction is not None and state.transaction.id == transaction_id:
                return number
        for number, state in connectors:
            if state.transaction is None:
                return number
        return connectors[0][0] if connectors else 1

    def recently_ended(self, transaction_id: str) -> bool:
        """Whether a transaction ended lately (a replayed message must not revive or end it twice)."""
        return transaction_id in self._recently_ended

    def begin(
        self,
        connector: int,
        transaction_id: str,
        *,
        id_tag: str | None,
        started_at: float,
        meter_start_wh: float | None = None,
        remote_start_id: int | None = None,
    ) -> Transaction:
        """Set the connector's transaction; the same id again only completes what we know."""
        state = self.state.connector(connector)
        current = state.transaction
        if current is not None and current.id == transaction_id:
            if current.id_tag is None and id_tag is not None:
                current.id_tag = id_tag
                self.mark(connector)
            if not current.remote and self.remote_starts.take(connector, id_tag, remote_start_id):
                current.remote = True
                self.mark(connector)
            self.heard(connector)
            return current
        if current is not None:
            self.log.warning(
                (self.state.id, "superseded"),
                "%s connector %s: transaction %s started while %s was running; that one ended",
                self.state.id,
                connector,
                transaction_id,
                current.id,
            )
            self._close(state, current, started_at, state.energy_import_wh, StopReason.OTHER)
        state.transaction = Transaction(
            id=transaction_id,
            id_tag=id_tag,
            started_at=started_at,
            meter_start_wh=meter_start_wh,
            remote=self.remote_starts.take(connector, id_tag, remote_start_id),
        )
        # Its register counts from its own start, not from the last transaction's end: a
        # charger may count per transaction, or restore a lower register after a reboot.
        state.energy_import_wh = meter_start_wh
        self.mark(connector)
        self.heard(connector)
        return state.transaction

    def end(
        self,
        connector: int,
        transaction_id: str,
        *,
        ended_at: float,
        meter_stop_wh: float | None,
        reason: StopReason,
        id_tag: str | None = None,
        started_at: float | None = None,
    ) -> None:
        """End a transaction; one we never saw ends as the message describes it."""
        if transaction_id in self._recently_ended:
            return
        state = self.state.connector(connector)
        transaction = state.transaction
        if transaction is None or transaction.id != transaction_id:
            transaction = Transaction(
                id=transaction_id,
                id_tag=id_tag,
                started_at=ended_at if started_at is None else started_at,
            )
        elif transaction.id_tag is None:
            transaction.id_tag = id_tag
        self._close(state, transaction, ended_at, meter_stop_wh, reason)
        self.heard(connector)

    def _close(
        self,
        state: ConnectorState,
        transaction: Transaction,
        ended_at: float,
        meter_stop_wh: float | None,
        reason: StopReason,
    ) -> None:
        """Move a transaction to the connector's ``ended``."""
        if state.transaction is transaction:
            state.transaction = None
            # Nothing flows between transactions; a quantity the charger never measured stays
            # unknown.
            state.current_a = None if state.current_a is None else 0.0
            state.power_w = None if state.power_w is None else 0.0
        state.ended = EndedTransaction(
            transaction=transaction, ended_at=ended_at, meter_stop_wh=meter_stop_wh, reason=reason
        )
        self._recently_ended.append(transaction.id)
        self.mark(state.connector)
