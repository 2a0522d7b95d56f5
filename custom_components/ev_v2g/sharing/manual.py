"""The user's own setpoints for stations in manual control, on their way to the stations.

A manual raise is break before make too: it is counted at once, the other stations are cut to
make room, and it goes out only once their cuts are acknowledged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

# Rounding slack when comparing a load with its limit.
EPSILON_A = 1e-6


def fits(load_a: Sequence[float], limit_a: Sequence[float]) -> bool:
    """Whether a planned load per phase stays within the limit on every phase."""
    return all(load <= limit + EPSILON_A for load, limit in zip(load_a, limit_a, strict=True))


class RoomNotMadeError(Exception):
    """A manual raise is held back: a station did not acknowledge the cut that makes room."""


class ManualRequests:
    """Setpoints the user asked for, each with the callers waiting to hear how it went."""

    def __init__(self) -> None:
        """No request yet."""
        self._wanted: dict[str, float] = {}
        self._waiting: dict[str, list[asyncio.Future[None]]] = {}

    def want(self, key: str, setpoint_a: float) -> None:
        """A setpoint for a station, with nobody waiting (one put back after a restart)."""
        self._wanted[key] = setpoint_a

    def ask(self, key: str, setpoint_a: float) -> asyncio.Future[None]:
        """A new setpoint for a station (it replaces one still on its way)."""
        self.want(key, setpoint_a)
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append(waiter)
        return waiter

    def pending(self) -> dict[str, float]:
        """Every setpoint on its way."""
        return dict(self._wanted)

    def wanted(self, key: str) -> float | None:
        """The setpoint on its way to a station, if any."""
        return self._wanted.get(key)

    def sendable(
        self,
        is_manual: Callable[[str], bool],
        in_force_a: Callable[[str], float | None],
        room: bool,
    ) -> tuple[dict[str, float], set[str]]:
        """What may go out now, and the raises held back for want of `room` on the supply.

        A cut always goes; a raise only when the outcome planned with it fits the supply.
        """
        sendable: dict[str, float] = {}
        no_room: set[str] = set()
        for key, setpoint in self._wanted.items():
            if not is_manual(key):
                continue
            before = in_force_a(key)
            if room or (before is not None and setpoint <= before):
                sendable[key] = setpoint
            else:
                no_room.add(key)
        return sendable, no_room

    def settle(self, key: str, error: Exception | None = None) -> None:
        """The station took the setpoint (or failed with `error`): the callers hear it."""
        self._wanted.pop(key, None)
        self._answer(key, error)

    def held(self, key: str) -> None:
        """Held back for now: the callers hear it; it still goes out once there is room."""
        self._answer(key, RoomNotMadeError(key))

    def drop(self, key: str) -> None:
        """The site coordinates the station again: its request is void."""
        self.settle(key)

    def _answer(self, key: str, error: Exception | None) -> None:
        for waiter in self._waiting.pop(key, ()):
            if waiter.done():
                continue
            if error is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(error)
