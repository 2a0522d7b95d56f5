"""OCPP 2.0.1: the messages a charging station sends us, and our answers.

A 2.0.1 EVSE is what the model calls a connector (numbered by ``evseId``).
"""

from __future__ import annotations

import logging
import time
from typing import Any, ClassVar

from .connection import OcppConnection
from .dispatch import handles
from .lib import V201_ACTIONS, v201_call, v201_call_result
from .measurands import ENERGY_IMPORT
from .model import PLUGGED_STATUSES, ConnectorStatus, OcppVersion, StopReason
from .timefmt import iso_utc

_LOGGER = logging.getLogger(__name__)

_STATUSES = {
    "Available": ConnectorStatus.AVAILABLE,
    "Occupied": ConnectorStatus.OCCUPIED,
    "Reserved": ConnectorStatus.RESERVED,
    "Unavailable": ConnectorStatus.UNAVAILABLE,
    "Faulted": ConnectorStatus.FAULTED,
}
_CHARGING_STATES = {
    "Charging": ConnectorStatus.CHARGING,
    "SuspendedEV": ConnectorStatus.SUSPENDED_EV,
    "SuspendedEVSE": ConnectorStatus.SUSPENDED_EVSE,
    "EVConnected": ConnectorStatus.OCCUPIED,
}
_REFINED = frozenset(
    {ConnectorStatus.CHARGING, ConnectorStatus.SUSPENDED_EV, ConnectorStatus.SUSPENDED_EVSE}
)
"""What a transaction's chargingState tells beyond the Occupied of a StatusNotification."""
_STOP_REASONS = {
    "Local": StopReason.LOCAL,
    "Remote": StopReason.REMOTE,
    "EVDisconnected": StopReason.EV_DISCONNECTED,
}


class V201Connection(OcppConnection):
    """A charging station speaking OCPP 2.0.1."""

    _call = v201_call
    _call_result = v201_call_result
    _ocpp_version = "2.0.1"
    version: ClassVar[OcppVersion] = OcppVersion.V201
    known_actions: ClassVar[frozenset[str]] = V201_ACTIONS
    error_codes: ClassVar[dict[str, str]] = {
        "FormationViolation": "FormatViolation",
        "OccurenceConstraintViolation": "OccurrenceConstraintViolation",
    }

    def _id_token_info(self, id_token: dict[str, Any]) -> dict[str, str]:
        """``idTokenInfo`` for a token: Accepted when it is one of ours, else Invalid."""
        accepted = self.record.authorized(id_token.get("id_token"))
        return {"status": "Accepted" if accepted else "Invalid"}

    def _charging_state(self, connector: int, charging_state: str | None) -> None:
        """Refine Occupied into Charging / SuspendedEV / SuspendedEVSE from a transaction."""
        status = self.record.state.connector(connector).status
        if charging_state in _CHARGING_STATES:
            if status is None or status is ConnectorStatus.AVAILABLE or status in PLUGGED_STATUSES:
                self.record.set_status(connector, _CHARGING_STATES[charging_state])
        elif status in _REFINED:  # Idle, or the transaction ended: plugged, no longer charging
            self.record.set_status(connector, ConnectorStatus.OCCUPIED)

    @handles("BootNotification")
    def on_boot_notification(self, *, charging_station: dict[str, Any], **_: Any) -> Any:
        """Keep who the station is; accept it with our heartbeat interval."""
        state = self.record.state
        info = state.info
        info.vendor = charging_station.get("vendor_name")
        info.model = charging_station.get("model")
        info.serial_number = charging_station.get("serial_number")
        info.firmware_version = charging_station.get("firmware_version")
        state.booted = True
        self.record.mark(None)
        return v201_call_result.BootNotification(
            current_time=iso_utc(time.time()), interval=self.heartbeat_interval, status="Accepted"
        )

    @handles("Heartbeat")
    def on_heartbeat(self, **_: Any) -> Any:
        """Tell the time."""
        return v201_call_result.Heartbeat(current_time=iso_utc(time.time()))

    @handles("StatusNotification")
    def on_status_notification(self, *, connector_status: str, evse_id: int, **_: Any) -> Any:
        """Keep an EVSE's status; Occupied keeps what a transaction told more precisely."""
        if self.record.admits(evse_id):
            status = _STATUSES[connector_status]
            current = self.record.state.connector(evse_id).status
            if status is ConnectorStatus.OCCUPIED and current in _REFINED:
                status = current
            self.record.set_status(evse_id, status)
        return v201_call_result.StatusNotification()

    @handles("Authorize")
    def on_authorize(self, *, id_token: dict[str, Any], **_: Any) -> Any:
        """Accept our residents' tokens."""
        return v201_call_result.Authorize(id_token_info=self._id_token_info(id_token))

    @handles("TransactionEvent")
    def on_transaction_event(
        self,
        *,
        event_type: str,
        timestamp: str,
        transaction_info: dict[str, Any],
        evse: dict[str, Any] | None = None,
        id_token: dict[str, Any] | None = None,
        meter_value: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> Any:
        """Start, update (adopting one we do not know) or end a transaction."""
        session = self.record
        transaction_id: str = transaction_info["transaction_id"]
        at = self.timestamp_of(timestamp, "TransactionEvent")
        if evse is not None and evse["id"] > 0:
            connector = int(evse["id"])
            if not session.admits(connector):
                if id_token is None:
                    return v201_call_result.TransactionEvent()
                return v201_call_result.TransactionEvent(id_token_info={"status": "Invalid"})
        else:
            connector = session.find_connector(transaction_id)
        id_tag = None if id_token is None else id_token.get("id_token")
        samples = self.samples_of(meter_value or [])
        if session.recently_ended(transaction_id):
            pass  # a replay of a transaction that is over
        elif event_type == "Ended":
            session.apply_samples(connector, samples, transaction_id)
            state = session.state.connector(connector)
            session.end(
                connector,
                transaction_id,
                ended_at=at,
                meter_stop_wh=state.energy_import_wh,
                reason=_STOP_REASONS.get(
                    transaction_info.get("stopped_reason", "Local"), StopReason.OTHER
                ),
                id_tag=id_tag,
                started_at=samples[0].timestamp if samples else None,
            )
            self._charging_state(connector, None)
        else:
            meter_start = None
            if event_type == "Started" and samples:
                meter_start = samples[0].values.get(ENERGY_IMPORT)
            session.begin(
                connector,
                transaction_id,
                id_tag=id_tag,
                started_at=at,
                meter_start_wh=meter_start,
                remote_start_id=transaction_info.get("remote_start_id"),
            )
            session.apply_samples(connector, samples, transaction_id)
            self._charging_state(connector, transaction_info.get("charging_state"))
        if id_token is None:
            return v201_call_result.TransactionEvent()
        return v201_call_result.TransactionEvent(id_token_info=self._id_token_info(id_token))

    @handles("MeterValues")
    def on_meter_values(self, *, evse_id: int, meter_value: list[dict[str, Any]], **_: Any) -> Any:
        """Apply the samples (EVSE 0, the station's main meter, is not kept)."""
        if self.record.admits(evse_id):
            self.record.apply_samples(evse_id, self.samples_of(meter_value))
        return v201_call_result.MeterValues()

    @handles("NotifyEvent")
    def on_notify_event(self, *, event_data: list[dict[str, Any]], **_: Any) -> Any:
        """Acknowledge (the device model's events are not kept)."""
        _LOGGER.debug("%s: %d events", self.id, len(event_data))
        return v201_call_result.NotifyEvent()

    @handles("NotifyReport")
    def on_notify_report(self, **_: Any) -> Any:
        """Acknowledge (we never ask for reports)."""
        return v201_call_result.NotifyReport()

    @handles("FirmwareStatusNotification")
    def on_firmware_status_notification(self, *, status: str, **_: Any) -> Any:
        """Acknowledge."""
        _LOGGER.debug("%s: firmware %s", self.id, status)
        return v201_call_result.FirmwareStatusNotification()

    @handles("LogStatusNotification")
    def on_log_status_notification(self, *, status: str, **_: Any) -> Any:
        """Acknowledge."""
        _LOGGER.debug("%s: log upload %s", self.id, status)
        return v201_call_result.LogStatusNotification()

    @handles("SecurityEventNotification")
    def on_security_event_notification(self, *, type: str, **_: Any) -> Any:  # noqa: A002
        """Acknowledge; the event is logged."""
        _LOGGER.info("%s reports security event %s", self.id, type)
        return v201_call_result.SecurityEventNotification()

    @handles("DataTransfer")
    def on_data_transfer(self, *, vendor_id: str, **_: Any) -> Any:
        """We know no vendor's extensions."""
        _LOGGER.debug("%s: DataTransfer from vendor %s", self.id, vendor_id)
        return v201_call_result.DataTransfer(status="UnknownVendorId")
