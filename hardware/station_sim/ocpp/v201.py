"""OCPP 2.0.1 for the simulated charge point: each connector is an EVSE with one connector.

This module builds the messages the charging station sends; v201_handlers answers the CSMS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
import uuid

from ocpp.v201 import ChargePoint, call  # type: ignore[import-untyped]

from .driver import DriverBase
from .physics import SimConnector
from .profiles import iso
from .transaction import SimTransaction
from .v201_handlers import V201Handlers
from .wire import LIBRARY_LOGGER

if TYPE_CHECKING:
    from .driver import Scheduler
    from .state import ChargePointState

_TRIGGERS = {"Authorized": "Authorized", "RemoteStart": "RemoteStart"}
_STOP_TRIGGERS = {
    "EVDisconnected": "EVCommunicationLost",
    "Local": "StopAuthorized",
    "Remote": "RemoteStop",
    "DeAuthorized": "Deauthorized",
    "SoftReset": "ResetCommand",
    "HardReset": "ResetCommand",
    "UnlockCommand": "UnlockCommand",
}
_STOP_REASONS = {
    "SoftReset": "ImmediateReset",
    "HardReset": "ImmediateReset",
    "UnlockCommand": "Other",
}
_WRITABLE = {
    "AlignedDataCtrlr.Interval": "0",
    "SampledDataCtrlr.TxUpdatedMeasurands": "Energy.Active.Import.Register,Power.Active.Import,"
    "Current.Import,Voltage,Current.Offered,SoC",
    "AuthCtrlr.AuthorizeRemoteStart": "false",
    "AuthCtrlr.LocalAuthorizeOffline": "true",
    "LocalAuthListCtrlr.Enabled": "true",
    "OCPPCommCtrlr.MessageAttempts": "3",
}


def _token(id_tag: str) -> dict[str, str]:
    return {"idToken": id_tag, "type": "ISO14443"}


def _status(result: Any) -> str:
    return str((getattr(result, "id_token_info", None) or {}).get("status", "Accepted"))


class V201Driver(V201Handlers, DriverBase, ChargePoint):  # type: ignore[misc]
    """The charging-station side of OCPP 2.0.1, bound to one simulated charge point."""

    def __init__(self, state: ChargePointState, scheduler: Scheduler) -> None:
        """Serve the charge point `state` describes; the connection is attached on each connect."""
        super().__init__(state.id, None, state.response_timeout, LIBRARY_LOGGER)
        self.state = state
        self.scheduler = scheduler
        for key, value in _WRITABLE.items():
            state.config.setdefault(key, value)

    # -- what the charging station sends --------------------------------------------------------

    def boot_payload(self, reason: str) -> Any:
        """A BootNotification with its reason (PowerUp, RemoteReset, Triggered, Unknown)."""
        station = {
            "model": self.state.model,
            "vendorName": self.state.vendor,
            "serialNumber": self.state.id[:25],
            "firmwareVersion": "sim-1.0",
        }
        return call.BootNotification(charging_station=station, reason=reason)

    def heartbeat_payload(self) -> Any:
        """A Heartbeat."""
        return call.Heartbeat()

    def authorize_payload(self, id_tag: str) -> Any:
        """An Authorize with an ISO 14443 token."""
        return call.Authorize(id_token=_token(id_tag))

    def authorize_status(self, result: Any) -> str:
        """idTokenInfo.status of an Authorize answer."""
        return _status(result)

    def _meter_value(self, conn: SimConnector, context: str) -> dict[str, Any]:
        sampled = [
            {
                "value": value,
                "context": context,
                "measurand": measurand,
                "unitOfMeasure": {"unit": unit},
                **({"phase": phase} if phase else {}),
                **({"location": location} if location else {}),
            }
            for measurand, phase, value, unit, location in conn.readings()
            if self.state.measurands is None or measurand in self.state.measurands
        ]
        return {"timestamp": iso(self.state.now()), "sampledValue": sampled}

    def _event(
        self,
        conn: SimConnector,
        tx: SimTransaction,
        event_type: str,
        trigger: str,
        *,
        info: dict[str, Any],
        context: str,
        **extra: Any,
    ) -> Any:
        offline = None if self.scheduler.connected else True
        return call.TransactionEvent(
            event_type=event_type,
            timestamp=iso(self.state.now()),
            trigger_reason=trigger,
            seq_no=tx.next_seq(),
            transaction_info={"transactionId": tx.id, **info},
            meter_value=[self._meter_value(conn, context)],
            offline=offline,
            evse={"id": conn.number, "connectorId": 1},
            **extra,
        )

    def refresh(self, conn: SimConnector, *, force: bool = False) -> None:
        """StatusNotification on a connector status change; TransactionEvent on a charging one."""
        status, state = conn.status_201()
        if status != conn.status or force:
            conn.status = status
            payload = call.StatusNotification(
                timestamp=iso(self.state.now()),
                connector_status=status,
                evse_id=conn.number,
                connector_id=1,
            )
            self.scheduler.enqueue(lambda: payload)
        if state != conn.charging_state:
            conn.charging_state = state
            tx = conn.transaction
            if tx is not None:
                info = {"chargingState": state}
                event = self._event(
                    conn, tx, "Updated", "ChargingStateChanged", info=info, context="Trigger"
                )
                self.scheduler.enqueue(lambda: event, keep=True)

    def start(self, conn: SimConnector, tx: SimTransaction, trigger: str) -> None:
        """TransactionEvent Started, with our own transaction id and the token."""
        tx.id = str(uuid.uuid4())
        _, state = conn.status_201()
        conn.charging_state = state
        info: dict[str, Any] = {"chargingState": state}
        if tx.remote_start_id is not None:
            info["remoteStartId"] = tx.remote_start_id
        event = self._event(
            conn,
            tx,
            "Started",
            _TRIGGERS.get(trigger, "CablePluggedIn"),
            info=info,
            context="Transaction.Begin",
            id_token=_token(tx.id_tag),
        )
        event.timestamp = iso(tx.started_at)

        def started(result: Any) -> None:
            status = _status(result)
            if status != "Accepted" and conn.transaction is tx:
                self.scheduler.end(conn, "DeAuthorized")

        self.scheduler.enqueue(lambda: event, keep=True, done=started)

    def stop(self, conn: SimConnector, tx: SimTransaction, reason: str) -> None:
        """TransactionEvent Ended with the stopped reason."""
        _, state = conn.status_201()
        info = {"chargingState": state, "stoppedReason": _STOP_REASONS.get(reason, reason)}
        trigger = _STOP_TRIGGERS.get(reason, "AbnormalCondition")
        event = self._event(conn, tx, "Ended", trigger, info=info, context="Transaction.End")
        conn.charging_state = state
        self.scheduler.enqueue(lambda: event, keep=True)

    def meter(self, conn: SimConnector, context: str) -> None:
        """TransactionEvent Updated during a transaction (kept offline), else MeterValues."""
        tx = conn.transaction
        if tx is None:
            payload = call.MeterValues(
                evse_id=conn.number, meter_value=[self._meter_value(conn, context)]
            )
            self.scheduler.enqueue(lambda: payload)
            return
        trigger = "Trigger" if context == "Trigger" else "MeterValuePeriodic"
        event = self._event(conn, tx, "Updated", trigger, info={}, context=context)
        self.scheduler.enqueue(lambda: event, keep=True, periodic=trigger == "MeterValuePeriodic")
