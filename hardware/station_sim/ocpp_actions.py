"""What the car and the user do at a simulated OCPP charge point: plug, unplug, swipe, stop."""

from __future__ import annotations

from .ocpp_outbox import OfflineError
from .ocpp_transactions import ChargePointTransactions
from .ocpp_wire import OCPPError


class CarActions(ChargePointTransactions):
    """The car and the user at a charge point; SimulatedChargePoint (ocpp_cp) builds on it."""

    id_tag: str
    local_list: dict[str, str]
    auth_cache: dict[str, str]

    async def plug(
        self,
        connector: int = 1,
        *,
        soc: float = 50.0,
        capacity_kwh: float = 60.0,
        max_current_a: float = 32.0,
    ) -> None:
        """Plug a car in; a start authorized before (swipe, remote start) begins now."""
        conn = self.connectors[connector]
        conn.plug(soc, capacity_kwh, max_current_a)
        pending = conn.pending
        conn.pending = None
        self.driver.refresh(conn)
        if pending is not None and conn.transaction is None:
            self.begin(conn, pending[0], trigger="CablePluggedIn", remote_start_id=pending[1])
        await self.flush()

    async def unplug(self, connector: int = 1) -> None:
        """Unplug the car, ending a running transaction (EVDisconnected)."""
        conn = self.connectors[connector]
        conn.advance(0)
        conn.unplug()
        if conn.transaction is not None:
            self.end(conn, "EVDisconnected")
        self.driver.refresh(conn)
        await self.flush()

    async def swipe(self, connector: int = 1, id_tag: str | None = None) -> bool:
        """Present a card: Authorize, then start (now if plugged, else when plugged).

        Offline, the local list and the authorization cache decide. Returns whether the card was
        accepted.
        """
        conn = self.connectors[connector]
        tag = id_tag or self.id_tag
        status = None
        if self.connected and self.boot_status == "Accepted":
            try:
                status = self.driver.authorize_status(
                    await self.call(self.driver.authorize_payload(tag))
                )
            except (OfflineError, TimeoutError):
                status = None
            except OCPPError:
                status = "Invalid"
        if status is None:
            status = self.local_list.get(tag) or self.auth_cache.get(tag) or "Invalid"
        else:
            self.auth_cache[tag] = status
        if status != "Accepted":
            return False
        self.start_when_plugged(conn, tag, None, "Authorized")
        await self.flush()
        return True

    async def stop_local(self, connector: int = 1) -> None:
        """Stop the transaction at the charge point (reason Local); the car stays plugged."""
        self.end(self.connectors[connector], "Local")
        await self.flush()

    async def meter_now(self, connector: int = 1) -> None:
        """Send the connector's meter values right away."""
        conn = self.connectors[connector]
        conn.advance(0)
        self.driver.meter(conn, "Sample.Periodic")
        await self.flush()
