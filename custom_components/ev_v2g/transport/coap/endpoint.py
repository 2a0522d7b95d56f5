"""The client's CoAP endpoint: one UDP socket for every station, requests and observations.

Confirmable requests are retransmitted with back-off (retransmission.py) and matched to their
answers by message id and token, and to the station they were sent to. Observations (RFC 7641)
deliver each fresh notification to a callback; a notification whose token nobody follows any
more gets a reset, so the station forgets it at once. An answer is handled in the datagram's
callback: no task, thread or address lookup per request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import contextlib
import logging
import os

from .blocks import next_block, whole_body
from .message import (
    Code,
    Message,
    MessageError,
    MessageType,
    Option,
    decode,
    empty,
    is_request,
    is_success,
    request_options,
)
from .observation import Observation
from .retransmission import COMMAND_TUNING, Retransmissions, Tuning
from .sockets import Remote, client_socket, resolve, same_remote

__all__ = [
    "COMMAND_TUNING",
    "CoapEndpoint",
    "EndpointClosedError",
    "Remote",
    "ResetError",
    "Tuning",
]

_LOGGER = logging.getLogger(__name__)


class ResetError(ConnectionError):
    """The station answered a request with a reset (it cannot take it)."""


class EndpointClosedError(ConnectionError):
    """The endpoint was shut down with the request still open."""


class CoapEndpoint(asyncio.DatagramProtocol):
    """One client socket (IPv6 with IPv4-mapped addresses, or IPv4 where IPv6 is off)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, family: int) -> None:
        """Made by create()."""
        self.loop = loop
        self.family = family
        self._transport: asyncio.DatagramTransport | None = None
        self._retransmissions = Retransmissions(loop, self._send_quietly, self._given_up)
        self._answers: dict[bytes, asyncio.Future[Message]] = {}
        self._observations: dict[bytes, Observation] = {}
        self._remotes: dict[bytes, Remote] = {}
        self.discarded = 0
        """Datagrams that were not CoAP, or answered nothing of ours."""

    @classmethod
    async def create(cls, host: str | None = None) -> CoapEndpoint:
        """Open a client socket on an ephemeral port (`host` binds it to one address)."""
        loop = asyncio.get_running_loop()
        sock = client_socket(host)
        endpoint = cls(loop, sock.family)
        await loop.create_datagram_endpoint(lambda: endpoint, sock=sock)
        return endpoint

    async def shutdown(self) -> None:
        """Close the socket; open requests fail with EndpointClosedError."""
        self._retransmissions.clear()
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

    async def resolve(self, host: str, port: int) -> Remote:
        """The socket address of host:port; a name is looked up (OSError when it cannot be)."""
        return await resolve(self.loop, self.family, host, port)

    # --- sending ----------------------------------------------------------------------------

    def _new_token(self) -> bytes:
        while True:
            token = os.urandom(4)
            if token not in self._answers and token not in self._observations:
                return token

    def _send(self, datagram: bytes, remote: Remote) -> None:
        if self._transport is None:
            raise EndpointClosedError("CoAP endpoint shut down")
        self._transport.sendto(datagram, remote)

    def _send_quietly(self, datagram: bytes, remote: Remote) -> None:
        with contextlib.suppress(EndpointClosedError):
            self._send(datagram, remote)

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
        if self._transport is None:
            raise EndpointClosedError("CoAP endpoint shut down")
        mid = self._retransmissions.next_mid()
        datagram = Message(MessageType.CON, code, mid, token, options, payload).encode()
        self._remotes[token] = remote
        self._retransmissions.start(mid, token, remote, datagram, tuning)

    def _given_up(self, token: bytes) -> None:
        self._fail(token, TimeoutError("no acknowledgement"))

    def _fail(self, token: bytes, error: Exception) -> None:
        if (answer := self._answers.pop(token, None)) is not None:
            self._remotes.pop(token, None)
            if not answer.done():
                answer.set_exception(error)
        elif (observation := self._observations.pop(token, None)) is not None:
            self._remotes.pop(token, None)
            observation.fail(error)

    async def request(
        self,
        remote: Remote,
        code: int,
        path: str,
        *,
        payload: bytes = b"",
        content_format: int | None = None,
        block2: int | None = None,
        tuning: Tuning = COMMAND_TUNING,
    ) -> Message:
        """Send a confirmable request and return its answer (the caller bounds the wait).

        A body sent in blocks is fetched whole, unless `block2` asks for one block. Raises
        TimeoutError when no acknowledgement came after the last retransmission, ResetError
        on a reset, EndpointClosedError when the endpoint closes, MessageError when the
        blocks of a body do not add up.
        """
        token = self._new_token()
        answer: asyncio.Future[Message] = self.loop.create_future()
        self._answers[token] = answer
        try:
            self._send_confirmable(
                remote,
                code,
                token,
                options=request_options(path, content_format=content_format, block2=block2),
                payload=payload,
                tuning=tuning,
            )
            message = await answer
        finally:
            self.forget(token)
        if block2 is None and next_block(message) is not None:
            return await whole_body(message, self.block_fetcher(remote, path, tuning))
        return message

    def block_fetcher(
        self, remote: Remote, path: str, tuning: Tuning = COMMAND_TUNING
    ) -> Callable[[int], Awaitable[Message]]:
        """Fetches one block of `path` at a time (for a body sent in blocks)."""

        def fetch(block2: int) -> Awaitable[Message]:
            return self.request(remote, Code.GET, path, block2=block2, tuning=tuning)

        return fetch

    def observe(self, remote: Remote, path: str, tuning: Tuning = COMMAND_TUNING) -> Observation:
        """Register as an observer of `path`; await `first`, then set `on_notification`."""
        token = self._new_token()
        observation = Observation(
            self.loop, token, path, self.forget, self.block_fetcher(remote, path, tuning)
        )
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
        self._retransmissions.forget(token)

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
            token = self._retransmissions.acknowledged(message.mid, addr)
            if token is None:
                self.discarded += 1
                return
            if message.mtype == MessageType.RST:
                self._fail(token, ResetError("reset by the station"))
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
            self._send(empty(MessageType.ACK, message.mid), addr)
        elif not self._follows(message, addr):
            self._reset(message, addr)
            return
        self._answered(message, addr)

    def _follows(self, message: Message, addr: Remote) -> bool:
        remote = self._remotes.get(message.token)
        return remote is not None and same_remote(remote, addr)

    def _reset(self, message: Message, addr: Remote) -> None:
        self.discarded += 1
        with contextlib.suppress(EndpointClosedError):
            self._send(empty(MessageType.RST, message.mid), addr)

    def _answered(self, message: Message, addr: Remote) -> None:
        token = message.token
        if not same_remote(self._remotes.get(token), addr):
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
        if not is_success(message.code) or message.option(Option.OBSERVE) is None:
            self._observations.pop(token, None)  # the station ended it
            self._remotes.pop(token, None)
            observation.ended = True
        observation.take(message)
