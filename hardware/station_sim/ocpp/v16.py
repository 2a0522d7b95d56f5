"""OCPP 1.6J for the simulated charge point: the messages it sends (v16_handlers answers)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ocpp.v16 import ChargePoint, call  # type: ignore[import-untyped]

from .driver import DriverBase
from .physics import SimConnector
from .profiles import iso
from .transaction import SimTransaction
from .v16_handlers import V16Handlers
from .wire import LIBRARY_LOGGER

if TYPE_CHECKING:
    from .driver import Scheduler
    from .state import ChargePointState

_MEASURANDS = (
    "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,Current.Offered,SoC"
)
_WRITABLE = {
    "ConnectionTimeOut": "60",
    "AuthorizeRemoteTxRequests": "false",
    "LocalAuthListEnabled": "true",
    "LocalAuthorizeOffline": "true",
    "MeterValuesSampledData": _MEASURANDS,
    "TransactionMessageAttempts": "3",
    "WebSocketPingInterval": "0",
}


def _status(result: Any) -> str:
    return str((getattr(result, "id_tag_info", None) or {}).get("status", "Invalid"))


class V16Driver(V16Handlers, DriverBase, ChargePoint):  # type: ignore[misc]
    """The charge-point side of OCPP 1.6J, bound to one simulated charge point."""

    def __init__(self, state: ChargePointState, scheduler: Scheduler) -> None:
        """Serve the charge point `state` describes; the connection is attached on each connect."""
        super().__init__(state.id, None, state.response_timeout, LIBRARY_LOGGER)
        self.state = state
        self.scheduler = scheduler
        for key, value in _WRITABLE.items():
            state.config.setdefault(key, value)

    # -- what the charge point sends ------------------------------------------------------------

    def boot_payload(self, reason: str) -> Any:
        """A BootNotification (1.6 has no boot reason)."""
        return call.BootNotification(
            charge_point_vendor=self.state.vendor,
            charge_point_model=self.state.model,
            charge_point_serial_number=self.state.id[:25],
            firmware_version="sim-1.0",
        )

    def heartbeat_payload(self) -> Any:
        """A Heartbeat."""
        return call.Heartbeat()

    def authorize_payload(self, id_tag: str) -> Any:
        """An Authorize."""
        return call.Authorize(id_tag=id_tag)

    def authorize_status(self, result: Any) -> str:
        """idTagInfo.status of an Authorize answer."""
        return _status(result)

    def refresh(self, conn: SimConnector, *, force: bool = False) -> None:
        """A StatusNotification when the connector's status changed (or when forced)."""
        status = conn.status_16()
        if status == conn.status and not force:
            return
        conn.status = status
        payload = call.StatusNotification(
            connector_id=conn.number,
            error_code="NoError",
            status=status,
            timestamp=iso(self.state.now()),
        )
        self.scheduler.enqueue(lambda: payload)

    def _meter_value(self, conn: SimConnector, context: str) -> dict[str, Any]:
        sampled = [
            {
                "value": f"{value:.2f}".rstrip("0").rstrip("."),
                "context": context,
                "format": "Raw",
                "measurand": measurand,
                "unit": unit,
                **({"phase": phase} if phase else {}),
                **({"location": location} if location else {}),
            }
            for measurand, phase, value, unit, location in conn.readings()
            if self.state.measurands is None or measurand in self.state.measurands
        ]
        return {"timestamp": iso(self.state.now()), "sampledValue": sampled}

    def start(self, conn: SimConnector, tx: SimTransaction, trigger: str) -> None:
        """StartTransaction; its answer gives the transaction id (and may deauthorize)."""
        payload = call.StartTransaction(
            connector_id=conn.number,
            id_tag=tx.id_tag,
            meter_start=round(tx.meter_start_wh),
            timestamp=iso(tx.started_at),
        )

        def started(result: Any) -> None:
            tx.id = result.transaction_id
            status = _status(result)
            self.state.auth_cache[tx.id_tag] = status
            if status != "Accepted" and conn.transaction is tx:
                self.scheduler.end(conn, "DeAuthorized")

        self.scheduler.enqueue(lambda: payload, keep=True, done=started)

    def stop(self, conn: SimConnector, tx: SimTransaction, reason: str) -> None:
        """StopTransaction with the final meter value (skipped if the start never got an id)."""
        meter_stop = round(conn.energy_import_wh)
        timestamp = iso(self.state.now())
        data = [self._meter_value(conn, "Transaction.End")]

        def build() -> Any:
            if tx.id is None:
                return None
            return call.StopTransaction(
                meter_stop=meter_stop,
                timestamp=timestamp,
                transaction_id=tx.id,
                reason=reason,
                id_tag=tx.id_tag,
                transaction_data=data,
            )

        self.scheduler.enqueue(build, keep=True)

    def meter(self, conn: SimConnector, context: str) -> None:
        """MeterValues; with the transaction id (and kept while offline) during a transaction."""
        value = self._meter_value(conn, context)
        tx = conn.transaction
        if tx is None:
            payload = call.MeterValues(connector_id=conn.number, meter_value=[value])
            self.scheduler.enqueue(lambda: payload)
            return

        def build() -> Any:
            if tx.id is None:
                return None
            return call.MeterValues(
                connector_id=conn.number, transaction_id=tx.id, meter_value=[value]
            )

        self.scheduler.enqueue(build, keep=True, periodic=context == "Sample.Periodic")
