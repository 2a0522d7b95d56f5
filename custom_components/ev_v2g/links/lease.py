"""A station's setpoint with a lease: sent one at a time, renewed before the station drops it.

Both kinds of station fall back by themselves when a lease ends (CoAP `until`, OCPP `validTo`),
so a silent Home Assistant cannot leave a car at a high current. While we are here, the lease of
the setpoint we want is renewed before it ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import logging
import time

from ..const import SETPOINT_LEASE, SETPOINT_REFRESH_MARGIN
from ..core.station import Station
from ..transport.errors import StationError

_LOGGER = logging.getLogger(__name__)

# After contact returns, renew this much later (power sharing's new setpoint comes first).
RENEW_AFTER_CONTACT = 0.5

type SendSetpoint = Callable[[float, int], Awaitable[None]]
"""Deliver a setpoint (A) valid until an epoch second; raises StationError."""


class SetpointLease:
    """The setpoint wanted at one station, and the renewal of its lease."""

    def __init__(self, station: Station, send: SendSetpoint) -> None:
        """Lease setpoints to `station` through `send`."""
        self.station = station
        self.desired_setpoint_a: float | None = None
        """The setpoint last delivered (acknowledged), which the station keeps until held_until."""
        self.held_until: float | None = None
        """Until when the station may apply desired_setpoint_a on its own (its lease)."""
        self.wanted_a: float | None = None
        """The setpoint asked for last; renewals deliver this one, never an older one."""
        self._send = send
        self._lock = asyncio.Lock()
        self._refresh: asyncio.TimerHandle | None = None
        self._refreshing: asyncio.Task[None] | None = None

    async def set(self, setpoint_a: float, *, unless: Callable[[], bool] | None = None) -> None:
        """Send a setpoint with a lease and keep it renewed.

        Setpoints go out one at a time, in the order they were asked for, so an older one never
        overtakes a newer one. `unless` is asked when this one's turn comes: the allocator's
        setpoint is dropped if the user took the station over while it waited behind the user's
        own command.
        """
        async with self._lock:
            if unless is not None and unless():
                return
            self.wanted_a = setpoint_a
            await self._deliver(setpoint_a)

    async def _deliver(self, setpoint_a: float) -> None:
        until = int(time.time()) + SETPOINT_LEASE
        await self._send(setpoint_a, until)
        self.desired_setpoint_a = setpoint_a
        self.held_until = until
        self._schedule(SETPOINT_LEASE - SETPOINT_REFRESH_MARGIN)

    def renew_soon(self) -> None:
        """Renew shortly (contact is back: the station may have dropped our setpoint).

        Not at once: power sharing, told of the contact too, may want another setpoint first,
        and a renewal delivers the one wanted when its turn comes.
        """
        if self.wanted_a is not None:
            self._schedule(RENEW_AFTER_CONTACT)

    def retry_in(self, seconds: float) -> None:
        """Try the setpoint wanted again in `seconds` (it was refused or did not arrive)."""
        if self.wanted_a is not None:
            self._schedule(seconds)

    async def stop(self) -> None:
        """Stop renewing."""
        if self._refresh is not None:
            self._refresh.cancel()
            self._refresh = None
        if self._refreshing is not None:
            self._refreshing.cancel()
            await asyncio.gather(self._refreshing, return_exceptions=True)

    def _schedule(self, delay: float) -> None:
        if self._refresh is not None:
            self._refresh.cancel()
        self._refresh = asyncio.get_running_loop().call_later(delay, self._start_refresh)

    def _start_refresh(self) -> None:
        self._refresh = None
        self._refreshing = asyncio.get_running_loop().create_task(self._renew())

    async def _renew(self) -> None:
        """Renew the lease of the setpoint wanted when our turn comes, not when we were started.

        A setpoint asked for while this waited for the lock replaces the one to renew.
        """
        try:
            async with self._lock:
                if self.wanted_a is None or not self.station.available:
                    return
                await self._deliver(self.wanted_a)
        except StationError as err:
            _LOGGER.debug("%s: setpoint renewal failed: %s", self.station.name, err)
            self._schedule(SETPOINT_REFRESH_MARGIN / 4)
