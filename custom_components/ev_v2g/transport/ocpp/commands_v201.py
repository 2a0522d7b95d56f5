"""Commands to an OCPP 2.0.1 charging station."""

from __future__ import annotations

from collections.abc import Sequence
import re
from typing import Any, override

from .commands import ChargePointCommands
from .errors import CommandRejectedError
from .lib import V201_TRIGGERS, v201_call
from .model import ProfilePurpose
from .remote_starts import PendingRemoteStart

_PURPOSES = {
    ProfilePurpose.CHARGE_POINT_MAX: "ChargingStationMaxProfile",
    ProfilePurpose.TX_DEFAULT: "TxDefaultProfile",
    ProfilePurpose.TX: "TxProfile",
}
_CARD_UID = re.compile(r"[0-9A-Fa-f]{8}|[0-9A-Fa-f]{14}|[0-9A-Fa-f]{20}")


def id_token(tag: str) -> dict[str, str]:
    """An IdTokenType: ISO14443 for a 4, 7 or 10 byte card UID in hex, else Central."""
    return {"id_token": tag, "type": "ISO14443" if _CARD_UID.fullmatch(tag) else "Central"}


def component_variable(key: str) -> dict[str, dict[str, str]]:
    """``Component.Variable`` as the component and variable of Get/SetVariables.

    Raises:
        ValueError: the key has no dot.
    """
    component, dot, variable = key.partition(".")
    if not dot or not component or not variable:
        raise ValueError(f"OCPP 2.0.1 configuration keys are Component.Variable, not {key!r}")
    return {"component": {"name": component}, "variable": {"name": variable}}


class V201Commands(ChargePointCommands):
    """ChargePointCommands in OCPP 2.0.1 messages."""

    @override
    async def _remote_start(self, connector: int, id_tag: str, pending: PendingRemoteStart) -> None:
        result = await self._request(
            v201_call.RequestStartTransaction(
                id_token=id_token(id_tag),
                remote_start_id=pending.remote_start_id,
                evse_id=connector,
            ),
            "Accepted",
        )
        transaction = self._record.state.connector(connector).transaction
        if (
            transaction is not None
            and transaction.id == result.transaction_id
            and not transaction.remote
        ):
            # Already started (e.g. on plug-in); our request authorized it.
            transaction.remote = True
            self._record.remote_starts.forget(pending)
            self._record.mark(connector)
            self._record.flush()

    @override
    async def remote_stop(self, connector: int) -> None:
        transaction = self._transaction(connector, "RequestStopTransaction")
        await self._request(
            v201_call.RequestStopTransaction(transaction_id=transaction.id), "Accepted"
        )

    @override
    def _profile(
        self,
        *,
        profile_id: int,
        purpose: ProfilePurpose,
        stack_level: int,
        limit: float,
        unit: str,
        phases: int | None,
        start: str,
    ) -> dict[str, Any]:
        return {
            "id": profile_id,
            "stack_level": stack_level,
            "charging_profile_purpose": _PURPOSES[purpose],
            "charging_profile_kind": "Absolute",
            "charging_schedule": [
                {
                    "id": profile_id,
                    "start_schedule": start,
                    "charging_rate_unit": unit,
                    "charging_schedule_period": [
                        {"start_period": 0, "limit": limit, "number_phases": phases}
                    ],
                }
            ],
        }

    @override
    async def _set_profile(
        self, connector: int, purpose: ProfilePurpose, profile: dict[str, Any]
    ) -> None:
        if purpose is ProfilePurpose.TX:
            profile["transaction_id"] = self._transaction(connector, "SetChargingProfile").id
        await self._request(
            v201_call.SetChargingProfile(evse_id=connector, charging_profile=profile), "Accepted"
        )

    @override
    async def _clear_profile(
        self, connector: int | None, purpose: ProfilePurpose | None, stack_level: int | None
    ) -> None:
        criteria = {
            "evse_id": connector,
            "charging_profile_purpose": None if purpose is None else _PURPOSES[purpose],
            "stack_level": stack_level,
        }
        await self._request(
            v201_call.ClearChargingProfile(
                charging_profile_criteria=criteria if any(criteria.values()) else None
            ),
            "Accepted",
            "Unknown",
        )

    @override
    async def change_availability(self, connector: int, operative: bool) -> None:
        await self._request(
            v201_call.ChangeAvailability(
                operational_status="Operative" if operative else "Inoperative",
                evse={"id": connector} if connector > 0 else None,
            ),
            "Accepted",
            "Scheduled",
        )

    @override
    async def reset(self, hard: bool = False) -> None:
        await self._request(
            v201_call.Reset(type="Immediate" if hard else "OnIdle"), "Accepted", "Scheduled"
        )

    @override
    async def trigger(self, message: str, connector: int | None = None) -> None:
        if message not in V201_TRIGGERS:
            raise ValueError(f"OCPP 2.0.1 cannot trigger {message}")
        await self._request(
            v201_call.TriggerMessage(
                requested_message=message, evse=None if connector is None else {"id": connector}
            ),
            "Accepted",
        )

    @override
    async def _rate_units(self) -> set[str]:
        value = (await self.get_configuration(["SmartChargingCtrlr.RateUnit"])).get(
            "SmartChargingCtrlr.RateUnit", ""
        )
        names = {"A": "A", "W": "W"}
        return {names[part.strip()] for part in value.split(",") if part.strip() in names}

    @override
    async def get_configuration(self, keys: Sequence[str] | None = None) -> dict[str, str]:
        if not keys:
            raise ValueError("OCPP 2.0.1 needs the Component.Variable keys to read")
        result = await self._request(
            v201_call.GetVariables(get_variable_data=[component_variable(key) for key in keys])
        )
        return {
            f"{item['component']['name']}.{item['variable']['name']}": str(
                item.get("attribute_value", "")
            )
            for item in result.get_variable_result
            if item.get("attribute_status") == "Accepted"
        }

    @override
    async def change_configuration(self, key: str, value: str) -> None:
        result = await self._request(
            v201_call.SetVariables(
                set_variable_data=[{"attribute_value": value, **component_variable(key)}]
            )
        )
        for item in result.set_variable_result:
            status = item.get("attribute_status")
            if status not in ("Accepted", "RebootRequired"):
                info = item.get("attribute_status_info") or {}
                raise CommandRejectedError(
                    "SetVariables", str(status), str(info.get("reason_code", ""))
                )

    @override
    async def send_local_list(self, tags: Sequence[str], version: int) -> None:
        await self._request(
            v201_call.SendLocalList(
                version_number=version,
                update_type="Full",
                local_authorization_list=[
                    {"id_token": id_token(tag), "id_token_info": {"status": "Accepted"}}
                    for tag in tags
                ]
                or None,
            ),
            "Accepted",
        )
