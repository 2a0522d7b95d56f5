"""The time of a simulated OCPP charge point: boot, heartbeats, meter values, physics steps.

One task per charge point ticks its connectors' physics, sends what falls due and lets the
connection dial again when it is time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
import contextlib
import logging
import random
from typing import TYPE_CHECKING, Any

from .wire import OCPPError

if TYPE_CHECKING:
    from .connection import Connection
    from .driver import Driver
    from .outbox import Outbox
    from .state import ChargePointState

_LOGGER = logging.getLogger(__name__)


class Ticker:
    """Boots the charge point on each connection and keeps its timers."""

    def __init__(
        self,
        state: ChargePointState,
        driver: Driver,
        outbox: Outbox,
        connection: Connection,
        spawn: Callable[[Coroutine[Any, Any, Any]], None],
    ) -> None:
        """Keep the time of the charge point `state` describes."""
        self.state = state
        self.driver = driver
        self.outbox = outbox
        self.connection = connection
        self.spawn = spawn
        self._task: asyncio.Task[None] | None = None
        self._next_meter = 0.0
        self._next_heartbeat = 0.0
        self._next_boot = 0.0

    async def opened(self) -> None:
        """A connection is open: boot, start ticking, and once accepted report the connectors."""
        await self._boot()
        self.ensure_running()
        if self.state.boot_status == "Accepted":
            await self._after_boot()

    def ensure_running(self) -> None:
        """Start the ticking task unless it runs."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._loop(), name=f"ocpp_sim {self.state.id} ticks")

    async def stop(self) -> None:
        """Stop ticking."""
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def set_meter_interval(self, seconds: float) -> None:
        """Change the meter interval (MeterValueSampleInterval) from now on."""
        self.state.meter_interval = seconds
        with contextlib.suppress(RuntimeError):
            self._next_meter = asyncio.get_running_loop().time() + seconds

    def step(self, dt: float) -> None:
        """Advance the physics of every connector by `dt` seconds and report status changes."""
        for conn in self.state.connectors.values():
            conn.advance(dt)
            self.driver.refresh(conn)

    async def _boot(self) -> None:
        state = self.state
        result = await self.outbox.call_alone(self.driver.boot_payload(state.boot_reason))
        state.boot_status = str(result.status)
        state.heartbeat_interval = float(result.interval) or state.heartbeat_interval
        loop = asyncio.get_running_loop()
        self._next_boot = loop.time() + (state.heartbeat_interval or 10.0)
        self._next_heartbeat = loop.time() + state.heartbeat_interval
        if state.boot_status == "Accepted":
            state.boot_reason = "Unknown" if state.version == "ocpp2.0.1" else "PowerUp"
        _LOGGER.debug("%s boot %s, heartbeat %s s", state.id, state.boot_status, result.interval)

    async def _reboot(self) -> None:
        """Boot again after a Pending or Rejected answer."""
        with contextlib.suppress(ConnectionError, TimeoutError, OCPPError):
            await self._boot()
            if self.state.boot_status == "Accepted":
                await self._after_boot()

    async def _after_boot(self) -> None:
        if self.state.report_delay_s > 0:
            await asyncio.sleep(self.state.report_delay_s)
        await self.outbox.flush()
        for conn in self.state.connectors.values():
            self.driver.refresh(conn, force=True)
        await self.outbox.flush()

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        tick = self.state.tick
        await asyncio.sleep(random.uniform(0, tick))
        last = loop.time()
        self._next_meter = last + self.state.meter_interval * random.uniform(0.5, 1.0)
        while True:
            await asyncio.sleep(tick)
            now = loop.time()
            self.step(now - last)
            last = now
            try:
                await self._timers(now)
            except (ConnectionError, TimeoutError, OCPPError) as err:
                _LOGGER.debug("%s: %r", self.state.id, err)
            self.connection.reconnect_due(now)
            self.outbox.flush_soon()

    async def _timers(self, now: float) -> None:
        state = self.state
        if now >= self._next_meter:
            self._next_meter = now + state.meter_interval * random.uniform(0.95, 1.05)
            for conn in self.state.connectors.values():
                self.driver.meter(conn, "Sample.Periodic")
        if not self.outbox.connected:
            return
        if state.boot_status != "Accepted":
            if now >= self._next_boot:
                self._next_boot = now + (state.heartbeat_interval or 10.0)
                self.spawn(self._reboot())
        elif state.send_heartbeats and now >= self._next_heartbeat:
            self._next_heartbeat = now + state.heartbeat_interval
            self.outbox.enqueue(self.driver.heartbeat_payload)
