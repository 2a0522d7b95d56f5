"""Transactions of a simulated OCPP charge point: begin, end, start once plugged, reset."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from datetime import datetime
import logging

import aiohttp

from .ocpp_link import ChargePointLink
from .ocpp_physics import SimConnector, SimTransaction
from .ocpp_profiles import TX

_LOGGER = logging.getLogger(__name__)


class ChargePointTransactions(ChargePointLink):
    """The transactions of a charge point; SimulatedChargePoint (ocpp_cp) builds on it."""

    connectors: dict[int, SimConnector]
    tick: float
    boot_reason: str
    reset_when_idle: bool
    clock: Callable[[], datetime]

    def now(self) -> datetime:
        """The simulator's wall clock, in UTC."""
        return self.clock()

    def begin(
        self,
        conn: SimConnector,
        id_tag: str,
        *,
        trigger: str = "Authorized",
        remote_start_id: int | None = None,
    ) -> SimTransaction:
        """Start a transaction on a plugged connector and queue its start message."""
        tx = SimTransaction(
            id_tag=id_tag,
            started_at=self.now(),
            meter_start_wh=conn.energy_import_wh,
            remote_start_id=remote_start_id,
        )
        conn.pending = None
        conn.finishing = False
        conn.transaction = tx
        conn.advance(0)
        self.driver.start(conn, tx, trigger)
        self.driver.refresh(conn)
        _LOGGER.debug("%s/%s: transaction started for %s", self.id, conn.number, id_tag)
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
        _LOGGER.debug("%s/%s: transaction ended (%s)", self.id, conn.number, reason)
        if self.reset_when_idle and all(c.transaction is None for c in self.connectors.values()):
            self.reset_when_idle = False
            self.spawn(self.reset("SoftReset"))

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

    async def reset(self, stop_reason: str) -> None:
        """End every transaction, drop the connection and boot again (RemoteReset)."""
        for conn in self.connectors.values():
            self.end(conn, stop_reason)
        with contextlib.suppress(ConnectionError):
            await self.flush()
        self.boot_reason = "RemoteReset"
        url, ssl = self._url, self._ssl
        link = self._link
        if link is not None:
            await link.close()
            await self._end_reader(link)
        if self._auto is None and url is not None and not self._stopped.is_set():
            await asyncio.sleep(min(1.0, self.tick))
            try:
                await self.connect(url, ssl=ssl)
            except (aiohttp.ClientError, OSError) as err:
                _LOGGER.warning("%s: reconnect after reset failed: %s", self.id, err)
