"""What a booted charge point is sent to join the site, each step on its own, retried with back-off.

Nothing goes to a charger before its BootNotification was accepted (a strict charger drops what
comes earlier). One refused step (a ceiling in the wrong unit, say) does not skip the others,
and a refused step is tried again later, not every few seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import logging

from homeassistant.core import HomeAssistant

from ..transport.errors import StationError

_LOGGER = logging.getLogger(__name__)

FIRST_RETRY = 30.0
LAST_RETRY = 600.0

type Steps = list[tuple[str, Callable[[], Awaitable[None]]]]


class Configuration:
    """Configures the site's charge points as they come online, booted."""

    def __init__(self, hass: HomeAssistant, steps_of: Callable[[str], Steps]) -> None:
        """`steps_of` names a charge point's steps (a label and the command) in their order."""
        self.hass = hass
        self.steps_of = steps_of
        self._running: dict[str, asyncio.Task[None]] = {}

    def begin(self, charge_point_id: str) -> None:
        """Configure a charge point that is online and booted (again from the first step)."""
        self.end(charge_point_id)
        self._running[charge_point_id] = self.hass.async_create_background_task(
            self._configure(charge_point_id),
            f"ev_v2g OCPP configure {charge_point_id}",
            eager_start=False,  # after the answer to its BootNotification has gone out
        )

    def end(self, charge_point_id: str) -> None:
        """Stop configuring a charge point that went away."""
        if (task := self._running.pop(charge_point_id, None)) is not None:
            task.cancel()

    async def stop(self) -> None:
        """Stop every configuration under way."""
        tasks = list(self._running.values())
        self._running.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _configure(self, charge_point_id: str) -> None:
        pending = self.steps_of(charge_point_id)
        delay = FIRST_RETRY
        warned: set[str] = set()
        while pending:
            failed: Steps = []
            for label, step in pending:
                try:
                    await step()
                except StationError as err:
                    failed.append((label, step))
                    if label not in warned:
                        warned.add(label)
                        _LOGGER.warning(
                            "Charge point %s refused the %s (tried again in %.0f s, then less"
                            " often): %s",
                            charge_point_id,
                            label,
                            delay,
                            err,
                        )
            pending = failed
            if pending:
                await asyncio.sleep(delay)
                delay = min(delay * 2, LAST_RETRY)
        self._running.pop(charge_point_id, None)
