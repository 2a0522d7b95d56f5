"""What the 1.6 and 2.0.1 drivers share: the charge point's stores behind the central system's calls.

A driver is the `ocpp` library's ChargePoint for one version with this mixin in front; the mixin
keeps remote starts, profiles, intervals, availability and the local list in one place. A driver
is handed the charge point's state and a `Scheduler`; `Driver` is what the charge point needs of
a driver.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Protocol

from .profiles import MAX_PURPOSES, TX, SimProfile

if TYPE_CHECKING:
    from .physics import SimConnector
    from .state import ChargePointState
    from .transaction import SimTransaction
    from .wire import WsLink


class Driver(Protocol):
    """What a version's protocol driver (a library ChargePoint subclass) does for the simulator."""

    def attach(self, link: WsLink) -> None:
        """Talk over `link` from now on."""

    async def call(self, payload: Any, suppress: bool = True) -> Any:
        """Send a CALL and return the answer (the library's method)."""

    async def route_message(self, raw: str) -> None:
        """The library's dispatcher of incoming frames."""

    def boot_payload(self, reason: str) -> Any:
        """A BootNotification."""

    def heartbeat_payload(self) -> Any:
        """A Heartbeat."""

    def authorize_payload(self, id_tag: str) -> Any:
        """An Authorize."""

    def authorize_status(self, result: Any) -> str:
        """The status in an Authorize answer."""

    def refresh(self, conn: SimConnector, *, force: bool = False) -> None:
        """Queue the notifications a change of the connector's status calls for."""

    def start(self, conn: SimConnector, tx: SimTransaction, trigger: str) -> None:
        """Queue the start of `tx`."""

    def stop(self, conn: SimConnector, tx: SimTransaction, reason: str) -> None:
        """Queue the end of `tx` (reason in 1.6 terms)."""

    def meter(self, conn: SimConnector, context: str) -> None:
        """Queue a meter reading of the connector."""


class Scheduler(Protocol):
    """What the drivers ask of the charge point: send, wait for an answer to go out, act.

    SimulatedChargePoint is one; the drivers never see the rest of it.
    """

    @property
    def connected(self) -> bool:
        """Whether the WebSocket is open."""

    def enqueue(
        self,
        build: Callable[[], Any],
        *,
        keep: bool = False,
        done: Callable[[Any], None] | None = None,
        periodic: bool = False,
    ) -> None:
        """Queue a CALL; `build` makes its payload when its turn comes."""

    def later(self, unique_id: str, action: Callable[[], None]) -> None:
        """Do `action` once the answer to CALL `unique_id` went out."""

    def run_later(self, unique_id: str) -> None:
        """The answer to `unique_id` went out (the drivers' @after hooks)."""

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run `coro` in the background."""

    def set_meter_interval(self, seconds: float) -> None:
        """Change the meter interval from now on."""

    def end(self, conn: SimConnector, reason: str) -> None:
        """End the connector's transaction (reason in 1.6 terms)."""

    def start_when_plugged(
        self, conn: SimConnector, id_tag: str, remote_start_id: int | None, trigger: str
    ) -> None:
        """Start now if a car is plugged, else as soon as one is."""

    async def reset(self, stop_reason: str) -> None:
        """End every transaction, drop the connection and boot again."""


class DriverBase:
    """Version-independent helpers; the subclass is also an ocpp library ChargePoint."""

    state: ChargePointState
    scheduler: Scheduler
    _connection: Any
    _response_queue: asyncio.Queue[Any]
    _response_timeout: float

    def attach(self, link: WsLink) -> None:
        """Use `link` from now on, forgetting answers still due on the previous connection."""
        self._connection = link
        self._response_queue = asyncio.Queue()
        self._response_timeout = self.state.response_timeout

    def free_connector(self, number: int | None) -> SimConnector | None:
        """The connector a remote start is for: the given one, else a free one (plugged first)."""
        connectors = self.state.connectors
        if number is not None:
            return connectors.get(number)
        free = [c for c in connectors.values() if c.transaction is None and c.available]
        free.sort(key=lambda c: not c.plugged)
        return free[0] if free else None

    def transaction_connector(self, transaction_id: object) -> SimConnector | None:
        """The connector whose running transaction has this id."""
        for conn in self.state.connectors.values():
            if conn.transaction is not None and conn.transaction.id == transaction_id:
                return conn
        return None

    def remote_start(
        self,
        number: int | None,
        charging_profile: dict[str, Any] | None,
        schedule_of: Callable[[dict[str, Any]], dict[str, Any]],
        call_unique_id: str,
        start: Callable[[SimConnector], None],
    ) -> bool:
        """Check a remote start, install its TxProfile and start once answered; whether accepted.

        `schedule_of` picks the profile's schedule from the profile; `start` begins the
        transaction on the chosen connector once the answer went out.
        """
        conn = self.free_connector(number)
        if (
            not self.state.accept_remote_start
            or conn is None
            or conn.transaction is not None
            or not conn.available
            or (charging_profile is not None and charging_profile["charging_profile_purpose"] != TX)
        ):
            return False
        if charging_profile is not None:
            profile = SimProfile.from_wire(
                charging_profile, schedule_of(charging_profile), conn.number, self.state.now()
            )
            profile.transaction_id = None
            conn.install(profile)
        self.scheduler.later(call_unique_id, lambda: start(conn))
        return True

    def set_interval(self, heartbeat: bool, value: str) -> str:
        """Set the heartbeat or the meter interval from a configuration value; the status."""
        try:
            seconds = int(value)
        except ValueError:
            return "Rejected"
        if seconds <= 0:
            return "Rejected"
        if heartbeat:
            self.state.heartbeat_interval = float(seconds)
        else:
            self.scheduler.set_meter_interval(float(seconds))
        return "Accepted"

    def install_profile(self, connector: int, profile: SimProfile) -> str:
        """Store a profile after checking it against the connector; "Accepted" or "Rejected"."""
        if not self.state.accept_profiles or not profile.periods:
            return "Rejected"
        if profile.unit not in self.state.rate_units:
            return "Rejected"
        if profile.purpose in MAX_PURPOSES and connector != 0:
            return "Rejected"
        if connector != 0:
            conn = self.state.connectors.get(connector)
            if conn is None:
                return "Rejected"
            if profile.purpose == TX:
                tx = conn.transaction
                if tx is None or profile.transaction_id not in (None, tx.id):
                    return "Rejected"
                age = (self.state.now() - tx.started_at).total_seconds()
                if age < self.state.tx_profile_settle_s:
                    return "Rejected"
        elif profile.purpose == TX:
            return "Rejected"
        self.clear_profiles(profile_id=profile.id)
        if connector == 0:
            self.state.station_profiles[profile.purpose, profile.stack_level] = profile
        else:
            self.state.connectors[connector].install(profile)
        return "Accepted"

    def clear_profiles(
        self,
        *,
        profile_id: int | None = None,
        connector: int | None = None,
        purpose: str | None = None,
        stack_level: int | None = None,
    ) -> bool:
        """Remove the profiles that match (by id alone when given); whether any was removed."""
        stores = [(0, self.state.station_profiles)] + [
            (number, conn.profiles) for number, conn in self.state.connectors.items()
        ]
        removed = False
        for number, store in stores:
            for key, profile in list(store.items()):
                if profile_id is not None:
                    match = profile.id == profile_id
                else:
                    match = (
                        (connector is None or connector == number)
                        and (purpose is None or purpose == profile.purpose)
                        and (stack_level is None or stack_level == profile.stack_level)
                    )
                if match:
                    del store[key]
                    removed = True
        return removed

    def set_availability(self, connector: int, operative: bool) -> str:
        """Change availability (connector 0: all); "Scheduled" while a transaction runs."""
        if connector == 0:
            targets = list(self.state.connectors.values())
        elif connector in self.state.connectors:
            targets = [self.state.connectors[connector]]
        else:
            return "Rejected"
        busy = False
        for conn in targets:
            conn.available = operative
            busy = busy or conn.transaction is not None
        return "Scheduled" if busy and not operative else "Accepted"

    def update_local_list(
        self, version: int, full: bool, entries: list[tuple[str, str | None]]
    ) -> None:
        """Apply a SendLocalList: (id tag, status or None to remove) entries."""
        if full:
            self.state.local_list.clear()
        for tag, status in entries:
            if status is None:
                self.state.local_list.pop(tag, None)
            else:
                self.state.local_list[tag] = status
        self.state.local_list_version = version

    def refresh_all(self, connector: int | None) -> None:
        """Report the status of one connector, or of all (connector None or 0), again."""
        for number, conn in self.state.connectors.items():
            if connector in (None, 0, number):
                self.refresh(conn, force=True)

    def refresh(self, conn: SimConnector, *, force: bool = False) -> None:
        """Queue the notifications a change of the connector's status calls for."""
        raise NotImplementedError

    def meter(self, conn: SimConnector, context: str) -> None:
        """Queue a meter reading of the connector."""
        raise NotImplementedError

    def boot_payload(self, reason: str) -> Any:
        """A BootNotification."""
        raise NotImplementedError

    def heartbeat_payload(self) -> Any:
        """A Heartbeat."""
        raise NotImplementedError
