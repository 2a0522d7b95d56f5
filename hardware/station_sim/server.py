"""Serve one simulated station over CoAP/UDP, tick its physics, and misbehave on request.

`StationServer` owns an aiocoap server context bound to one host and port and a ticker task;
`freeze`, `resume` and `restart` imitate a hung station, its recovery and a firmware reboot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from types import TracebackType
from typing import Self

from aiocoap import Context

from .model import SimulatedStation
from .resources import StationSite

_LOGGER = logging.getLogger(__name__)


class _BlackHole(asyncio.DatagramProtocol):
    """Swallows datagrams, so a frozen station is silent rather than ICMP-unreachable."""

    def __init__(self) -> None:
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


class StationServer:
    """One station on one UDP address; start() it, stop() it, or make it misbehave."""

    def __init__(
        self, station: SimulatedStation, host: str = "127.0.0.1", port: int = 5683
    ) -> None:
        """Serve `station` on `host`:`port` once started (port 0 is not supported)."""
        self.station = station
        self.host = host
        self.port = port
        self.site: StationSite | None = None
        self._context: Context | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._black_hole: tuple[asyncio.DatagramTransport, _BlackHole] | None = None

    @property
    def uri(self) -> str:
        """Base URI of the station, e.g. `coap://127.0.0.1:5683` or `coap://[::1]:5683`."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"coap://{host}:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the station was started and not stopped (frozen or not)."""
        return self._ticker is not None

    @property
    def frozen(self) -> bool:
        """Whether the station is running but not answering."""
        return self.running and self._context is None

    def observers(self) -> dict[str, int]:
        """How many observations each resource holds (a client's stale ones included)."""
        if self.site is None:
            return {}
        return {resource.name: resource.observer_count for resource in self.site.resources}

    def notify_all(self) -> None:
        """Every resource notifies its observers now, changed or not.

        As a station does at least once a day (RFC 7641, section 4.5); a client that forgot an
        observation answers its notification with a reset.
        """
        if self.site is not None:
            for resource in self.site.resources:
                resource.updated_state()

    async def start(self) -> None:
        """Bind, answer requests and start ticking."""
        if self.running:
            raise RuntimeError(f"{self.station.station_id} is already running")
        await self._open()
        self._ticker = asyncio.create_task(
            self._tick_forever(), name=f"station_sim {self.station.station_id} ticks"
        )

    async def stop(self) -> None:
        """Stop ticking, drop observations and release the port."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        await self._close()
        await self._release_black_hole()

    async def freeze(self, *, refuse: bool = False) -> None:
        """Go silent, keeping state: no answers, no notifications; the physics keeps ticking.

        By default the port stays bound and swallows requests, like a hung firmware (clients time
        out). With `refuse=True` the port is released, so clients get ICMP port-unreachable.
        """
        await self._close()
        if not refuse and self._black_hole is None:
            loop = asyncio.get_running_loop()
            transport, protocol = await loop.create_datagram_endpoint(
                _BlackHole, local_addr=(self.host, self.port)
            )
            self._black_hole = (transport, protocol)

    async def resume(self) -> None:
        """Answer again on the same address; observers must register again."""
        self._require_running()
        await self._release_black_hole()
        if self._context is None:
            await self._open()

    async def restart(self) -> None:
        """Reboot: observations dropped, counters zero, switch off, setpoint back to fallback."""
        self._require_running()
        await self._close()
        await self._release_black_hole()
        self.station.reboot()
        await self._open()

    async def __aenter__(self) -> Self:
        """Start on entering an `async with` block."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop on leaving the block."""
        await self.stop()

    def _require_running(self) -> None:
        if not self.running:
            raise RuntimeError(f"{self.station.station_id} is not running")

    async def _open(self) -> None:
        site = StationSite(self.station)
        self._context = await Context.create_server_context(
            site,
            bind=(self.host, self.port),
            loggername=f"{__name__}.{self.station.station_id}",
            transports=["udp6"],
        )
        self.site = site
        _LOGGER.debug("%s answering on %s", self.station.station_id, self.uri)

    async def _close(self) -> None:
        context, self._context, self.site = self._context, None, None
        if context is not None:
            await context.shutdown()
            _cancel_leftover_timers(context)

    async def _release_black_hole(self) -> None:
        if self._black_hole is not None:
            transport, protocol = self._black_hole
            self._black_hole = None
            transport.close()
            await protocol.closed

    async def _tick_forever(self) -> None:
        loop = asyncio.get_running_loop()
        station = self.station
        period = min(station.tick, station.max_age / 2)
        last = loop.time()
        while True:
            await asyncio.sleep(period)
            now = loop.time()
            station.advance(now - last)
            last = now
            if self.site is not None:
                self.site.publish(now)


def _cancel_leftover_timers(context: Context) -> None:
    """Cancel timers aiocoap 0.4.17 leaves behind after shutdown.

    Its message layer keeps a duplicate-detection timer per received request for 247 s and does
    not cancel them on shutdown; Home Assistant's test harness fails tests on lingering timers.
    """
    owners: list[object] = []
    for interface in context.request_interfaces:
        manager = getattr(interface, "token_interface", None)
        if manager is not None:
            owners += [manager, getattr(manager, "_recent_messages", None)]
    owner_ids = {id(owner) for owner in owners if owner is not None}
    loop = asyncio.get_running_loop()
    for handle in list(getattr(loop, "_scheduled", ())):
        callback = getattr(handle, "_callback", None)
        bound_to = getattr(getattr(callback, "func", callback), "__self__", None)
        arguments = getattr(handle, "_args", None) or ()
        if id(bound_to) in owner_ids or any(id(arg) in owner_ids for arg in arguments):
            handle.cancel()
