"""A simulated OCPP 1.6J / 2.0.1 charge point, for tests, the demo and benchmarks.

`SimulatedChargePoint` dials a central system over an aiohttp client WebSocket, boots, reports its
connectors and meters, and answers the central system's calls through the `ocpp` library's
charge-point classes (ocpp_v16, ocpp_v201). It is light enough for a thousand in one process: a
reader task per connection and a ticker task per charge point, no threads of its own::

    cp = SimulatedChargePoint("cp-1", version="ocpp1.6", password="secret", tick=0.05)
    await cp.connect("ws://127.0.0.1:9000")
    await cp.plug(1, soc=40)
    assert await cp.swipe(1)
    await cp.stop()

Messages that belong to a transaction are queued while the socket is down and sent, in order and
with their original timestamps, once it is back; other messages are dropped while offline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from datetime import datetime
import logging
import random

import aiohttp

from .ocpp_actions import CarActions
from .ocpp_driver import Driver
from .ocpp_outbox import MAX_QUEUED, OfflineError
from .ocpp_physics import SimConnector
from .ocpp_profiles import SimProfile, utc_now
from .ocpp_wire import OCPPError

_LOGGER = logging.getLogger(__name__)

VERSIONS = ("ocpp1.6", "ocpp2.0.1")
__all__ = ["MAX_QUEUED", "VERSIONS", "OfflineError", "SimulatedChargePoint"]


class SimulatedChargePoint(CarActions):
    """A charge point with connectors, cars, meters and an OCPP connection to a central system."""

    def __init__(
        self,
        charge_point_id: str,
        *,
        version: str = "ocpp1.6",
        connectors: int = 1,
        password: str | None = None,
        max_current_a: float = 32.0,
        voltage_v: float = 230.0,
        phases: int = 1,
        meter_interval: float = 10.0,
        tick: float = 1.0,
        id_tag: str = "CARD-1",
        vendor: str = "ev_v2g",
        model: str = "SimCP",
        response_timeout: float = 30.0,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        """Describe the charge point; nothing connects until connect() or run().

        Args:
            charge_point_id: Its identity, the last path segment of the URL.
            version: The WebSocket subprotocol, "ocpp1.6" or "ocpp2.0.1".
            connectors: Connectors (2.0.1: EVSEs with one connector each), numbered from 1.
            password: HTTP Basic password (security profile 1), or None for none.
            max_current_a: What the hardware can deliver per phase.
            voltage_v: Line voltage.
            phases: Phases in use (1 or 3).
            meter_interval: Seconds between meter values (MeterValueSampleInterval).
            tick: Seconds between physics steps.
            id_tag: The card swipe() presents by default.
            vendor: BootNotification vendor.
            model: BootNotification model.
            response_timeout: Seconds to wait for the central system's answer to a call.
            session: A shared aiohttp session (a fleet's); by default each charge point has one.
        """
        if version not in VERSIONS:
            raise ValueError(f"version must be one of {VERSIONS}")
        if connectors < 1 or phases not in (1, 2, 3) or tick <= 0 or meter_interval <= 0:
            raise ValueError("need connectors >= 1, phases 1..3, tick > 0, meter_interval > 0")
        super().__init__(
            charge_point_id,
            version=version,
            password=password,
            response_timeout=response_timeout,
            session=session,
        )
        self.max_current_a = max_current_a
        self.voltage_v = voltage_v
        self.phases = phases
        self.meter_interval = meter_interval
        self.tick = tick
        self.id_tag = id_tag
        self.vendor = vendor
        self.model = model
        self.clock: Callable[[], datetime] = utc_now
        """Wall clock (timestamps, profile validity); tests may replace it."""
        self.station_profiles: dict[tuple[str, int], SimProfile] = {}
        """Connector 0's charging profiles by (purpose, stack level)."""
        self.connectors = {
            number: SimConnector(
                number,
                max_current_a=max_current_a,
                voltage_v=voltage_v,
                phases=phases,
                clock=self.now,
                station_profiles=self.station_profiles,
            )
            for number in range(1, connectors + 1)
        }
        self.accept_remote_start = True
        self.accept_profiles = True
        self.send_heartbeats = True
        self.heartbeat_interval = 60.0
        self.local_list: dict[str, str] = {}
        """SendLocalList: id tag → status."""
        self.local_list_version = 0
        self.auth_cache: dict[str, str] = {}
        self.config: dict[str, str] = {}
        """Writable configuration not modelled otherwise (1.6 keys / 2.0.1 Component.Variable)."""
        self.boot_reason = "PowerUp"
        self.reset_when_idle = False
        """2.0.1 Reset OnIdle arrived during a transaction: reset once none runs."""
        self._next_meter = 0.0
        self._next_heartbeat = 0.0
        self._next_boot = 0.0
        self.driver: Driver = self._make_driver()

    def _make_driver(self) -> Driver:
        if self.version == "ocpp1.6":
            from .ocpp_v16 import V16Driver  # noqa: PLC0415 - the drivers import this module

            return V16Driver(self)
        from .ocpp_v201 import V201Driver  # noqa: PLC0415

        return V201Driver(self)

    def connector(self, number: int) -> SimConnector:
        """A connector by number; KeyError for one that does not exist."""
        return self.connectors[number]

    # -- boot, heartbeat, ticks ------------------------------------------------------------------

    async def _boot(self) -> None:
        async with self._send_lock:
            result = await self.call(self.driver.boot_payload(self.boot_reason))
        self.boot_status = str(result.status)
        self.heartbeat_interval = float(result.interval) or self.heartbeat_interval
        loop = asyncio.get_running_loop()
        self._next_boot = loop.time() + (self.heartbeat_interval or 10.0)
        self._next_heartbeat = loop.time() + self.heartbeat_interval
        if self.boot_status == "Accepted":
            self.boot_reason = "Unknown" if self.version == "ocpp2.0.1" else "PowerUp"
        _LOGGER.debug("%s boot %s, heartbeat %s s", self.id, self.boot_status, result.interval)

    async def _reboot(self) -> None:
        """Boot again after a Pending or Rejected answer."""
        with contextlib.suppress(ConnectionError, TimeoutError, OCPPError):
            await self._boot()
            if self.boot_status == "Accepted":
                await self._after_boot()

    async def _after_boot(self) -> None:
        await self.flush()
        for conn in self.connectors.values():
            self.driver.refresh(conn, force=True)
        await self.flush()

    async def _tick_loop(self) -> None:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(random.uniform(0, self.tick))
        last = loop.time()
        self._next_meter = last + self.meter_interval * random.uniform(0.5, 1.0)
        while True:
            await asyncio.sleep(self.tick)
            now = loop.time()
            self.step(now - last)
            last = now
            try:
                await self._timers(now)
            except (ConnectionError, TimeoutError, OCPPError) as err:
                _LOGGER.debug("%s: %r", self.id, err)
            auto = self._auto
            if auto and not auto.connecting and not self.connected and now >= auto.next_at:
                auto.connecting = True
                self.spawn(self._reconnect(auto))
            self.flush_soon()

    def step(self, dt: float) -> None:
        """Advance the physics of every connector by `dt` seconds and report status changes."""
        for conn in self.connectors.values():
            conn.advance(dt)
            self.driver.refresh(conn)

    async def _timers(self, now: float) -> None:
        if now >= self._next_meter:
            self._next_meter = now + self.meter_interval * random.uniform(0.95, 1.05)
            for conn in self.connectors.values():
                self.driver.meter(conn, "Sample.Periodic")
        if not self.connected:
            return
        if self.boot_status != "Accepted":
            if now >= self._next_boot:
                self._next_boot = now + (self.heartbeat_interval or 10.0)
                self.spawn(self._reboot())
        elif self.send_heartbeats and now >= self._next_heartbeat:
            self._next_heartbeat = now + self.heartbeat_interval
            self.enqueue(self.driver.heartbeat_payload)

    def set_meter_interval(self, seconds: float) -> None:
        """Change the meter interval (MeterValueSampleInterval) from now on."""
        self.meter_interval = seconds
        with contextlib.suppress(RuntimeError):
            self._next_meter = asyncio.get_running_loop().time() + seconds
