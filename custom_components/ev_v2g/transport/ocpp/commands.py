"""Commands to a connected charge point, the same for OCPP 1.6 and 2.0.1.

``ChargePointCommands`` does what both versions share (checking answers, remote-start
bookkeeping, the limit a connector accepted); commands_v16.py and commands_v201.py build the
version's messages.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
import time
from typing import Any

from .connection import OcppConnection
from .errors import CommandRejectedError
from .model import ProfilePurpose, Transaction
from .remote_starts import PendingRemoteStart
from .timefmt import iso_utc

_PURPOSE_NUMBER = {
    ProfilePurpose.CHARGE_POINT_MAX: 1,
    ProfilePurpose.TX_DEFAULT: 2,
    ProfilePurpose.TX: 3,
}


class ChargePointCommands(ABC):
    """What the site can ask of a connected charge point.

    Every command raises ``NotConnectedError`` when the socket is gone, ``CommandTimeoutError``
    when no answer comes within the call timeout and ``CommandRejectedError`` when the charge
    point refuses (its status, e.g. ``Rejected``, or a CALLERROR's code).
    """

    def __init__(self, connection: OcppConnection) -> None:
        """Send over ``connection``."""
        self._connection = connection
        self._record = connection.record

    async def _request(self, payload: Any, *accepted: str) -> Any:
        """Send a command; an answer whose status is not one of ``accepted`` is a refusal."""
        result = await self._connection.request(payload)
        status = getattr(result, "status", None)
        if accepted and status not in accepted:
            info = getattr(result, "status_info", None) or {}
            diagnostic = " ".join(
                str(info[key]) for key in ("reason_code", "additional_info") if info.get(key)
            )
            raise CommandRejectedError(type(payload).__name__, str(status), diagnostic)
        return result

    def _transaction(self, connector: int, action: str) -> Transaction:
        """The connector's running transaction, or a refusal of ``action`` without sending it."""
        transaction = self._record.state.connector(connector).transaction
        if transaction is None:
            raise CommandRejectedError(
                action, "NoTransaction", f"no transaction on connector {connector}"
            )
        return transaction

    async def remote_start(self, connector: int, id_tag: str) -> None:
        """Ask the charge point to start a transaction for ``id_tag`` on ``connector``.

        The transaction it then reports is marked ``remote``.
        """
        remote_start_id = self._record.central.issue_remote_start_id()
        pending = self._record.remote_starts.expect(connector, id_tag, remote_start_id)
        try:
            await self._remote_start(connector, id_tag, pending)
        except BaseException:
            self._record.remote_starts.forget(pending)
            raise

    @abstractmethod
    async def _remote_start(self, connector: int, id_tag: str, pending: PendingRemoteStart) -> None:
        """Send the version's remote start."""

    @abstractmethod
    async def remote_stop(self, connector: int) -> None:
        """Ask the charge point to stop the connector's running transaction."""

    async def set_limit(
        self,
        connector: int,
        limit_a: float,
        purpose: ProfilePurpose,
        *,
        valid_to: float | None,
        stack_level: int = 1,
        phases: int | None = None,
    ) -> None:
        """Send a charging profile of one period limiting the current to ``limit_a`` amperes.

        Args:
            connector: the connector (2.0.1: EVSE); CHARGE_POINT_MAX always goes to 0.
            limit_a: the limit, rounded to 0.1 A.
            purpose: the profile's purpose; TX needs the connector's running transaction.
            valid_to: epoch seconds after which the charge point drops the profile.
            stack_level: the profile's stack level.
            phases: numberPhases of the period, when given.
        """
        if purpose is ProfilePurpose.CHARGE_POINT_MAX:
            connector = 0
        profile_id = _PURPOSE_NUMBER[purpose] * 1_000_000 + connector * 100 + stack_level
        state = self._record.state
        unit, limit = "A", round(limit_a, 1)
        if state.rate_unit == "W":
            unit, limit = "W", float(round(limit_a * state.watts_per_amp))
        profile = self._profile(
            profile_id=profile_id,
            purpose=purpose,
            stack_level=stack_level,
            limit=limit,
            unit=unit,
            phases=phases,
            start=iso_utc(time.time()),
        )
        if valid_to is not None:
            profile["valid_to"] = iso_utc(valid_to)
        await self._set_profile(connector, purpose, profile)
        if connector > 0:
            self._record.state.connector(connector).limit_a = limit_a
            self._record.mark(connector)
            self._record.flush()

    @abstractmethod
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
        """The version's charging profile (snake_case keys) without validTo / transactionId."""

    @abstractmethod
    async def _set_profile(
        self, connector: int, purpose: ProfilePurpose, profile: dict[str, Any]
    ) -> None:
        """Send SetChargingProfile, adding the transaction id a TX profile needs."""

    async def clear_limit(
        self,
        connector: int | None = None,
        purpose: ProfilePurpose | None = None,
        stack_level: int | None = None,
    ) -> None:
        """Clear the charging profiles matching all the given criteria (none given: all).

        ``Unknown`` (nothing matched) counts as done. The connectors' ``limit_a`` is forgotten.
        """
        await self._clear_profile(connector, purpose, stack_level)
        if purpose is ProfilePurpose.CHARGE_POINT_MAX:
            return
        for number, state in self._record.state.connectors.items():
            if connector in (None, 0, number) and state.limit_a is not None:
                state.limit_a = None
                self._record.mark(number)
        self._record.flush()

    @abstractmethod
    async def _clear_profile(
        self, connector: int | None, purpose: ProfilePurpose | None, stack_level: int | None
    ) -> None:
        """Send ClearChargingProfile."""

    @abstractmethod
    async def change_availability(self, connector: int, operative: bool) -> None:
        """Make a connector (0: the whole charge point) operative or inoperative."""

    @abstractmethod
    async def reset(self, hard: bool = False) -> None:
        """Restart the charge point (hard: at once; soft: when idle)."""

    @abstractmethod
    async def trigger(self, message: str, connector: int | None = None) -> None:
        """Ask for a message now: StatusNotification, MeterValues, BootNotification, Heartbeat.

        Raises:
            ValueError: the version has no such trigger.
        """

    async def read_rate_unit(self) -> str:
        """Ask the charger which unit its profiles take, keep it, and return it ("A" or "W").

        A charger that does not say, or takes both, gets A.
        """
        units = await self._rate_units()
        unit = "W" if units == {"W"} else "A"
        self._record.state.rate_unit = unit
        return unit

    @abstractmethod
    async def _rate_units(self) -> set[str]:
        """The units the charger's configuration allows ("A", "W")."""

    @abstractmethod
    async def get_configuration(self, keys: Sequence[str] | None = None) -> dict[str, str]:
        """Configuration values by key (2.0.1: ``Component.Variable``); unknown keys are left out.

        Raises:
            ValueError: 2.0.1 without keys, or a key that is not ``Component.Variable``.
        """

    @abstractmethod
    async def change_configuration(self, key: str, value: str) -> None:
        """Set a configuration value (2.0.1: key ``Component.Variable``)."""

    @abstractmethod
    async def send_local_list(self, tags: Sequence[str], version: int) -> None:
        """Replace the local authorization list by ``tags``, all Accepted."""
