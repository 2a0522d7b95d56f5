"""Transactions of a simulated OCPP charge point: begin, end, and start once a car is plugged."""

from __future__ import annotations

from collections.abc import Callable
import logging
from typing import TYPE_CHECKING

from .profiles import TX
from .transaction import SimTransaction

if TYPE_CHECKING:
    from .driver import Driver
    from .physics import SimConnector
    from .state import ChargePointState

_LOGGER = logging.getLogger(__name__)


class Transactions:
    """Starts and ends the charge point's transactions and queues what they send."""

    def __init__(
        self, state: ChargePointState, driver: Driver, on_idle_reset: Callable[[], None]
    ) -> None:
        """`on_idle_reset` runs when the last transaction ends after a Reset OnIdle."""
        self.state = state
        self.driver = driver
        self._on_idle_reset = on_idle_reset

    def begin(
        self,
        conn: SimConnector,
        id_tag: str,
        *,
        trigger: str = "Authorized",
        remote_start_id: int | None = None,
    ) -> SimTransaction:
        """Start a transaction on a plugged connector and queue its start message."""
        if self.state.register_per_transaction:
            conn.energy_import_wh = 0.0
        tx = SimTransaction(
            id_tag=id_tag,
            started_at=self.state.now(),
            meter_start_wh=conn.energy_import_wh,
            remote_start_id=remote_start_id,
        )
        conn.pending = None
        conn.finishing = False
        conn.transaction = tx
        conn.advance(0)
        self.driver.start(conn, tx, trigger)
        self.driver.refresh(conn)
        _LOGGER.debug("%s/%s: transaction started for %s", self.state.id, conn.number, id_tag)
        return tx

    def end(self, conn: SimConnector, reason: str) -> None:
        """End the connector's transaction (reason in 1.6 terms) and queue its stop message."""
        tx = conn.transaction
        if tx is None:
            return
        conn.advance(0)
        conn.transaction = None
        conn.finishing = conn.plugged
        for key in [key for key in conn.profiles if key[0] == TX]:
            del conn.profiles[key]
        self.driver.stop(conn, tx, reason)
        conn.advance(0)
        self.driver.refresh(conn)
        _LOGGER.debug("%s/%s: transaction ended (%s)", self.state.id, conn.number, reason)
        state = self.state
        if state.reset_when_idle and all(c.transaction is None for c in state.connectors.values()):
            state.reset_when_idle = False
            self._on_idle_reset()

    def start_when_plugged(
        self, conn: SimConnector, id_tag: str, remote_start_id: int | None, trigger: str
    ) -> None:
        """Start now if a car is plugged, else as soon as one is."""
        if conn.transaction is not None or not conn.available:
            return
        if conn.plugged:
            self.begin(conn, id_tag, trigger=trigger, remote_start_id=remote_start_id)
        else:
            conn.pending = (id_tag, remote_start_id)
            self.driver.refresh(conn)
