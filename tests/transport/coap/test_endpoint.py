"""The client endpoint against a station played datagram by datagram, over real UDP on loopback.

The station here is a plain socket that sends exactly the bytes each test chooses (a
retransmission ignored, an answer from elsewhere, a reordered notification); what the endpoint
sent is read off that socket and decoded by aiocoap, not by the code under test.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import itertools
import random
import socket
import time

import aiocoap
import pytest

from custom_components.ev_v2g.transport.coap.endpoint import (
    CoapEndpoint,
    EndpointClosedError,
    Remote,
    ResetError,
    Tuning,
)
from custom_components.ev_v2g.transport.coap.message import (
    Code,
    Message,
    MessageError,
    MessageType,
    Option,
    uint_option,
)
from custom_components.ev_v2g.transport.coap.observation import Observation

QUICK = Tuning(ack_timeout=0.1, random_factor=1.0, max_retransmit=2)


class FakeStation:
    """A UDP socket on 127.0.0.1 that the test drives by hand."""

    def __init__(self) -> None:
        """Bind to a free port."""
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.port: int = self.sock.getsockname()[1]
        self.peer: tuple[str, int] | None = None

    async def receive(self, within: float = 2.0) -> tuple[aiocoap.Message, float]:
        """The next datagram, as aiocoap reads it, with the moment it arrived."""
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(within):
            data, self.peer = await loop.sock_recvfrom(self.sock, 2048)
        return aiocoap.Message.decode(data), time.monotonic()

    async def nothing(self, within: float) -> None:
        """Assert that nothing arrives for `within` seconds."""
        with pytest.raises(TimeoutError):
            await self.receive(within)

    def send(self, message: Message | bytes, sock: socket.socket | None = None) -> None:
        """Send to the endpoint (from another socket when `sock` is given)."""
        assert self.peer is not None
        data = message if isinstance(message, bytes) else message.encode()
        (sock or self.sock).sendto(data, self.peer)

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()


@pytest.fixture
async def station(loopback: None) -> AsyncIterator[FakeStation]:
    """A fake station."""
    fake = FakeStation()
    yield fake
    fake.close()


@pytest.fixture
async def endpoint(loopback: None) -> AsyncIterator[CoapEndpoint]:
    """The endpoint under test."""
    opened = await CoapEndpoint.create()
    yield opened
    await opened.shutdown()


async def remote_of(endpoint: CoapEndpoint, station: FakeStation) -> Remote:
    """The station's address as the endpoint sends to it."""
    return await endpoint.resolve("127.0.0.1", station.port)


def answer(
    to: aiocoap.Message, mtype: MessageType, code: int, payload: bytes = b"", **kw: object
) -> Message:
    """An answer to `to` (same id for an ACK or RST, same token for a response)."""
    mid = to.mid if mtype in {MessageType.ACK, MessageType.RST} else int(kw.pop("mid", 1))
    options = kw.pop("options", ())
    assert isinstance(options, tuple)
    token = b"" if code == Code.EMPTY else to.token
    return Message(mtype, code, mid, token, options, payload)


def block(number: int, more: bool, size_exponent: int = 0) -> tuple[int, bytes]:
    """A Block2 option: block `number`, more to come or not, blocks of 16 << size_exponent."""
    return (Option.BLOCK2, uint_option(number << 4 | more << 3 | size_exponent))


def notification(
    token: bytes,
    mid: int,
    number: int,
    payload: bytes = b"",
    *,
    mtype: MessageType = MessageType.NON,
    more: bool | None = None,
) -> Message:
    """Notification `number` of an observation (its first block, when `more` is given)."""
    options: tuple[tuple[int, bytes], ...] = ((Option.OBSERVE, uint_option(number)),)
    if more is not None:
        options = (*options, block(0, more))
    return Message(mtype, Code.CONTENT, mid, token, options, payload)


async def registered(
    endpoint: CoapEndpoint,
    station: FakeStation,
    path: str,
    payload: bytes = b"{}",
    *,
    more: bool | None = None,
) -> tuple[Observation, bytes]:
    """Observe `path`; the station answers the registration (notification 1) in its ACK."""
    observation = endpoint.observe(await remote_of(endpoint, station), path)
    sent, _ = await station.receive()
    first = notification(sent.token, sent.mid, 1, payload, mtype=MessageType.ACK, more=more)
    station.send(first)
    return observation, sent.token


async def test_piggybacked_answer(endpoint: CoapEndpoint, station: FakeStation) -> None:
    """A confirmable PUT with its path and payload; the answer comes back in the ACK."""
    request = asyncio.create_task(
        endpoint.request(
            await remote_of(endpoint, station),
            Code.PUT,
            "regulator",
            payload=b'{"setpoint_ma": 6000}',
            content_format=50,
        )
    )
    sent, _ = await station.receive()
    assert (sent.mtype, sent.code, sent.opt.uri_path) == (aiocoap.CON, aiocoap.PUT, ("regulator",))
    assert sent.opt.content_format == 50
    assert sent.payload == b'{"setpoint_ma": 6000}'
    assert len(sent.token) == 4
    station.send(answer(sent, MessageType.ACK, Code.CHANGED, b"ok"))
    response = await request
    assert (response.code, response.payload) == (Code.CHANGED, b"ok")


async def test_separate_answer_is_acknowledged(
    endpoint: CoapEndpoint, station: FakeStation
) -> None:
    """An empty ACK stops the retransmissions; the later confirmable answer gets its own ACK."""
    request = asyncio.create_task(
        endpoint.request(await remote_of(endpoint, station), Code.GET, "energy", tuning=QUICK)
    )
    sent, _ = await station.receive()
    station.send(answer(sent, MessageType.ACK, Code.EMPTY))
    await station.nothing(0.35)  # acknowledged: no retransmission
    station.send(answer(sent, MessageType.CON, Code.CONTENT, b"[]", mid=4242))
    ack, _ = await station.receive()
    assert (ack.mtype, ack.code, ack.mid, ack.token) == (aiocoap.ACK, aiocoap.EMPTY, 4242, b"")
    assert (await request).payload == b"[]"


async def test_retransmissions_back_off_then_give_up(
    endpoint: CoapEndpoint, station: FakeStation
) -> None:
    """Unanswered: the same message again after 0.1 s, 0.2 s, then TimeoutError after 0.4 s."""
    start = time.monotonic()
    request = asyncio.create_task(
        endpoint.request(await remote_of(endpoint, station), Code.GET, "current", tuning=QUICK)
    )
    copies = [await station.receive() for _ in range(3)]
    assert len({(copy.mid, copy.token) for copy, _ in copies}) == 1
    gaps = [b - a for (_, a), (_, b) in itertools.pairwise(copies)]
    assert 0.09 <= gaps[0] <= 0.2
    assert 0.19 <= gaps[1] <= 0.35
    with pytest.raises(TimeoutError):
        await request
    assert 0.65 <= time.monotonic() - start <= 1.2
    await station.nothing(0.2)


async def test_a_late_copy_of_the_answer_is_harmless(
    endpoint: CoapEndpoint, station: FakeStation
) -> None:
    """The first answer is taken; a retransmitted copy of it is dropped, the next request works."""
    remote = await remote_of(endpoint, station)
    request = asyncio.create_task(endpoint.request(remote, Code.GET, "switch"))
    sent, _ = await station.receive()
    reply = answer(sent, MessageType.ACK, Code.CONTENT, b"on")
    station.send(reply)
    assert (await request).payload == b"on"
    discarded = endpoint.discarded
    station.send(reply)
    await asyncio.sleep(0.05)
    assert endpoint.discarded == discarded + 1
    second = asyncio.create_task(endpoint.request(remote, Code.GET, "switch"))
    sent, _ = await station.receive()
    station.send(answer(sent, MessageType.ACK, Code.CONTENT, b"off"))
    assert (await second).payload == b"off"


async def test_answers_from_elsewhere_are_ignored(
    endpoint: CoapEndpoint, station: FakeStation
) -> None:
    """Right id and token from another port: ignored; the station's own answer is taken."""
    request = asyncio.create_task(
        endpoint.request(await remote_of(endpoint, station), Code.GET, "vehicle")
    )
    sent, _ = await station.receive()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stranger:
        stranger.bind(("127.0.0.1", 0))
        station.send(answer(sent, MessageType.ACK, Code.CONTENT, b"forged"), stranger)
        station.send(answer(sent, MessageType.NON, Code.CONTENT, b"forged"), stranger)
        await asyncio.sleep(0.05)
        assert not request.done()
    station.send(answer(sent, MessageType.ACK, Code.CONTENT, b"real"))
    assert (await request).payload == b"real"


async def test_reset(endpoint: CoapEndpoint, station: FakeStation) -> None:
    """A reset ends the request with ResetError at once."""
    request = asyncio.create_task(
        endpoint.request(await remote_of(endpoint, station), Code.GET, "current")
    )
    sent, _ = await station.receive()
    station.send(answer(sent, MessageType.RST, Code.EMPTY))
    with pytest.raises(ResetError):
        await request


async def test_pings_requests_and_unknown_tokens_get_a_reset(
    endpoint: CoapEndpoint, station: FakeStation
) -> None:
    """The endpoint serves nothing: a CoAP ping, a request or a stray notification is reset."""
    request = asyncio.create_task(
        endpoint.request(await remote_of(endpoint, station), Code.GET, "current")
    )
    sent, _ = await station.receive()
    for stray in (
        Message(MessageType.CON, Code.EMPTY, 77),
        Message(MessageType.CON, Code.GET, 78, b"q", ((Option.URI_PATH, b"x"),)),
        Message(MessageType.CON, Code.CONTENT, 79, b"nobody", ((Option.OBSERVE, b"\x05"),)),
        Message(MessageType.NON, Code.CONTENT, 80, b"nobody", ((Option.OBSERVE, b"\x06"),)),
    ):
        station.send(stray)
        reset, _ = await station.receive()
        assert (reset.mtype, reset.code, reset.mid) == (aiocoap.RST, aiocoap.EMPTY, stray.mid)
    station.send(Message(MessageType.NON, Code.GET, 81, b"q"))  # a NON request: nothing
    await station.nothing(0.1)
    station.send(answer(sent, MessageType.ACK, Code.CONTENT, b"fine"))
    assert (await request).payload == b"fine"


async def test_notifications_in_order_acknowledged_and_fresh(
    endpoint: CoapEndpoint, station: FakeStation
) -> None:
    """CON notifications are acknowledged; repeated or older sequence numbers are not delivered.

    Ends with a notification without Observe (RFC 7641: the observation is over); later ones
    get a reset.
    """
    observation = endpoint.observe(await remote_of(endpoint, station), "current", QUICK)
    sent, _ = await station.receive()
    assert (sent.opt.observe, sent.opt.uri_path) == (0, ("current",))
    token = sent.token

    def notification(number: int | None, mid: int, mtype: MessageType) -> Message:
        options = () if number is None else ((Option.OBSERVE, number.to_bytes(3, "big")),)
        return Message(mtype, Code.CONTENT, mid, token, options, f"n{number}".encode())

    station.send(
        Message(
            MessageType.ACK, Code.CONTENT, sent.mid, token, ((Option.OBSERVE, b"\x01"),), b"first"
        )
    )
    assert (await observation.first).payload == b"first"
    got: list[bytes] = []
    observation.on_notification = lambda message: got.append(message.payload)
    for number, mid, mtype in [
        (2, 10, MessageType.CON),
        (2, 10, MessageType.CON),  # the same one again (its ACK was lost)
        (4, 11, MessageType.NON),
        (3, 12, MessageType.CON),  # overtaken on the way
        ((1 << 24) - 1, 13, MessageType.NON),  # more than 2^23 ahead: older, not newer
        (5, 14, MessageType.CON),
    ]:
        station.send(notification(number, mid, mtype))
        if mtype == MessageType.CON:
            ack, _ = await station.receive()
            assert (ack.mtype, ack.mid) == (aiocoap.ACK, mid)
    await asyncio.sleep(0.05)
    assert got == [b"n2", b"n4", b"n5"]
    station.send(notification(None, 15, MessageType.NON))
    await asyncio.sleep(0.05)
    assert got[-1] == b"nNone"
    assert observation.ended
    station.send(notification(6, 16, MessageType.CON))
    reset, _ = await station.receive()
    assert (reset.mtype, reset.mid) == (aiocoap.RST, 16)


async def test_a_cancelled_observation_is_reset(
    endpoint: CoapEndpoint, station: FakeStation
) -> None:
    """After cancel(), the station's next notification gets a reset (RFC 7641, 3.6)."""
    observation, token = await registered(endpoint, station, "energy", b"[]")
    await observation.first
    observation.cancel()
    station.send(notification(token, 9, 2, b"[]", mtype=MessageType.CON))
    reset, _ = await station.receive()
    assert (reset.mtype, reset.mid) == (aiocoap.RST, 9)


async def test_an_error_answer_ends_the_observation(
    endpoint: CoapEndpoint, station: FakeStation
) -> None:
    """A 4.04 to the registration is its first answer, and nothing more is followed."""
    observation = endpoint.observe(await remote_of(endpoint, station), "vehicle")
    sent, _ = await station.receive()
    station.send(Message(MessageType.ACK, 132, sent.mid, sent.token))
    assert (await observation.first).code == 132
    assert observation.ended


async def test_a_throwing_callback_is_logged_not_raised(
    endpoint: CoapEndpoint, station: FakeStation, caplog: pytest.LogCaptureFixture
) -> None:
    """A callback that raises loses that notification only."""
    observation, token = await registered(endpoint, station, "current")
    await observation.first
    seen: list[int] = []

    def take(message: Message) -> None:
        seen.append(message.mid)
        if len(seen) == 1:
            raise RuntimeError("boom")

    observation.on_notification = take
    for mid, number in ((20, 2), (21, 3)):
        station.send(notification(token, mid, number))
    await asyncio.sleep(0.05)
    assert seen == [20, 21]
    assert "current: a notification could not be taken" in caplog.text


async def test_garbage_at_the_endpoint_changes_nothing(
    endpoint: CoapEndpoint, station: FakeStation
) -> None:
    """2,000 random datagrams while a request waits: each discarded, the request answered."""
    request = asyncio.create_task(
        endpoint.request(await remote_of(endpoint, station), Code.GET, "regulator")
    )
    sent, _ = await station.receive()
    rng = random.Random(7)
    for count in range(2000):
        station.send(rng.randbytes(rng.randrange(0, 40)))
        if count % 50 == 0:
            await asyncio.sleep(0.001)  # within what a socket buffer holds
    station.send(answer(sent, MessageType.ACK, Code.CONTENT, b"{}"))
    assert (await request).payload == b"{}"
    assert endpoint.discarded >= 1500  # the rest were malformed resets, acks of nothing...


async def test_shutdown_ends_what_is_open(endpoint: CoapEndpoint, station: FakeStation) -> None:
    """Requests and registrations still open fail or end when the endpoint closes."""
    remote = await remote_of(endpoint, station)
    request = asyncio.create_task(endpoint.request(remote, Code.GET, "current"))
    observation = endpoint.observe(remote, "energy")
    await station.receive()
    await station.receive()
    await endpoint.shutdown()
    with pytest.raises(EndpointClosedError):
        await request
    assert observation.ended
    with pytest.raises(EndpointClosedError):
        await endpoint.request(remote, Code.GET, "current")
    with pytest.raises(EndpointClosedError):
        _ = endpoint.port


async def test_ipv6_and_ipv4_from_one_socket(endpoint: CoapEndpoint) -> None:
    """The dual-stack socket reaches an IPv4 and an IPv6 station; names are looked up."""
    assert endpoint.family == socket.AF_INET6
    assert await endpoint.resolve("127.0.0.1", 5683) == ("::ffff:127.0.0.1", 5683, 0, 0)
    assert await endpoint.resolve("[::1]", 5683) == ("::1", 5683, 0, 0)
    assert (await endpoint.resolve("localhost", 5683))[1] == 5683
    with pytest.raises(OSError):  # noqa: PT011  # the resolver's own error, whatever its kind
        await endpoint.resolve("no-such-station.invalid", 5683)


async def test_ipv4_only(loopback: None, station: FakeStation) -> None:
    """Bound to an IPv4 address (as on a host without IPv6): IPv4 works, IPv6 says why not."""
    endpoint = await CoapEndpoint.create("127.0.0.1")
    try:
        assert endpoint.family == socket.AF_INET
        remote = await endpoint.resolve("127.0.0.1", station.port)
        assert remote == ("127.0.0.1", station.port)
        request = asyncio.create_task(endpoint.request(remote, Code.GET, "current"))
        sent, _ = await station.receive()
        station.send(answer(sent, MessageType.ACK, Code.CONTENT, b"v4"))
        assert (await request).payload == b"v4"
        with pytest.raises(OSError, match="IPv6 is not available"):
            await endpoint.resolve("::1", 5683)
    finally:
        await endpoint.shutdown()


async def test_a_body_in_blocks_is_joined(endpoint: CoapEndpoint, station: FakeStation) -> None:
    """Block 0 says more: blocks 1 and 2 are asked for by number, and the body joined."""
    body = b"</current>;obs,</energy>;obs,</vehicle>"  # 39 bytes: three blocks of 16
    request = asyncio.create_task(
        endpoint.request(await remote_of(endpoint, station), Code.GET, ".well-known/core")
    )
    for number in range(3):
        sent, _ = await station.receive()
        asked = 0 if sent.opt.block2 is None else sent.opt.block2.block_number
        assert asked == number
        assert sent.opt.uri_path == (".well-known", "core")
        part = body[16 * number : 16 * (number + 1)]
        more = 16 * (number + 1) < len(body)
        station.send(
            answer(sent, MessageType.ACK, Code.CONTENT, part, options=(block(number, more),))
        )
    whole = await request
    assert whole.payload == body
    assert whole.option(Option.BLOCK2) is None


@pytest.mark.parametrize("fault", ["repeated", "endless", "refused"])
async def test_blocks_that_do_not_add_up(
    endpoint: CoapEndpoint, station: FakeStation, fault: str
) -> None:
    """A block answered with another, a body past 64 KiB, or an error half way through."""
    request = asyncio.create_task(
        endpoint.request(await remote_of(endpoint, station), Code.GET, "vehicle")
    )
    number = 0
    while not request.done():
        try:
            sent, _ = await station.receive(0.2)
        except TimeoutError:
            continue  # the endpoint gave up: the request is done
        if fault == "refused" and number == 1:
            station.send(answer(sent, MessageType.ACK, 160, b"busy"))  # 5.00
        else:
            shown = 0 if fault == "repeated" else number
            station.send(
                answer(
                    sent,
                    MessageType.ACK,
                    Code.CONTENT,
                    b"x" * 1024,
                    options=(block(shown, True, 6),),
                )
            )
        number += 1
    assert number == {"repeated": 2, "endless": 65, "refused": 2}[fault]
    if fault == "refused":
        assert (await request).code == 160
        return
    with pytest.raises(MessageError, match="another" if fault == "repeated" else "over 65536"):
        await request


async def test_a_notification_in_blocks_is_completed(
    endpoint: CoapEndpoint, station: FakeStation
) -> None:
    """A notification whose body goes on is delivered once its other block has been got."""
    observation, token = await registered(endpoint, station, "vehicle")
    await observation.first
    got: list[bytes] = []
    observation.on_notification = lambda message: got.append(message.payload)
    station.send(notification(token, 30, 2, b"0123456789abcdef", more=True))
    follow, _ = await station.receive()
    assert follow.opt.observe is None
    assert follow.opt.block2.block_number == 1
    assert follow.token != token
    station.send(answer(follow, MessageType.ACK, Code.CONTENT, b"end", options=(block(1, False),)))
    await asyncio.sleep(0.05)
    assert got == [b"0123456789abcdefend"]


async def test_a_first_answer_in_blocks_that_cannot_be_completed(
    endpoint: CoapEndpoint, station: FakeStation
) -> None:
    """A first answer in blocks whose next block is reset: the registration fails with it."""
    observation, _ = await registered(endpoint, station, "vehicle", b"0123456789abcdef", more=True)
    follow, _ = await station.receive()
    station.send(answer(follow, MessageType.RST, Code.EMPTY))
    with pytest.raises(ResetError):
        await observation.first
    observation.cancel()


async def test_a_newer_notification_replaces_one_being_completed(
    endpoint: CoapEndpoint, station: FakeStation
) -> None:
    """While the rest of notification 2 is fetched, notification 3 arrives whole: 3 is taken."""
    observation, token = await registered(endpoint, station, "vehicle")
    await observation.first
    got: list[bytes] = []
    observation.on_notification = lambda message: got.append(message.payload)
    station.send(notification(token, 40, 2, b"0123456789abcdef", more=True))
    await station.receive()  # the request for block 1, left unanswered
    station.send(notification(token, 41, 3, b"fedcba9876543210", more=True))
    follow, _ = await station.receive()
    station.send(answer(follow, MessageType.ACK, Code.CONTENT, b"!", options=(block(1, False),)))
    await asyncio.sleep(0.05)
    assert got == [b"fedcba9876543210!"]
    observation.cancel()


async def test_no_ipv6_on_the_host(
    loopback: None, station: FakeStation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where an IPv6 socket cannot be made, the endpoint opens an IPv4 one and works."""
    real = socket.socket

    def no_ipv6(family: int = socket.AF_INET, *args: object, **kwargs: object) -> socket.socket:
        if family == socket.AF_INET6:
            raise OSError("Address family not supported by protocol")
        return real(family, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "socket", no_ipv6)
    endpoint = await CoapEndpoint.create()
    monkeypatch.setattr(socket, "socket", real)
    try:
        assert endpoint.family == socket.AF_INET
        assert (await endpoint.resolve("localhost", 5683))[0] == "127.0.0.1"
        remote = await endpoint.resolve("127.0.0.1", station.port)
        request = asyncio.create_task(endpoint.request(remote, Code.GET, "current"))
        sent, _ = await station.receive()
        station.send(answer(sent, MessageType.ACK, Code.CONTENT, b"v4 only"))
        assert (await request).payload == b"v4 only"
    finally:
        await endpoint.shutdown()
