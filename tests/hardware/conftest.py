"""Fixtures for the station simulator's tests: loopback sockets, a served station, a CoAP client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
import contextlib
from dataclasses import dataclass, field
import json
import time
from typing import Any

from aiocoap import GET, PUT, Context, Message
import pytest

from hardware.station_sim import SimulatedStation, StationServer, Vehicle, free_udp_port

LOOPBACK = ["127.0.0.1", "::1", "::ffff:127.0.0.1"]
REQUEST_TIMEOUT = 3.0


@pytest.fixture
def loopback_sockets(request: pytest.FixtureRequest) -> Iterator[None]:
    """Allow real sockets on loopback only, also under pytest-homeassistant-custom-component."""
    try:
        import pytest_socket
    except ImportError:  # plain pytest: sockets are not blocked at all
        yield
        return
    request.getfixturevalue("socket_enabled")
    pytest_socket.socket_allow_hosts(LOOPBACK, allow_unix_socket=True)
    yield


@pytest.fixture
def station() -> SimulatedStation:
    """A quick station: 1 s Max-Age, 50 ms ticks, a steep ramp; nothing plugged."""
    return SimulatedStation(station_id="sim-t", max_age=1, tick=0.05, ramp_a_per_s=200)


@pytest.fixture
async def server(loopback_sockets: None, station: SimulatedStation) -> AsyncIterator[StationServer]:
    """The station served on its own loopback port."""
    server = StationServer(station, host="127.0.0.1", port=free_udp_port("127.0.0.1"))
    await server.start()
    yield server
    await server.stop()


@dataclass
class Observer:
    """An observation whose notifications are collected in the background."""

    request: Any
    first: Message
    received: list[tuple[float, Message]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def _collect(self) -> None:
        async for notification in self.request.observation:
            self.received.append((time.monotonic(), notification))
            self.arrived.set()

    def start(self) -> None:
        """Begin collecting."""
        self.task = asyncio.create_task(self._collect())

    async def stop(self) -> None:
        """Stop collecting and cancel the observation."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        if not self.request.observation.cancelled:
            self.request.observation.cancel()

    def payloads(self) -> list[Any]:
        """The JSON of every notification so far."""
        return [json.loads(message.payload) for _, message in self.received]

    async def wait_count(self, count: int, within_s: float = 2.0) -> None:
        """Wait until at least `count` notifications arrived."""
        async with asyncio.timeout(within_s):
            while len(self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()

    async def wait_for(self, predicate: Any, within_s: float = 3.0) -> Any:
        """Wait until a notification's JSON satisfies `predicate`, and return that JSON."""
        seen = 0
        async with asyncio.timeout(within_s):
            while True:
                while seen < len(self.received):
                    document = json.loads(self.received[seen][1].payload)
                    seen += 1
                    if predicate(document):
                        return document
                self.arrived.clear()
                await self.arrived.wait()


@dataclass
class CoapClient:
    """A small aiocoap client bound to one station's base URI."""

    context: Context
    base: str
    observers: list[Observer] = field(default_factory=list)

    async def get(self, path: str, within_s: float = REQUEST_TIMEOUT) -> Message:
        """GET `path`, giving up after `within_s` seconds."""
        async with asyncio.timeout(within_s):
            return await self.context.request(Message(code=GET, uri=self.base + path)).response

    async def put(
        self, path: str, payload: bytes | str | dict[str, Any], content_format: int | None = None
    ) -> Message:
        """PUT `payload`: dicts go as JSON (50) unless another format is given."""
        if isinstance(payload, dict):
            payload = json.dumps(payload)
            content_format = 50 if content_format is None else content_format
        if isinstance(payload, str):
            payload = payload.encode()
        message = Message(code=PUT, uri=self.base + path, payload=payload)
        if content_format is not None:
            message.opt.content_format = content_format
        async with asyncio.timeout(REQUEST_TIMEOUT):
            return await self.context.request(message).response

    async def json(self, path: str) -> Any:
        """GET `path` and decode its JSON body."""
        return json.loads((await self.get(path)).payload)

    async def observe(self, path: str) -> Observer:
        """Register an observation of `path` and collect its notifications."""
        request = self.context.request(Message(code=GET, uri=self.base + path, observe=0))
        async with asyncio.timeout(REQUEST_TIMEOUT):
            first = await request.response
        observer = Observer(request, first)
        observer.start()
        self.observers.append(observer)
        return observer


@contextlib.asynccontextmanager
async def coap_client(base: str) -> AsyncIterator[CoapClient]:
    """A client context for `base`, shut down cleanly afterwards."""
    context = await Context.create_client_context(transports=["udp6"])
    client = CoapClient(context, base)
    try:
        yield client
    finally:
        for observer in client.observers:
            await observer.stop()
        await context.shutdown()


@pytest.fixture
async def client(server: StationServer) -> AsyncIterator[CoapClient]:
    """A CoAP client talking to `server`."""
    async with coap_client(server.uri) as client:
        yield client


def v2g_car(soc: float = 50.0, capacity_kwh: float = 40.0) -> Vehicle:
    """A vehicle that can discharge."""
    return Vehicle(capacity_kwh=capacity_kwh, soc=soc, v2g=True)
