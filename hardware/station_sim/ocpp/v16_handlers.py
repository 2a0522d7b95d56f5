"""OCPP 1.6J for the simulated charge point: the calls from the central system it answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ocpp.v16 import call_result  # type: ignore[import-untyped]

from .driver import DriverBase
from .profiles import SimProfile
from .wire import after, on

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
_INTEGER_KEYS = ("HeartbeatInterval", "MeterValueSampleInterval")


class V16Handlers(DriverBase):
    """The @on / @after handlers of V16Driver (v16), which adds the messages it sends."""

    @on("RemoteStartTransaction")
    def _remote_start(
        self,
        id_tag: str,
        call_unique_id: str,
        connector_id: int | None = None,
        charging_profile: dict[str, Any] | None = None,
        **_: Any,
    ) -> Any:
        accepted = self.remote_start(
            connector_id,
            charging_profile,
            lambda profile: profile["charging_schedule"],
            call_unique_id,
            lambda conn: self.scheduler.start_when_plugged(conn, id_tag, None, "RemoteStart"),
        )
        return call_result.RemoteStartTransaction(status="Accepted" if accepted else "Rejected")

    @after("RemoteStartTransaction")
    def _after_remote_start(self, call_unique_id: str, **_: Any) -> None:
        self.scheduler.run_later(call_unique_id)

    @on("RemoteStopTransaction")
    def _remote_stop(self, transaction_id: int, call_unique_id: str, **_: Any) -> Any:
        conn = self.transaction_connector(transaction_id)
        if conn is None:
            return call_result.RemoteStopTransaction(status="Rejected")
        self.scheduler.later(call_unique_id, lambda: self.scheduler.end(conn, "Remote"))
        return call_result.RemoteStopTransaction(status="Accepted")

    @after("RemoteStopTransaction")
    def _after_remote_stop(self, call_unique_id: str, **_: Any) -> None:
        self.scheduler.run_later(call_unique_id)

    @on("SetChargingProfile")
    def _set_profile(
        self, connector_id: int, cs_charging_profiles: dict[str, Any], **_: Any
    ) -> Any:
        profile = SimProfile.from_wire(
            cs_charging_profiles,
            cs_charging_profiles["charging_schedule"],
            connector_id,
            self.state.now(),
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
        self.scheduler.later(
            call_unique_id, lambda: self.scheduler.spawn(self.scheduler.reset(reason))
        )
        return call_result.Reset(status="Accepted")

    @after("Reset")
    def _after_reset(self, call_unique_id: str, **_: Any) -> None:
        self.scheduler.run_later(call_unique_id)

    @on("TriggerMessage")
    def _trigger(
        self,
        requested_message: str,
        call_unique_id: str,
        connector_id: int | None = None,
        **_: Any,
    ) -> Any:
        if connector_id not in (None, 0) and connector_id not in self.state.connectors:
            return call_result.TriggerMessage(status="Rejected")
        state, scheduler = self.state, self.scheduler

        def meter_values() -> None:
            for number, conn in state.connectors.items():
                if connector_id in (None, 0, number):
                    self.meter(conn, "Trigger")

        actions: dict[str, Callable[[], None]] = {
            "BootNotification": lambda: scheduler.enqueue(lambda: self.boot_payload("Triggered")),
            "Heartbeat": lambda: scheduler.enqueue(self.heartbeat_payload),
            "StatusNotification": lambda: self.refresh_all(connector_id),
            "MeterValues": meter_values,
        }
        action = actions.get(requested_message)
        if action is None:
            return call_result.TriggerMessage(status="NotImplemented")
        scheduler.later(call_unique_id, action)
        return call_result.TriggerMessage(status="Accepted")

    @after("TriggerMessage")
    def _after_trigger(self, call_unique_id: str, **_: Any) -> None:
        self.scheduler.run_later(call_unique_id)

    def _configuration(self) -> dict[str, tuple[str, bool]]:
        state = self.state
        values = {key: (value, True) for key, value in _READ_ONLY.items()}
        values["NumberOfConnectors"] = (str(len(state.connectors)), True)
        names = {"A": "Current", "W": "Power"}
        values["ChargingScheduleAllowedChargingRateUnit"] = (
            ",".join(names[unit] for unit in state.rate_units),
            True,
        )
        values["HeartbeatInterval"] = (str(round(state.heartbeat_interval)), False)
        values["MeterValueSampleInterval"] = (str(round(state.meter_interval)), False)
        values.update({key: (value, False) for key, value in state.config.items()})
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
            status = self.set_interval(key == "HeartbeatInterval", value)
            return call_result.ChangeConfiguration(status=status)
        self.state.config[key] = value
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
        return call_result.GetLocalListVersion(list_version=self.state.local_list_version)

    @on("ClearCache")
    def _clear_cache(self, **_: Any) -> Any:
        self.state.auth_cache.clear()
        return call_result.ClearCache(status="Accepted")

    @on("UnlockConnector")
    def _unlock(self, connector_id: int, call_unique_id: str, **_: Any) -> Any:
        conn = self.state.connectors.get(connector_id)
        if conn is None:
            return call_result.UnlockConnector(status="NotSupported")
        self.scheduler.later(call_unique_id, lambda: self.scheduler.end(conn, "UnlockCommand"))
        return call_result.UnlockConnector(status="Unlocked")

    @after("UnlockConnector")
    def _after_unlock(self, call_unique_id: str, **_: Any) -> None:
        self.scheduler.run_later(call_unique_id)

    @on("DataTransfer")
    def _data_transfer(self, vendor_id: str, data: str | None = None, **_: Any) -> Any:
        if vendor_id != self.state.vendor:
            return call_result.DataTransfer(status="UnknownVendorId")
        return call_result.DataTransfer(status="Accepted", data=data)
