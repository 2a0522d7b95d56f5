"""OCPP 1.6J for the simulated charge point: the messages it sends and the calls it answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ocpp.v16 import ChargePoint, call, call_result  # type: ignore[import-untyped]

from .ocpp_driver import DriverBase
from .ocpp_physics import TX, SimConnector, SimProfile, SimTransaction, iso
from .ocpp_wire import LIBRARY_LOGGER, after, on

if TYPE_CHECKING:
    from .ocpp_cp import SimulatedChargePoint

_MEASURANDS = (
    "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,Current.Offered,SoC"
)
_READ_ONLY = {
    "NumberOfConnectors": "",
    "ChargeProfileMaxStackLevel": "10",
    "ChargingScheduleAllowedChargingRateUnit": "Current,Power",
    "ChargingScheduleMaxPeriods": "24",
    "MaxChargingProfilesInstalled": "20",
    "SupportedFeatureProfiles": "Core,SmartCharging,RemoteTrigger,LocalAuthListManagement",
    "LocalAuthListMaxLength": "1000",
    "SendLocalListMaxLength": "100",
}
_WRITABLE = {
    "ConnectionTimeOut": "60",
    "AuthorizeRemoteTxRequests": "false",
    "LocalAuthListEnabled": "true",
    "LocalAuthorizeOffline": "true",
    "MeterValuesSampledData": _MEASURANDS,
    "TransactionMessageAttempts": "3",
    "WebSocketPingInterval": "0",
}
_INTEGER_KEYS = ("HeartbeatInterval", "MeterValueSampleInterval")


def _status(result: Any) -> str:
    return str((getattr(result, "id_tag_info", None) or {}).get("status", "Invalid"))


class V16Driver(DriverBase, ChargePoint):  # type: ignore[misc]
    """The charge-point side of OCPP 1.6J, bound to one simulated charge point."""

    def __init__(self, sim: SimulatedChargePoint) -> None:
        """Serve `sim`; the connection is attached on each connect."""
        super().__init__(sim.id, None, sim.response_timeout, LIBRARY_LOGGER)
        self.sim = sim
        for key, value in _WRITABLE.items():
            sim.config.setdefault(key, value)

    # -- what the charge point sends ------------------------------------------------------------

    def boot_payload(self, reason: str) -> Any:
        """A BootNotification (1.6 has no boot reason)."""
        return call.BootNotification(
            charge_point_vendor=self.sim.vendor,
            charge_point_model=self.sim.model,
            charge_point_serial_number=self.sim.id[:25],
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
            timestamp=iso(self.sim.now()),
        )
        self.sim.enqueue(lambda: payload)

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
        ]
        return {"timestamp": iso(self.sim.now()), "sampledValue": sampled}

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
            self.sim.auth_cache[tx.id_tag] = status
            if status != "Accepted" and conn.transaction is tx:
                self.sim.end(conn, "DeAuthorized")

        self.sim.enqueue(lambda: payload, keep=True, done=started)

    def stop(self, conn: SimConnector, tx: SimTransaction, reason: str) -> None:
        """StopTransaction with the final meter value (skipped if the start never got an id)."""
        meter_stop = round(conn.energy_import_wh)
        timestamp = iso(self.sim.now())
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

        self.sim.enqueue(build, keep=True)

    def meter(self, conn: SimConnector, context: str) -> None:
        """MeterValues; with the transaction id (and kept while offline) during a transaction."""
        value = self._meter_value(conn, context)
        tx = conn.transaction
        if tx is None:
            payload = call.MeterValues(connector_id=conn.number, meter_value=[value])
            self.sim.enqueue(lambda: payload)
            return

        def build() -> Any:
            if tx.id is None:
                return None
            return call.MeterValues(
                connector_id=conn.number, transaction_id=tx.id, meter_value=[value]
            )

        self.sim.enqueue(build, keep=True, periodic=context == "Sample.Periodic")

    # -- what the central system asks -------------------------------------------------------------

    @on("RemoteStartTransaction")
    def _remote_start(
        self,
        id_tag: str,
        call_unique_id: str,
        connector_id: int | None = None,
        charging_profile: dict[str, Any] | None = None,
        **_: Any,
    ) -> Any:
        conn = self.free_connector(connector_id)
        if (
            not self.sim.accept_remote_start
            or conn is None
            or conn.transaction is not None
            or not conn.available
            or (charging_profile is not None and charging_profile["charging_profile_purpose"] != TX)
        ):
            return call_result.RemoteStartTransaction(status="Rejected")
        if charging_profile is not None:
            profile = SimProfile.from_wire(
                charging_profile, charging_profile["charging_schedule"], conn.number, self.sim.now()
            )
            profile.transaction_id = None
            conn.install(profile)
        self.sim.later(
            call_unique_id,
            lambda: self.sim.start_when_plugged(conn, id_tag, None, "RemoteStart"),
        )
        return call_result.RemoteStartTransaction(status="Accepted")

    @after("RemoteStartTransaction")
    def _after_remote_start(self, call_unique_id: str, **_: Any) -> None:
        self.sim.run_later(call_unique_id)

    @on("RemoteStopTransaction")
    def _remote_stop(self, transaction_id: int, call_unique_id: str, **_: Any) -> Any:
        conn = self.transaction_connector(transaction_id)
        if conn is None:
            return call_result.RemoteStopTransaction(status="Rejected")
        self.sim.later(call_unique_id, lambda: self.sim.end(conn, "Remote"))
        return call_result.RemoteStopTransaction(status="Accepted")

    @after("RemoteStopTransaction")
    def _after_remote_stop(self, call_unique_id: str, **_: Any) -> None:
        self.sim.run_later(call_unique_id)

    @on("SetChargingProfile")
    def _set_profile(
        self, connector_id: int, cs_charging_profiles: dict[str, Any], **_: Any
    ) -> Any:
        profile = SimProfile.from_wire(
            cs_charging_profiles,
            cs_charging_profiles["charging_schedule"],
            connector_id,
            self.sim.now(),
        )
        return call_result.SetChargingProfile(status=self.install_profile(connector_id, profile))

    @on("ClearChargingProfile")
    def _clear_profile(
        self,
        id: int | None = None,  # noqa: A002 - the field's name on the wire
        connector_id: int | None = None,
        charging_profile_purpose: str | None = None,
        stack_level: int | None = None,
        **_: Any,
    ) -> Any:
        removed = self.clear_profiles(
            profile_id=id,
            connector=connector_id,
            purpose=charging_profile_purpose,
            stack_level=stack_level,
        )
        return call_result.ClearChargingProfile(status="Accepted" if removed else "Unknown")

    @on("ChangeAvailability")
    def _change_availability(self, connector_id: int, type: str, **_: Any) -> Any:  # noqa: A002
        status = self.set_availability(connector_id, type == "Operative")
        return call_result.ChangeAvailability(status=status)

    @on("Reset")
    def _reset(self, type: str, call_unique_id: str, **_: Any) -> Any:  # noqa: A002
        reason = "HardReset" if type == "Hard" else "SoftReset"
        self.sim.later(call_unique_id, lambda: self.sim.spawn(self.sim.reset(reason)))
        return call_result.Reset(status="Accepted")

    @after("Reset")
    def _after_reset(self, call_unique_id: str, **_: Any) -> None:
        self.sim.run_later(call_unique_id)

    @on("TriggerMessage")
    def _trigger(
        self,
        requested_message: str,
        call_unique_id: str,
        connector_id: int | None = None,
        **_: Any,
    ) -> Any:
        if connector_id not in (None, 0) and connector_id not in self.sim.connectors:
            return call_result.TriggerMessage(status="Rejected")
        sim = self.sim

        def meter_values() -> None:
            for number, conn in sim.connectors.items():
                if connector_id in (None, 0, number):
                    self.meter(conn, "Trigger")

        actions: dict[str, Callable[[], None]] = {
            "BootNotification": lambda: sim.enqueue(lambda: self.boot_payload("Triggered")),
            "Heartbeat": lambda: sim.enqueue(self.heartbeat_payload),
            "StatusNotification": lambda: self.refresh_all(connector_id),
            "MeterValues": meter_values,
        }
        action = actions.get(requested_message)
        if action is None:
            return call_result.TriggerMessage(status="NotImplemented")
        sim.later(call_unique_id, action)
        return call_result.TriggerMessage(status="Accepted")

    @after("TriggerMessage")
    def _after_trigger(self, call_unique_id: str, **_: Any) -> None:
        self.sim.run_later(call_unique_id)

    def _configuration(self) -> dict[str, tuple[str, bool]]:
        sim = self.sim
        values = {key: (value, True) for key, value in _READ_ONLY.items()}
        values["NumberOfConnectors"] = (str(len(sim.connectors)), True)
        values["HeartbeatInterval"] = (str(round(sim.heartbeat_interval)), False)
        values["MeterValueSampleInterval"] = (str(round(sim.meter_interval)), False)
        values.update({key: (value, False) for key, value in sim.config.items()})
        return values

    @on("GetConfiguration")
    def _get_configuration(self, key: list[str] | None = None, **_: Any) -> Any:
        values = self._configuration()
        wanted = key or list(values)
        known = [
            {"key": name, "readonly": values[name][1], "value": values[name][0]}
            for name in wanted
            if name in values
        ]
        unknown = [name for name in wanted if name not in values]
        return call_result.GetConfiguration(configuration_key=known, unknown_key=unknown or None)

    @on("ChangeConfiguration")
    def _change_configuration(self, key: str, value: str, **_: Any) -> Any:
        values = self._configuration()
        if key not in values:
            return call_result.ChangeConfiguration(status="NotSupported")
        if values[key][1]:
            return call_result.ChangeConfiguration(status="Rejected")
        if key in _INTEGER_KEYS:
            try:
                seconds = int(value)
            except ValueError:
                return call_result.ChangeConfiguration(status="Rejected")
            if seconds <= 0:
                return call_result.ChangeConfiguration(status="Rejected")
            if key == "HeartbeatInterval":
                self.sim.heartbeat_interval = float(seconds)
            else:
                self.sim.set_meter_interval(float(seconds))
        else:
            self.sim.config[key] = value
        return call_result.ChangeConfiguration(status="Accepted")

    @on("SendLocalList")
    def _send_local_list(
        self,
        list_version: int,
        update_type: str,
        local_authorization_list: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> Any:
        entries = [
            (entry["id_tag"], (entry.get("id_tag_info") or {}).get("status"))
            for entry in local_authorization_list or []
        ]
        self.update_local_list(list_version, update_type == "Full", entries)
        return call_result.SendLocalList(status="Accepted")

    @on("GetLocalListVersion")
    def _get_local_list_version(self, **_: Any) -> Any:
        return call_result.GetLocalListVersion(list_version=self.sim.local_list_version)

    @on("ClearCache")
    def _clear_cache(self, **_: Any) -> Any:
        self.sim.auth_cache.clear()
        return call_result.ClearCache(status="Accepted")

    @on("UnlockConnector")
    def _unlock(self, connector_id: int, call_unique_id: str, **_: Any) -> Any:
        conn = self.sim.connectors.get(connector_id)
        if conn is None:
            return call_result.UnlockConnector(status="NotSupported")
        self.sim.later(call_unique_id, lambda: self.sim.end(conn, "UnlockCommand"))
        return call_result.UnlockConnector(status="Unlocked")

    @after("UnlockConnector")
    def _after_unlock(self, call_unique_id: str, **_: Any) -> None:
        self.sim.run_later(call_unique_id)

    @on("DataTransfer")
    def _data_transfer(self, vendor_id: str, data: str | None = None, **_: Any) -> Any:
        if vendor_id != self.sim.vendor:
            return call_result.DataTransfer(status="UnknownVendorId")
        return call_result.DataTransfer(status="Accepted", data=data)
