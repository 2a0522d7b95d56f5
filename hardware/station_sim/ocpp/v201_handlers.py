"""OCPP 2.0.1 for the simulated charge point: the calls from the CSMS it answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ocpp.v201 import call_result  # type: ignore[import-untyped]

from .driver import DriverBase
from .profiles import SimProfile
from .wire import after, on

_READ_ONLY = {
    "SmartChargingCtrlr.Enabled": "true",
    "SmartChargingCtrlr.ProfileStackLevel": "10",
    "SmartChargingCtrlr.RateUnit": "A,W",
    "SmartChargingCtrlr.PeriodsPerSchedule": "24",
    "LocalAuthListCtrlr.Entries": "",
}
_INTERVALS = ("OCPPCommCtrlr.HeartbeatInterval", "SampledDataCtrlr.TxUpdatedInterval")


class V201Handlers(DriverBase):
    """The @on / @after handlers of V201Driver (v201), which adds the messages it sends."""

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
        tag = str(id_token["id_token"])
        accepted = self.remote_start(
            evse_id,
            charging_profile,
            lambda profile: profile["charging_schedule"][0],
            call_unique_id,
            lambda conn: self.scheduler.start_when_plugged(
                conn, tag, remote_start_id, "RemoteStart"
            ),
        )
        return call_result.RequestStartTransaction(status="Accepted" if accepted else "Rejected")

    @after("RequestStartTransaction")
    def _after_request_start(self, call_unique_id: str, **_: Any) -> None:
        self.scheduler.run_later(call_unique_id)

    @on("RequestStopTransaction")
    def _request_stop(self, transaction_id: str, call_unique_id: str, **_: Any) -> Any:
        conn = self.transaction_connector(transaction_id)
        if conn is None:
            return call_result.RequestStopTransaction(status="Rejected")
        self.scheduler.later(call_unique_id, lambda: self.scheduler.end(conn, "Remote"))
        return call_result.RequestStopTransaction(status="Accepted")

    @after("RequestStopTransaction")
    def _after_request_stop(self, call_unique_id: str, **_: Any) -> None:
        self.scheduler.run_later(call_unique_id)

    @on("SetChargingProfile")
    def _set_profile(self, evse_id: int, charging_profile: dict[str, Any], **_: Any) -> Any:
        profile = SimProfile.from_wire(
            charging_profile, charging_profile["charging_schedule"][0], evse_id, self.state.now()
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
        state, scheduler = self.state, self.scheduler
        busy = any(conn.transaction is not None for conn in state.connectors.values())
        if type == "OnIdle" and busy:
            state.reset_when_idle = True
            return call_result.Reset(status="Scheduled")
        scheduler.later(call_unique_id, lambda: scheduler.spawn(scheduler.reset("SoftReset")))
        return call_result.Reset(status="Accepted")

    @after("Reset")
    def _after_reset(self, call_unique_id: str, **_: Any) -> None:
        self.scheduler.run_later(call_unique_id)

    @on("TriggerMessage")
    def _trigger(
        self,
        requested_message: str,
        call_unique_id: str,
        evse: dict[str, Any] | None = None,
        **_: Any,
    ) -> Any:
        state, scheduler = self.state, self.scheduler
        number = (evse or {}).get("id")
        if number not in (None, 0) and number not in state.connectors:
            return call_result.TriggerMessage(status="Rejected")
        chosen = [c for n, c in state.connectors.items() if number in (None, 0, n)]

        def meter_values() -> None:
            for conn in chosen:
                if conn.transaction is None:
                    self.meter(conn, "Trigger")

        def transaction_events() -> None:
            for conn in chosen:
                if conn.transaction is not None:
                    self.meter(conn, "Trigger")

        actions: dict[str, Callable[[], None]] = {
            "BootNotification": lambda: scheduler.enqueue(lambda: self.boot_payload("Triggered")),
            "Heartbeat": lambda: scheduler.enqueue(self.heartbeat_payload),
            "StatusNotification": lambda: self.refresh_all(number),
            "MeterValues": meter_values,
            "TransactionEvent": transaction_events,
        }
        action = actions.get(requested_message)
        if action is None:
            return call_result.TriggerMessage(status="NotImplemented")
        scheduler.later(call_unique_id, action)
        return call_result.TriggerMessage(status="Accepted")

    @after("TriggerMessage")
    def _after_trigger(self, call_unique_id: str, **_: Any) -> None:
        self.scheduler.run_later(call_unique_id)

    def _variables(self) -> dict[str, tuple[str, bool]]:
        state = self.state
        values = {key: (value, True) for key, value in _READ_ONLY.items()}
        values["LocalAuthListCtrlr.Entries"] = (str(len(state.local_list)), True)
        values["SmartChargingCtrlr.RateUnit"] = (",".join(state.rate_units), True)
        values[_INTERVALS[0]] = (str(round(state.heartbeat_interval)), False)
        values[_INTERVALS[1]] = (str(round(state.meter_interval)), False)
        values.update({key: (value, False) for key, value in state.config.items()})
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
            return self.set_interval(key == _INTERVALS[0], value)
        self.state.config[key] = value
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
        return call_result.GetLocalListVersion(version_number=self.state.local_list_version)

    @on("ClearCache")
    def _clear_cache(self, **_: Any) -> Any:
        self.state.auth_cache.clear()
        return call_result.ClearCache(status="Accepted")

    @on("UnlockConnector")
    def _unlock(self, evse_id: int, connector_id: int, **_: Any) -> Any:
        conn = self.state.connectors.get(evse_id)
        if conn is None or connector_id != 1:
            return call_result.UnlockConnector(status="UnknownConnector")
        if conn.transaction is not None:
            return call_result.UnlockConnector(status="OngoingAuthorizedTransaction")
        return call_result.UnlockConnector(status="Unlocked")

    @on("DataTransfer")
    def _data_transfer(self, vendor_id: str, data: Any = None, **_: Any) -> Any:
        if vendor_id != self.state.vendor:
            return call_result.DataTransfer(status="UnknownVendorId")
        return call_result.DataTransfer(status="Accepted", data=data)
