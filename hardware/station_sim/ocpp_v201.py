"""OCPP 2.0.1 for the simulated charge point: each connector is an EVSE with one connector."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
import uuid

from ocpp.v201 import ChargePoint, call, call_result  # type: ignore[import-untyped]

from .ocpp_driver import DriverBase
from .ocpp_physics import TX, SimConnector, SimProfile, SimTransaction, iso
from .ocpp_wire import LIBRARY_LOGGER, after, on

if TYPE_CHECKING:
    from .ocpp_cp import SimulatedChargePoint

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
_READ_ONLY = {
    "SmartChargingCtrlr.Enabled": "true",
    "SmartChargingCtrlr.ProfileStackLevel": "10",
    "SmartChargingCtrlr.RateUnit": "A,W",
    "SmartChargingCtrlr.PeriodsPerSchedule": "24",
    "LocalAuthListCtrlr.Entries": "",
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
_INTERVALS = ("OCPPCommCtrlr.HeartbeatInterval", "SampledDataCtrlr.TxUpdatedInterval")


def _token(id_tag: str) -> dict[str, str]:
    return {"idToken": id_tag, "type": "ISO14443"}


def _status(result: Any) -> str:
    return str((getattr(result, "id_token_info", None) or {}).get("status", "Accepted"))


class V201Driver(DriverBase, ChargePoint):  # type: ignore[misc]
    """The charging-station side of OCPP 2.0.1, bound to one simulated charge point."""

    def __init__(self, sim: SimulatedChargePoint) -> None:
        """Serve `sim`; the connection is attached on each connect."""
        super().__init__(sim.id, None, sim.response_timeout, LIBRARY_LOGGER)
        self.sim = sim
        for key, value in _WRITABLE.items():
            sim.config.setdefault(key, value)

    # -- what the charging station sends --------------------------------------------------------

    def boot_payload(self, reason: str) -> Any:
        """A BootNotification with its reason (PowerUp, RemoteReset, Triggered, Unknown)."""
        station = {
            "model": self.sim.model,
            "vendorName": self.sim.vendor,
            "serialNumber": self.sim.id[:25],
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
        ]
        return {"timestamp": iso(self.sim.now()), "sampledValue": sampled}

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
        offline = None if self.sim.connected else True
        return call.TransactionEvent(
            event_type=event_type,
            timestamp=iso(self.sim.now()),
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
                timestamp=iso(self.sim.now()),
                connector_status=status,
                evse_id=conn.number,
                connector_id=1,
            )
            self.sim.enqueue(lambda: payload)
        if state != conn.charging_state:
            conn.charging_state = state
            tx = conn.transaction
            if tx is not None:
                info = {"chargingState": state}
                event = self._event(
                    conn, tx, "Updated", "ChargingStateChanged", info=info, context="Trigger"
                )
                self.sim.enqueue(lambda: event, keep=True)

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
                self.sim.end(conn, "DeAuthorized")

        self.sim.enqueue(lambda: event, keep=True, done=started)

    def stop(self, conn: SimConnector, tx: SimTransaction, reason: str) -> None:
        """TransactionEvent Ended with the stopped reason."""
        _, state = conn.status_201()
        info = {"chargingState": state, "stoppedReason": _STOP_REASONS.get(reason, reason)}
        trigger = _STOP_TRIGGERS.get(reason, "AbnormalCondition")
        event = self._event(conn, tx, "Ended", trigger, info=info, context="Transaction.End")
        conn.charging_state = state
        self.sim.enqueue(lambda: event, keep=True)

    def meter(self, conn: SimConnector, context: str) -> None:
        """TransactionEvent Updated during a transaction (kept offline), else MeterValues."""
        tx = conn.transaction
        if tx is None:
            payload = call.MeterValues(
                evse_id=conn.number, meter_value=[self._meter_value(conn, context)]
            )
            self.sim.enqueue(lambda: payload)
            return
        trigger = "Trigger" if context == "Trigger" else "MeterValuePeriodic"
        event = self._event(conn, tx, "Updated", trigger, info={}, context=context)
        self.sim.enqueue(lambda: event, keep=True, periodic=trigger == "MeterValuePeriodic")

    # -- what the CSMS asks -----------------------------------------------------------------------

    @on("RequestStartTransaction")
    def _request_start(
        self,
        id_token: dict[str, Any],
        remote_start_id: int,
        call_unique_id: str,
        evse_id: int | None = None,
        charging_profile: dict[str, Any] | None = None,
        **_: Any,
    ) -> Any:
        conn = self.free_connector(evse_id)
        if (
            not self.sim.accept_remote_start
            or conn is None
            or conn.transaction is not None
            or not conn.available
            or (charging_profile is not None and charging_profile["charging_profile_purpose"] != TX)
        ):
            return call_result.RequestStartTransaction(status="Rejected")
        if charging_profile is not None:
            profile = SimProfile.from_wire(
                charging_profile,
                charging_profile["charging_schedule"][0],
                conn.number,
                self.sim.now(),
            )
            profile.transaction_id = None
            conn.install(profile)
        tag = str(id_token["id_token"])
        self.sim.later(
            call_unique_id,
            lambda: self.sim.start_when_plugged(conn, tag, remote_start_id, "RemoteStart"),
        )
        return call_result.RequestStartTransaction(status="Accepted")

    @after("RequestStartTransaction")
    def _after_request_start(self, call_unique_id: str, **_: Any) -> None:
        self.sim.run_later(call_unique_id)

    @on("RequestStopTransaction")
    def _request_stop(self, transaction_id: str, call_unique_id: str, **_: Any) -> Any:
        conn = self.transaction_connector(transaction_id)
        if conn is None:
            return call_result.RequestStopTransaction(status="Rejected")
        self.sim.later(call_unique_id, lambda: self.sim.end(conn, "Remote"))
        return call_result.RequestStopTransaction(status="Accepted")

    @after("RequestStopTransaction")
    def _after_request_stop(self, call_unique_id: str, **_: Any) -> None:
        self.sim.run_later(call_unique_id)

    @on("SetChargingProfile")
    def _set_profile(self, evse_id: int, charging_profile: dict[str, Any], **_: Any) -> Any:
        profile = SimProfile.from_wire(
            charging_profile, charging_profile["charging_schedule"][0], evse_id, self.sim.now()
        )
        return call_result.SetChargingProfile(status=self.install_profile(evse_id, profile))

    @on("ClearChargingProfile")
    def _clear_profile(
        self,
        charging_profile_id: int | None = None,
        charging_profile_criteria: dict[str, Any] | None = None,
        **_: Any,
    ) -> Any:
        criteria = charging_profile_criteria or {}
        removed = self.clear_profiles(
            profile_id=charging_profile_id,
            connector=criteria.get("evse_id"),
            purpose=criteria.get("charging_profile_purpose"),
            stack_level=criteria.get("stack_level"),
        )
        return call_result.ClearChargingProfile(status="Accepted" if removed else "Unknown")

    @on("ChangeAvailability")
    def _change_availability(
        self, operational_status: str, evse: dict[str, Any] | None = None, **_: Any
    ) -> Any:
        connector = int((evse or {}).get("id", 0))
        status = self.set_availability(connector, operational_status == "Operative")
        return call_result.ChangeAvailability(status=status)

    @on("Reset")
    def _reset(self, type: str, call_unique_id: str, **_: Any) -> Any:  # noqa: A002
        sim = self.sim
        busy = any(conn.transaction is not None for conn in sim.connectors.values())
        if type == "OnIdle" and busy:
            sim.reset_when_idle = True
            return call_result.Reset(status="Scheduled")
        sim.later(call_unique_id, lambda: sim.spawn(sim.reset("SoftReset")))
        return call_result.Reset(status="Accepted")

    @after("Reset")
    def _after_reset(self, call_unique_id: str, **_: Any) -> None:
        self.sim.run_later(call_unique_id)

    @on("TriggerMessage")
    def _trigger(
        self,
        requested_message: str,
        call_unique_id: str,
        evse: dict[str, Any] | None = None,
        **_: Any,
    ) -> Any:
        sim = self.sim
        number = (evse or {}).get("id")
        if number not in (None, 0) and number not in sim.connectors:
            return call_result.TriggerMessage(status="Rejected")
        chosen = [c for n, c in sim.connectors.items() if number in (None, 0, n)]

        def meter_values() -> None:
            for conn in chosen:
                if conn.transaction is None:
                    self.meter(conn, "Trigger")

        def transaction_events() -> None:
            for conn in chosen:
                if conn.transaction is not None:
                    self.meter(conn, "Trigger")

        actions: dict[str, Callable[[], None]] = {
            "BootNotification": lambda: sim.enqueue(lambda: self.boot_payload("Triggered")),
            "Heartbeat": lambda: sim.enqueue(self.heartbeat_payload),
            "StatusNotification": lambda: self.refresh_all(number),
            "MeterValues": meter_values,
            "TransactionEvent": transaction_events,
        }
        action = actions.get(requested_message)
        if action is None:
            return call_result.TriggerMessage(status="NotImplemented")
        sim.later(call_unique_id, action)
        return call_result.TriggerMessage(status="Accepted")

    @after("TriggerMessage")
    def _after_trigger(self, call_unique_id: str, **_: Any) -> None:
        self.sim.run_later(call_unique_id)

    def _variables(self) -> dict[str, tuple[str, bool]]:
        sim = self.sim
        values = {key: (value, True) for key, value in _READ_ONLY.items()}
        values["LocalAuthListCtrlr.Entries"] = (str(len(sim.local_list)), True)
        values[_INTERVALS[0]] = (str(round(sim.heartbeat_interval)), False)
        values[_INTERVALS[1]] = (str(round(sim.meter_interval)), False)
        values.update({key: (value, False) for key, value in sim.config.items()})
        return values

    @staticmethod
    def _lookup(values: dict[str, tuple[str, bool]], item: dict[str, Any]) -> tuple[str, str]:
        """(key, attribute status when the key is unknown, else "")."""
        component = item["component"]["name"]
        key = f"{component}.{item['variable']['name']}"
        if key in values:
            return key, ""
        known = any(name.startswith(f"{component}.") for name in values)
        return key, "UnknownVariable" if known else "UnknownComponent"

    @on("GetVariables")
    def _get_variables(self, get_variable_data: list[dict[str, Any]], **_: Any) -> Any:
        values = self._variables()
        results = []
        for item in get_variable_data:
            key, status = self._lookup(values, item)
            if not status and item.get("attribute_type", "Actual") != "Actual":
                status = "NotSupportedAttributeType"
            result = {
                "attribute_status": status or "Accepted",
                "component": item["component"],
                "variable": item["variable"],
            }
            if not status:
                result["attribute_value"] = values[key][0]
            results.append(result)
        return call_result.GetVariables(get_variable_result=results)

    @on("SetVariables")
    def _set_variables(self, set_variable_data: list[dict[str, Any]], **_: Any) -> Any:
        values = self._variables()
        results = []
        for item in set_variable_data:
            key, status = self._lookup(values, item)
            if not status:
                status = self._set(key, str(item["attribute_value"]), read_only=values[key][1])
            results.append(
                {
                    "attribute_status": status,
                    "component": item["component"],
                    "variable": item["variable"],
                }
            )
        return call_result.SetVariables(set_variable_result=results)

    def _set(self, key: str, value: str, *, read_only: bool) -> str:
        if read_only:
            return "Rejected"
        if key in _INTERVALS:
            try:
                seconds = int(value)
            except ValueError:
                return "Rejected"
            if seconds <= 0:
                return "Rejected"
            if key == _INTERVALS[0]:
                self.sim.heartbeat_interval = float(seconds)
            else:
                self.sim.set_meter_interval(float(seconds))
        else:
            self.sim.config[key] = value
        return "Accepted"

    @on("SendLocalList")
    def _send_local_list(
        self,
        version_number: int,
        update_type: str,
        local_authorization_list: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> Any:
        entries = [
            (entry["id_token"]["id_token"], (entry.get("id_token_info") or {}).get("status"))
            for entry in local_authorization_list or []
        ]
        self.update_local_list(version_number, update_type == "Full", entries)
        return call_result.SendLocalList(status="Accepted")

    @on("GetLocalListVersion")
    def _get_local_list_version(self, **_: Any) -> Any:
        return call_result.GetLocalListVersion(version_number=self.sim.local_list_version)

    @on("ClearCache")
    def _clear_cache(self, **_: Any) -> Any:
        self.sim.auth_cache.clear()
        return call_result.ClearCache(status="Accepted")

    @on("UnlockConnector")
    def _unlock(self, evse_id: int, connector_id: int, **_: Any) -> Any:
        conn = self.sim.connectors.get(evse_id)
        if conn is None or connector_id != 1:
            return call_result.UnlockConnector(status="UnknownConnector")
        if conn.transaction is not None:
            return call_result.UnlockConnector(status="OngoingAuthorizedTransaction")
        return call_result.UnlockConnector(status="Unlocked")

    @on("DataTransfer")
    def _data_transfer(self, vendor_id: str, data: Any = None, **_: Any) -> Any:
        if vendor_id != self.sim.vendor:
            return call_result.DataTransfer(status="UnknownVendorId")
        return call_result.DataTransfer(status="Accepted", data=data)
