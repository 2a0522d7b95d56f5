"""Commands to an OCPP 1.6J charge point."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, override

from .commands import ChargePointCommands
from .errors import CommandRejectedError
from .lib import V16_TRIGGERS, v16_call
from .model import ProfilePurpose
from .remote_starts import PendingRemoteStart


class V16Commands(ChargePointCommands):
    """ChargePointCommands in OCPP 1.6J messages."""

    @override
    async def _remote_start(self, connector: int, id_tag: str, pending: PendingRemoteStart) -> None:
        await self._request(
            v16_call.RemoteStartTransaction(id_tag=id_tag, connector_id=connector), "Accepted"
        )

    @override
    async def remote_stop(self, connector: int) -> None:
        transaction = self._transaction(connector, "RemoteStopTransaction")
        if not transaction.id.isdigit():
            raise CommandRejectedError(
                "RemoteStopTransaction",
                "NoTransaction",
                f"transaction {transaction.id} is not a 1.6 transaction id",
            )
        await self._request(
            v16_call.RemoteStopTransaction(transaction_id=int(transaction.id)), "Accepted"
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
            "charging_profile_id": profile_id,
            "stack_level": stack_level,
            "charging_profile_purpose": purpose.value,
            "charging_profile_kind": "Absolute",
            "charging_schedule": {
                "start_schedule": start,
                "charging_rate_unit": unit,
                "charging_schedule_period": [
                    {"start_period": 0, "limit": limit, "number_phases": phases}
                ],
            },
        }

    @override
    async def _set_profile(
        self, connector: int, purpose: ProfilePurpose, profile: dict[str, Any]
    ) -> None:
        if purpose is ProfilePurpose.TX:
            transaction = self._transaction(connector, "SetChargingProfile")
            if not transaction.id.isdigit():
                raise CommandRejectedError(
                    "SetChargingProfile",
                    "NoTransaction",
                    f"transaction {transaction.id} is not a 1.6 transaction id",
                )
            profile["transaction_id"] = int(transaction.id)
        await self._request(
            v16_call.SetChargingProfile(connector_id=connector, cs_charging_profiles=profile),
            "Accepted",
        )

    @override
    async def _clear_profile(
        self, connector: int | None, purpose: ProfilePurpose | None, stack_level: int | None
    ) -> None:
        await self._request(
            v16_call.ClearChargingProfile(
                connector_id=connector,
                charging_profile_purpose=None if purpose is None else purpose.value,
                stack_level=stack_level,
            ),
            "Accepted",
            "Unknown",
        )

    @override
    async def change_availability(self, connector: int, operative: bool) -> None:
        await self._request(
            v16_call.ChangeAvailability(
                connector_id=connector, type="Operative" if operative else "Inoperative"
            ),
            "Accepted",
            "Scheduled",
        )

    @override
    async def reset(self, hard: bool = False) -> None:
        await self._request(v16_call.Reset(type="Hard" if hard else "Soft"), "Accepted")

    @override
    async def trigger(self, message: str, connector: int | None = None) -> None:
        if message not in V16_TRIGGERS:
            raise ValueError(f"OCPP 1.6 cannot trigger {message}")
        await self._request(
            v16_call.TriggerMessage(requested_message=message, connector_id=connector), "Accepted"
        )

    @override
    async def _rate_units(self) -> set[str]:
        value = (await self.get_configuration(["ChargingScheduleAllowedChargingRateUnit"])).get(
            "ChargingScheduleAllowedChargingRateUnit", ""
        )
        names = {"Current": "A", "Power": "W"}
        return {names[part.strip()] for part in value.split(",") if part.strip() in names}

    @override
    async def get_configuration(self, keys: Sequence[str] | None = None) -> dict[str, str]:
        result = await self._request(
            v16_call.GetConfiguration(key=None if keys is None else list(keys))
        )
        return {
            str(item["key"]): str(item.get("value", "")) for item in result.configuration_key or ()
        }

    @override
    async def change_configuration(self, key: str, value: str) -> None:
        await self._request(
            v16_call.ChangeConfiguration(key=key, value=value), "Accepted", "RebootRequired"
        )

    @override
    async def send_local_list(self, tags: Sequence[str], version: int) -> None:
        await self._request(
            v16_call.SendLocalList(
                list_version=version,
                update_type="Full",
                local_authorization_list=[
                    {"id_tag": tag, "id_tag_info": {"status": "Accepted"}} for tag in tags
                ],
            ),
            "Accepted",
        )
