"""Interoperability: the client endpoint against libcoap's coap-server (a C implementation).

libcoap's example server offers /time (observable, changes every second) and /example_data
(GET and PUT, observable). Its `-l` switch drops chosen datagrams it sends, and `-N` makes its
notifications non-confirmable: the retransmission and both kinds of notification are checked
against a server nobody here wrote. scripts/setup installs it (libcoap3-bin).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
import socket
import time

import pytest

from custom_components.ev_v2g.transport.coap.client import CoapStationClient
from custom_components.ev_v2g.transport.coap.endpoint import CoapEndpoint
from custom_components.ev_v2g.transport.coap.message import Code, Message, Option
from hardware.station_sim import free_udp_port
from tests.common import eventually
from tests.hardware.coap_tools import COAP_SERVER

pytestmark = pytest.mark.skipif(
    COAP_SERVER is None, reason="libcoap's coap-server is not installed (scripts/setup)"
)

type ServerFactory = Callable[..., contextlib.AbstractAsyncContextManager[int]]


@pytest.fixture
def libcoap_server(loopback: None) -> ServerFactory:
    """Start coap-server on 127.0.0.1 with extra arguments; yields its port."""

    @contextlib.asynccontextmanager
    async def start(*args: str) -> AsyncIterator[int]:
        assert COAP_SERVER is not None
        port = free_udp_port()
        process = await asyncio.create_subprocess_exec(
            COAP_SERVER,
            "-A",
            "127.0.0.1",
            "-p",
            str(port),
            *args,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            await bound(port)
            yield port
        finally:
            process.terminate()
            await process.wait()

    return start


async def bound(port: int) -> None:
    """Wait until the port is taken: a stray byte gets "port unreachable" until then.

    (libcoap ignores the byte, which is not CoAP, and counts no datagram for `-l`.)
    """
    loop = asyncio.get_running_loop()
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.setblocking(False)
            probe.connect(("127.0.0.1", port))
            probe.send(b"\x00")
            try:
                async with asyncio.timeout(0.05):
                    await loop.sock_recv(probe, 16)
            except ConnectionRefusedError:
                await asyncio.sleep(0.02)
                continue
            except TimeoutError:
                return
        return
    pytest.fail("coap-server did not start")


async def wait_until_up(client: CoapStationClient) -> None:
    """The server answers (it takes a moment to bind)."""
    for _ in range(50):
        with contextlib.suppress(Exception):
            await client.request("")
            return
        await asyncio.sleep(0.05)
    pytest.fail("coap-server did not start")


async def test_discovery_put_and_get(endpoint: CoapEndpoint, libcoap_server: ServerFactory) -> None:
    """/.well-known/core is read, a PUT is stored and read back, an unknown path is 4.04."""
    async with libcoap_server() as port:
        client = CoapStationClient(endpoint, "127.0.0.1", port, timeout=2.0)
        await wait_until_up(client)
        assert {"time", "example_data", "async"} <= await client.resource_paths()
        stored = await client.request("example_data", Code.PUT, b"hello from ev_v2g", 0)
        assert stored.payload == b""
        assert (await client.request("example_data")).payload == b"hello from ev_v2g"
        with pytest.raises(Exception, match=r"4\.04"):
            await client.request("nothing-here")


async def test_a_lost_answer_is_retransmitted_for(
    endpoint: CoapEndpoint, libcoap_server: ServerFactory
) -> None:
    """The server drops its first datagram: the request is sent again and answered."""
    async with libcoap_server("-l", "1") as port:
        remote = await endpoint.resolve("127.0.0.1", port)
        start = time.monotonic()
        answer = await asyncio.wait_for(endpoint.request(remote, Code.GET, ""), 4.0)
        took = time.monotonic() - start
    assert answer.code == Code.CONTENT
    assert b"libcoap" in answer.payload
    assert 0.45 <= took <= 1.5  # one retransmission, after 0.5-0.6 s


@pytest.mark.parametrize("confirmable", [True, False], ids=["CON", "NON"])
async def test_observing_time(
    endpoint: CoapEndpoint, libcoap_server: ServerFactory, confirmable: bool
) -> None:
    """/time notifies every second, confirmable or not; each is fresh and goes on after a PUT."""
    async with libcoap_server(*(() if confirmable else ("-N",))) as port:
        client = CoapStationClient(endpoint, "127.0.0.1", port, timeout=2.0)
        await wait_until_up(client)
        observation = endpoint.observe(await client.remote(), "time")
        first = await asyncio.wait_for(observation.first, 2.0)
        assert first.option(Option.OBSERVE) is not None
        got: list[Message] = []
        observation.on_notification = got.append
        with contextlib.suppress(AssertionError):
            await eventually(lambda: len(got) >= 3, 4.5)
        observation.cancel()
    assert len(got) >= 3
    assert len({message.payload for message in got}) == len(got)  # a new time each


async def test_observing_a_resource_that_is_written(
    endpoint: CoapEndpoint, libcoap_server: ServerFactory
) -> None:
    """A PUT to /example_data notifies its observer with the new value."""
    async with libcoap_server() as port:
        client = CoapStationClient(endpoint, "127.0.0.1", port, timeout=2.0)
        await wait_until_up(client)
        observation = endpoint.observe(await client.remote(), "example_data")
        await asyncio.wait_for(observation.first, 2.0)
        got: list[bytes] = []
        observation.on_notification = lambda message: got.append(message.payload)
        await client.request("example_data", Code.PUT, b"6 A", 0)
        await client.request("example_data", Code.PUT, b"16 A", 0)
        with contextlib.suppress(AssertionError):
            await eventually(lambda: got[-1:] == [b"16 A"], 2.0)
        observation.cancel()
    assert got == [b"6 A", b"16 A"]
