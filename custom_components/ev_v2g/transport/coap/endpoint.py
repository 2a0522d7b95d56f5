"""The client's CoAP endpoint: one UDP socket for every station, requests and observations.

Confirmable requests are retransmitted with exponential back-off (RFC 7252, section 4.2) and
matched to their answers by message id and token, and to the station they were sent to.
Observations (RFC 7641) deliver each fresh notification to a callback; a notification whose
token nobody follows any more gets a reset, so the station forgets it at once. Everything an
answer needs is done in the datagram's callback: no task, thread or address lookup per request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from dataclasses import dataclass
import ipaddress
import logging
import os
import random
import secrets
import socket
import time
from typing import Any, Final

from .message import (
    Code,
    Message,
    MessageError,
    MessageType,
    Option,
    decode,
    is_request,
    is_success,
    request_options,
)

_LOGGER = logging.getLogger(__name__)

type Remote = tuple[Any, ...]
"""A socket address as the endpoint's socket takes it."""

_JITTER = random.SystemRandom()
OBSERVE_WRAP: Final = 1 << 23
OBSERVE_FRESH_AFTER_S: Final = 128.0
"""RFC 7641, section 3.4: an older-looking notification is fresh again after this long."""


@dataclass(frozen=True, slots=True)
class Tuning:
    """Retransmission of a confirmable message (RFC 7252, section 4.8)."""

    ack_timeout: float = 0.5
    random_factor: float = 1.2
    max_retransmit: int = 3


COMMAND_TUNING: Final = Tuning()
"""Retransmit quickly and give up early: a command either lands in seconds or fails."""


class ResetError(ConnectionError):
    """The station answered a request with a reset (it cannot take it)."""


class EndpointClosedError(ConnectionError):
    """The endpoint was shut down with the request still open."""


class _Exchange:
    """One confirmable message on its way: retransmitted until acknowledged."""

    __slots__ = ("attempt", "datagram", "handle", "mid", "remote", "timeout", "token")

    def __init__(
        self, mid: int, token: bytes, remote: Remote, datagram: bytes, timeout: float
    ) -> None:
        self.mid = mid
        self.token = token
        self.remote = remote
        self.datagram = datagram
        self.timeout = timeout
        self.attempt = 0
        self.handle: asyncio.TimerHandle | None = None


class Observation:
    """An observed resource: the first answer, then each fresh notification to a callback."""

    def __init__(self, endpoint: CoapEndpoint, token: bytes, remote: Remote, path: str) -> None:
        """Made by CoapEndpoint.observe()."""
        self._endpoint = endpoint
        self.token = token
        self.remote = remote
        self.path = path
        self.first: asyncio.Future[Message] = endpoint.loop.create_future()
        """The registration's answer; later notifications go to `on_notification`."""
        self.on_notification: Callable[[Message], object] | None = None
        self.ended = False
        """Cancelled, or ended by the station (an error or a plain answer)."""
        self._sequence: tuple[int, float] | None = None

    def cancel(self) -> None:
        """Stop following: the station's next notification gets a reset."""
        self.ended = True
        self._endpoint.forget(self.token)
        if not self.first.done():
            self.first.cancel()

    def fresh(self, message: Message) -> bool:
        """Whether a notification is newer than the last one taken (RFC 7641, section 3.4)."""
        number = message.uint(Option.OBSERVE)
        if number is None:
            return True
        now = time.monotonic()
        if self._sequence is not None:
            last, at = self._sequence
            newer = (last < number and number - last < OBSERVE_WRAP) or (
                last > number and last - number > OBSERVE_WRAP
            )
            if not newer and now <= at + OBSERVE_FRESH_AFTER_S:
                return False
        self._sequence = (number, now)
        return True


class CoapEndpoint(asyncio.DatagramProtocol):
    """One client socket (IPv6 with IPv4-mapped addresses, or IPv4 where IPv6 is off)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, family: int) -> None:
        """Made by create()."""
        self.loop = loop
        self.family = family
        self._transport: asyncio.DatagramTransport | None = None
        self._mid = secrets.randbelow(1 << 16)
        self._exchanges: dict[int, _Exchange] = {}
        self._answers: dict[bytes, asyncio.Future[Message]] = {}
        self._observations: dict[bytes, Observation] = {}
        self._remotes: dict[bytes, Remote] = {}
        self._mids: dict[bytes, int] = {}
        """The message id of each token's confirmable message still unacknowledged."""
        self.discarded = 0
        """Datagrams that were not CoAP, or answered nothing of ours."""

    @classmethod
    async def create(cls, host: str | None = None) -> CoapEndpoint:
        """Open a client socket on an ephemeral port (`host` binds it to one address)."""
        loop = asyncio.get_running_loop()
        sock = _client_socket(host)
        endpoint = cls(loop, sock.family)
        await loop.create_datagram_endpoint(lambda: endpoint, sock=sock)
        return endpoint

    async def shutdown(self) -> None:
        """Close the socket; open requests fail with EndpointClosedError."""
        for exchange in list(self._exchanges.values()):
            self._drop(exchange)
        for answer in self._answers.values():
            if not answer.done():
                answer.set_exception(EndpointClosedError("CoAP endpoint shut down"))
                answer.exception()
        self._answers.clear()
        for observation in list(self._observations.values()):
            observation.cancel()
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    @property
    def port(self) -> int:
        """The local port."""
        if self._transport is None:
            raise EndpointClosedError("CoAP endpoint shut down")
        return int(self._transport.get_extra_info("sockname")[1])

    # --- addresses --------------------------------------------------------------------------

    async def resolve(self, host: str, port: int) -> Remote:
        """The socket address of host:port; a name is looked up (OSError when it cannot be)."""
        literal = host.strip("[]")
        try:
            address = ipaddress.ip_address(literal.split("%", 1)[0])
        except ValueError:
            infos = await self.loop.getaddrinfo(
                host, port, type=socket.SOCK_DGRAM, family=self._lookup_family()
            )
            if not infos:
                raise OSError(f"{host} has no address") from None
            family, _, _, _, sockaddr = infos[0]
            if family == socket.AF_INET:
                return self._ipv4(str(sockaddr[0]), port)
            return tuple(sockaddr)
        if address.version == 4:
            return self._ipv4(str(address), port)
        if self.family != socket.AF_INET6:
            raise OSError(f"{host}: IPv6 is not available on this host")
        if "%" in literal:
            infos = await self.loop.getaddrinfo(literal, port, type=socket.SOCK_DGRAM)
            return tuple(infos[0][4])
        return (str(address), port, 0, 0)

    def _lookup_family(self) -> int:
        return socket.AF_UNSPEC if self.family == socket.AF_INET6 else socket.AF_INET

    def _ipv4(self, host: str, port: int) -> Remote:
        if self.family == socket.AF_INET6:
            return (f"::ffff:{host}", port, 0, 0)
        return (host, port)

    # --- sending ----------------------------------------------------------------------------

    def _next_mid(self) -> int:
        self._mid = (self._mid + 1) & 0xFFFF
        return self._mid

    def _new_token(self) -> bytes:
        while True:
            token = os.urandom(4)
            if token not in self._answers and token not in self._observations:
                return token

    def _send(self, datagram: bytes, remote: Remote) -> None:
        if self._transport is None:
            raise EndpointClosedError("CoAP endpoint shut down")
        self._transport.sendto(datagram, remote)

    def _send_confirmable(
        self,
        remote: Remote,
        code: int,
        token: bytes,
        *,
        options: tuple[tuple[int, bytes], ...],
        payload: bytes,
        tuning: Tuning,
    ) -> None:
        mid = self._next_mid()
        datagram = Message(MessageType.CON, code, mid, token, options, payload).encode()
        timeout = tuning.ack_timeout * _JITTER.uniform(1.0, tuning.random_factor)
        exchange = _Exchange(mid, token, remote, datagram, timeout)
        if (old := self._exchanges.get(mid)) is not None:
            self._drop(old)  # 65,536 messages later: that one is long given up
        self._exchanges[mid] = exchange
        self._mids[token] = mid
        self._remotes[token] = remote
        self._send(datagram, remote)
        exchange.handle = self.loop.call_later(
            timeout, self._retransmit, exchange, tuning.max_retransmit
        )

    def _drop(self, exchange: _Exchange) -> None:
        """No more retransmissions of an exchange (acknowledged, given up or forgotten)."""
        if exchange.handle is not None:
            exchange.handle.cancel()
        if self._exchanges.get(exchange.mid) is exchange:
            del self._exchanges[exchange.mid]
        if self._mids.get(exchange.token) == exchange.mid:
            del self._mids[exchange.token]

    def _retransmit(self, exchange: _Exchange, max_retransmit: int) -> None:
        if self._exchanges.get(exchange.mid) is not exchange:
            return
        if exchange.attempt >= max_retransmit:
            self._drop(exchange)
            self._fail(exchange.token, TimeoutError("no acknowledgement"))
            return
        exchange.attempt += 1
        exchange.timeout *= 2
        with contextlib.suppress(EndpointClosedError):
            self._send(exchange.datagram, exchange.remote)
        exchange.handle = self.loop.call_later(
            exchange.timeout, self._retransmit, exchange, max_retransmit
        )

    def _fail(self, token: bytes, error: Exception) -> None:
        if (answer := self._answers.pop(token, None)) is not None:
            self._remotes.pop(token, None)
            if not answer.done():
                answer.set_exception(error)
        elif (observation := self._observations.pop(token, None)) is not None:
            self._remotes.pop(token, None)
            observation.ended = True
            if not observation.first.done():
                observation.first.set_exception(error)

    async def request(
        self,
        remote: Remote,
        code: int,
        path: str,
        *,
        payload: bytes = b"",
        content_format: int | None = None,
        tuning: Tuning = COMMAND_TUNING,
    ) -> Message:
        """Send a confirmable request and return its answer (the caller bounds the wait).

        Raises TimeoutError when no acknowledgement came after the last retransmission,
        ResetError on a reset and EndpointClosedError when the endpoint closes.
        """
        token = self._new_token()
        answer: asyncio.Future[Message] = self.loop.create_future()
        self._answers[token] = answer
        try:
            self._send_confirmable(
                remote,
                code,
                token,
                options=request_options(path, content_format=content_format),
                payload=payload,
                tuning=tuning,
            )
            return await answer
        finally:
            self.forget(token)

    def observe(self, remote: Remote, path: str, tuning: Tuning = COMMAND_TUNING) -> Observation:
        """Register as an observer of `path`; await `first`, then set `on_notification`."""
        token = self._new_token()
        observation = Observation(self, token, remote, path)
        self._observations[token] = observation
        self._send_confirmable(
            remote,
            Code.GET,
            token,
            options=request_options(path, observe=0),
            payload=b"",
            tuning=tuning,
        )
        return observation

    def forget(self, token: bytes) -> None:
        """Stop waiting for answers to `token` (its retransmissions stop too)."""
        self._answers.pop(token, None)
        self._observations.pop(token, None)
        self._remotes.pop(token, None)
        if (mid := self._mids.get(token)) is not None:
            self._drop(self._exchanges[mid])

    # --- receiving --------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """The socket is open."""
        if isinstance(transport, asyncio.DatagramTransport):
            self._transport = transport

    def error_received(self, exc: Exception) -> None:
        """A socket error: it cannot be told which station it concerns; retransmission copes."""
        _LOGGER.debug("CoAP socket error: %s", exc)

    def datagram_received(self, data: bytes, addr: Remote) -> None:
        """Match a datagram to the request or observation it answers."""
        try:
            message = decode(data)
        except MessageError:
            self.discarded += 1
            return
        if message.mtype in {MessageType.ACK, MessageType.RST}:
            exchange = self._exchanges.get(message.mid)
            if exchange is None or not _same(exchange.remote, addr):
                self.discarded += 1
                return
            self._drop(exchange)
            if message.mtype == MessageType.RST:
                self._fail(exchange.token, ResetError("reset by the station"))
                return
            if message.code == Code.EMPTY:
                return  # a separate answer follows
        elif is_request(message.code) or message.code == Code.EMPTY:
            if message.mtype == MessageType.CON:
                self._reset(message, addr)  # a ping, or a request: a client serves nothing
            return
        elif message.mtype == MessageType.CON:
            if not self._follows(message, addr):
                self._reset(message, addr)
                return
            self._send(Message(MessageType.ACK, Code.EMPTY, message.mid).encode(), addr)
        elif not self._follows(message, addr):
            self._reset(message, addr)
            return
        self._answered(message, addr)

    def _follows(self, message: Message, addr: Remote) -> bool:
        remote = self._remotes.get(message.token)
        return remote is not None and _same(remote, addr)

    def _reset(self, message: Message, addr: Remote) -> None:
        self.discarded += 1
        with contextlib.suppress(EndpointClosedError):
            self._send(Message(MessageType.RST, Code.EMPTY, message.mid).encode(), addr)

    def _answered(self, message: Message, addr: Remote) -> None:
        token = message.token
        if not _same(self._remotes.get(token), addr):
            self.discarded += 1
            return
        if (answer := self._answers.pop(token, None)) is not None:
            self._remotes.pop(token, None)
            if not answer.done():
                answer.set_result(message)
            return
        observation = self._observations.get(token)
        if observation is None:
            return
        last = not is_success(message.code) or message.option(Option.OBSERVE) is None
        if last:
            self._observations.pop(token, None)
            self._remotes.pop(token, None)
            observation.ended = True
        if not observation.first.done():
            observation.fresh(message)
            observation.first.set_result(message)
            return
        if not observation.fresh(message) or observation.on_notification is None:
            return
        try:
            observation.on_notification(message)
        except Exception:
            _LOGGER.exception("%s: a notification could not be taken", observation.path)


def _same(remote: Remote | None, addr: Remote) -> bool:
    """Whether a datagram came from where a message was sent (host and port)."""
    if remote is None:
        return False
    if remote[1] != addr[1]:
        return False
    if remote[0] == addr[0]:
        return True
    try:
        return ipaddress.ip_address(remote[0]) == ipaddress.ip_address(addr[0])
    except ValueError:
        return False


def _client_socket(host: str | None) -> socket.socket:
    """A non-blocking UDP socket on an ephemeral port: dual-stack IPv6 where it can be."""
    wanted = None if host is None else _family_of(host)
    for family in (socket.AF_INET6, socket.AF_INET):
        if wanted not in {None, family}:
            continue
        try:
            sock = socket.socket(family, socket.SOCK_DGRAM)
        except OSError:
            continue  # no IPv6 on this host
        try:
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            sock.bind((host or "", 0))
            sock.setblocking(False)
        except OSError:
            sock.close()
            if family == socket.AF_INET6 and wanted is None:
                continue
            raise
        return sock
    raise OSError("no UDP socket could be opened")


def _family_of(host: str) -> int | None:
    try:
        version = ipaddress.ip_address(host).version
    except ValueError:
        return None
    return socket.AF_INET if version == 4 else socket.AF_INET6
