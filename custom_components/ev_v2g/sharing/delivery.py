"""Delivering an outcome to the stations, break before make.

The cuts of an outcome go out first, all at once, and its raises only once every cut is
acknowledged. A station whose cut was not acknowledged counts at what it may still apply (its
old setpoint) until its lease ends; power sharing plans again with it counted so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
import logging
import time

from ..const import SETPOINT_EXPIRY_GRACE, SETPOINT_LEASE
from ..transport.errors import StationError
from .inputs import SetpointTarget

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class UnconfirmedCut:
    """A cut the station did not acknowledge: it may still apply `high_a` until `until`."""

    high_a: float
    low_a: float
    until: float


class SetpointDelivery:
    """Sends setpoints in a safe order and remembers what the stations may still apply."""

    def __init__(
        self, targets: Mapping[str, SetpointTarget], taken_over: Callable[[str], bool]
    ) -> None:
        """Deliver to `targets`; a setpoint for a station `taken_over` by the user is dropped."""
        self.targets = targets
        self._taken_over = taken_over
        self.failed: set[str] = set()
        """Stations whose last setpoint did not arrive (tried again soon)."""
        self.unconfirmed: dict[str, UnconfirmedCut] = {}
        self.errors: dict[str, StationError] = {}
        """Why each station in `failed` did not take its last setpoint."""

    def forget(self, key: str) -> None:
        """A station left the site: nothing more is sent to it, nor counted for it."""
        self.failed.discard(key)
        self.unconfirmed.pop(key, None)
        self.errors.pop(key, None)

    def counted_a(self, key: str, now: float) -> float | None:
        """What a station with an unacknowledged cut must be counted at, while that holds."""
        cut = self.unconfirmed.get(key)
        if cut is None:
            return None
        if now >= cut.until or self.targets[key].desired_setpoint_a == cut.low_a:
            del self.unconfirmed[key]  # its lease is over, or the cut landed since
            return None
        return cut.high_a

    def in_force_a(self, key: str) -> float | None:
        """The most a station may apply now: what we delivered last or what it reports."""
        target = self.targets[key]
        known = [
            value
            for value in (target.desired_setpoint_a, target.station.telemetry.setpoint_a)
            if value is not None
        ]
        return max(known) if known else None

    async def deliver(
        self, changes: list[tuple[str, float]], manual: frozenset[str] = frozenset()
    ) -> set[str]:
        """Cuts first, then raises; the stations whose raise was held back (a cut unanswered).

        `manual` are the user's own setpoints, sent although the user has the station.
        """
        cuts: list[tuple[str, float]] = []
        raises: list[tuple[str, float]] = []
        for key, setpoint in changes:
            before = self.in_force_a(key)
            (cuts if before is not None and setpoint < before else raises).append((key, setpoint))
        delivered = await asyncio.gather(
            *(self._send(key, setpoint, key in manual) for key, setpoint in cuts)
        )
        if all(delivered):
            await asyncio.gather(
                *(self._send(key, setpoint, key in manual) for key, setpoint in raises)
            )
            return set()
        return {key for key, _ in raises}

    async def _send(self, key: str, setpoint_a: float, manual: bool) -> bool:
        """Deliver a setpoint; whether the station acknowledged it."""
        if (target := self.targets.get(key)) is None:
            return True  # it left the site while the cuts went out
        before = self.in_force_a(key)
        taken_over = self._taken_over

        def unless() -> bool:
            # The allocator's setpoint yields to the user; the user's yields to the allocator.
            return taken_over(key) is not manual

        try:
            await target.set_setpoint(setpoint_a, unless=unless)
        except StationError as err:
            if key not in self.failed:
                _LOGGER.warning("%s: could not send %s A: %s", target.station.name, setpoint_a, err)
            self.failed.add(key)
            self.errors[key] = err
            if before is not None and setpoint_a < before:
                held = target.held_until or target.station.telemetry.setpoint_until
                until = (held or time.time() + SETPOINT_LEASE) + SETPOINT_EXPIRY_GRACE
                self.unconfirmed[key] = UnconfirmedCut(before, setpoint_a, until)
            return False
        self.failed.discard(key)
        self.errors.pop(key, None)
        return True
