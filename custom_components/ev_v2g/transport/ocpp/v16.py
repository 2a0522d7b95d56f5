"""OCPP 1.6J: the messages a charge point sends us, and our answers."""

from __future__ import annotations

import logging
import time
from typing import Any, ClassVar

from .connection import OcppConnection
from .dispatch import handles
from .lib import V16_ACTIONS, v16_call, v16_call_result
from .measurands import ENERGY_IMPORT, MeterSample
from .model import ConnectorStatus, OcppVersion, StopReason
from .timefmt import iso_utc

_LOGGER = logging.getLogger(__name__)

_STOP_REASONS = {
    "Local": StopReason.LOCAL,
    "Remote": StopReason.REMOTE,
    "EVDisconnected": StopReason.EV_DISCONNECTED,
}


class V16Connection(OcppConnection):
    """A charge point speaking OCPP 1.6J."""

    _call = v16_call
    _call_result = v16_call_result
    _ocpp_version = "1.6"
    version: ClassVar[OcppVersion] = OcppVersion.V16
    known_actions: ClassVar[frozenset[str]] = V16_ACTIONS
    error_codes: ClassVar[dict[str, str]] = {
        "FormatViolation": "FormationViolation",
        "OccurrenceConstraintViolation": "OccurenceConstraintViolation",
    }

    def _id_tag_info(self, id_tag: str) -> dict[str, str]:
        """``idTagInfo`` for a tag: Accepted when it is one of ours, else Invalid."""
        return {"status": "Accepted" if self.record.authorized(id_tag) else "Invalid"}

    @handles("BootNotification")
    def on_boot_notification(
        self,
        *,
        charge_point_vendor: str,
        charge_point_model: str,
        charge_point_serial_number: str | None = None,
        charge_box_serial_number: str | None = None,
        firmware_version: str | None = None,
        **_: Any,
    ) -> Any:
        """Keep who the charge point is; accept it with our heartbeat interval."""
        state = self.record.state
        info = state.info
        info.vendor = charge_point_vendor
        info.model = charge_point_model
        info.serial_number = charge_point_serial_number or charge_box_serial_number
        info.firmware_version = firmware_version
        state.booted = True
        self.record.mark(None)
        return v16_call_result.BootNotification(
            current_time=iso_utc(time.time()), interval=self.heartbeat_interval, status="Accepted"
        )

    @handles("Heartbeat")
    def on_heartbeat(self, **_: Any) -> Any:
        """Tell the time."""
        return v16_call_result.Heartbeat(current_time=iso_utc(time.time()))

    @handles("StatusNotification")
    def on_status_notification(
        self, connector_id: int, error_code: str, status: str, **_: Any
    ) -> Any:
        """Keep a connector's status (connector 0, the charge point as a whole, is not kept)."""
        if self.record.admits(connector_id):
            self.record.set_status(
                connector_id,
                ConnectorStatus(status),
                None if error_code == "NoError" else error_code,
            )
        return v16_call_result.StatusNotification()

    @handles("Authorize")
    def on_authorize(self, *, id_tag: str, **_: Any) -> Any:
        """Accept our residents' tags."""
        return v16_call_result.Authorize(id_tag_info=self._id_tag_info(id_tag))

    @handles("StartTransaction")
    def on_start_transaction(
        self, connector_id: int, id_tag: str, meter_start: int, timestamp: str, **_: Any
    ) -> Any:
        """Give the transaction an id (also for a refused tag, as 1.6 requires) and keep it."""
        started_at = self.timestamp_of(timestamp, "StartTransaction")
        if not self.record.admits(connector_id):  # 1.6 wants an id even so; nothing is kept
            return v16_call_result.StartTransaction(
                transaction_id=self.record.central.issue_transaction_id(),
                id_tag_info={"status": "Invalid"},
            )
        state = self.record.state.connector(connector_id)
        current = state.transaction
        if (
            current is not None
            and current.started_at == started_at
            and current.id_tag == id_tag
            and current.id.isdigit()
        ):
            transaction_id = int(current.id)  # the same StartTransaction again: same answer
        else:
            transaction_id = self.record.central.issue_transaction_id()
            self.record.begin(
                connector_id,
                str(transaction_id),
                id_tag=id_tag,
                started_at=started_at,
                meter_start_wh=float(meter_start),
            )
            self.record.apply_samples(
                connector_id, [MeterSample(started_at, {ENERGY_IMPORT: float(meter_start)})]
            )
        return v16_call_result.StartTransaction(
            transaction_id=transaction_id, id_tag_info=self._id_tag_info(id_tag)
        )

    @handles("StopTransaction")
    def on_stop_transaction(
        self,
        *,
        meter_stop: int,
        timestamp: str,
        transaction_id: int,
        reason: str | None = None,
        id_tag: str | None = None,
        transaction_data: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> Any:
        """End the transaction, after applying its last meter values."""
        key = str(transaction_id)
        ended_at = self.timestamp_of(timestamp, "StopTransaction")
        if not self.record.recently_ended(key):
            connector = self.record.find_connector(key)
            samples = self.samples_of(transaction_data or [])
            samples.append(MeterSample(ended_at, {ENERGY_IMPORT: float(meter_stop)}))
            self.record.apply_samples(connector, samples, key)
            self.record.end(
                connector,
                key,
                ended_at=ended_at,
                meter_stop_wh=float(meter_stop),
                reason=_STOP_REASONS.get(reason or "Local", StopReason.OTHER),
                id_tag=id_tag,
                started_at=samples[0].timestamp,
            )
        if id_tag is None:
            return v16_call_result.StopTransaction()
        return v16_call_result.StopTransaction(id_tag_info=self._id_tag_info(id_tag))

    @handles("MeterValues")
    def on_meter_values(
        self,
        *,
        connector_id: int,
        meter_value: list[dict[str, Any]],
        transaction_id: int | None = None,
        **_: Any,
    ) -> Any:
        """Apply the samples; a transaction we do not know on an idle connector is adopted."""
        if self.record.admits(connector_id):
            samples = self.samples_of(meter_value)
            key = None if transaction_id is None else str(transaction_id)
            state = self.record.state.connector(connector_id)
            if (
                key is not None
                and samples
                and state.transaction is None
                and not self.record.recently_ended(key)
            ):
                self.record.begin(connector_id, key, id_tag=None, started_at=samples[0].timestamp)
            self.record.apply_samples(connector_id, samples, key)
        return v16_call_result.MeterValues()

    @handles("DataTransfer")
    def on_data_transfer(self, *, vendor_id: str, **_: Any) -> Any:
        """We know no vendor's extensions."""
        _LOGGER.debug("%s: DataTransfer from vendor %s", self.id, vendor_id)
        return v16_call_result.DataTransfer(status="UnknownVendorId")

    @handles("FirmwareStatusNotification")
    def on_firmware_status_notification(self, *, status: str, **_: Any) -> Any:
        """Acknowledge."""
        _LOGGER.debug("%s: firmware %s", self.id, status)
        return v16_call_result.FirmwareStatusNotification()

    @handles("DiagnosticsStatusNotification")
    def on_diagnostics_status_notification(self, *, status: str, **_: Any) -> Any:
        """Acknowledge."""
        _LOGGER.debug("%s: diagnostics %s", self.id, status)
        return v16_call_result.DiagnosticsStatusNotification()
