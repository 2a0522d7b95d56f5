"""What the cars and the user do at a simulated OCPP charge point: plug, unplug, swipe, stop."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .outbox import OfflineError, Outbox
from .wire import OCPPError

if TYPE_CHECKING:
    from .driver import Driver
    from .state import ChargePointState
    from .transactions import Transactions


class CarActions:
    """The cars and the user at a charge point's connectors."""

    def __init__(
        self,
        state: ChargePointState,
        driver: Driver,
        outbox: Outbox,
        transactions: Transactions,
    ) -> None:
        """Act on the connectors of `state`; what it leads to goes out through `outbox`."""
        self.state = state
        self.driver = driver
        self.outbox = outbox
        self.transactions = transactions

    async def plug(
        self, connector: int, *, soc: float, capacity_kwh: float, max_current_a: float
    ) -> None:
        """Plug a car in; a start authorized before (swipe, remote start) begins now."""
        conn = self.state.connectors[connector]
        conn.plug(soc, capacity_kwh, max_current_a)
        pending = conn.pending
        conn.pending = None
        self.driver.refresh(conn)
        if pending is not None and conn.transaction is None:
            self.transactions.begin(
                conn, pending[0], trigger="CablePluggedIn", remote_start_id=pending[1]
            )
        await self.outbox.flush()

    async def unplug(self, connector: int) -> None:
        """Unplug the car, ending a running transaction (EVDisconnected)."""
        conn = self.state.connectors[connector]
        conn.advance(0)
        conn.unplug()
        if conn.transaction is not None:
            self.transactions.end(conn, "EVDisconnected")
        self.driver.refresh(conn)
        await self.outbox.flush()

    async def swipe(self, connector: int, id_tag: str | None) -> bool:
        """Present a card: Authorize, then start (now if plugged, else when plugged).

        Offline, the local list and the authorization cache decide. Returns whether the card was
        accepted.
        """
        state = self.state
        conn = state.connectors[connector]
        tag = id_tag or state.id_tag
        status = None
        if self.outbox.connected and state.boot_status == "Accepted":
            try:
                status = self.driver.authorize_status(
                    await self.outbox.call(self.driver.authorize_payload(tag))
                )
            except (OfflineError, TimeoutError):
                status = None
            except OCPPError:
                status = "Invalid"
        if status is None:
            status = state.local_list.get(tag) or state.auth_cache.get(tag) or "Invalid"
        else:
            state.auth_cache[tag] = status
        if status != "Accepted":
            return False
        self.transactions.start_when_plugged(conn, tag, None, "Authorized")
        await self.outbox.flush()
        return True

    async def stop_local(self, connector: int) -> None:
        """Stop the transaction at the charge point (reason Local); the car stays plugged."""
        self.transactions.end(self.state.connectors[connector], "Local")
        await self.outbox.flush()

    async def meter_now(self, connector: int) -> None:
        """Send the connector's meter values right away."""
        conn = self.state.connectors[connector]
        conn.advance(0)
        self.driver.meter(conn, "Sample.Periodic")
        await self.outbox.flush()
