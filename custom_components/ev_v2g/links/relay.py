"""Opening a station's relay in the background, when a session ends without anyone stopping it.

An authorization is never reused by the next car: a session that ends by unplugging, or one
found running that nobody authorized, leaves the relay open (DESIGN.md section 4).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import logging

from ..core.station import Station
from ..transport.errors import StationError

_LOGGER = logging.getLogger(__name__)


class RelayOpener:
    """Sends one station the command that opens its relay, without holding up the caller."""

    def __init__(self, station: Station, open_relay: Callable[[], Awaitable[None]]) -> None:
        """Open `station`'s relay with `open_relay` (which raises StationError on failure)."""
        self.station = station
        self._open_relay = open_relay
        self._task: asyncio.Task[None] | None = None

    def request(self, why: str) -> None:
        """Open the relay soon (once, however often asked meanwhile)."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._open(why))

    async def _open(self, why: str) -> None:
        try:
            await self._open_relay()
        except StationError as err:
            _LOGGER.warning("%s: could not open the relay (%s): %s", self.station.name, why, err)
        else:
            _LOGGER.debug("%s: relay opened (%s)", self.station.name, why)

    async def stop(self) -> None:
        """Cancel a command still under way."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
