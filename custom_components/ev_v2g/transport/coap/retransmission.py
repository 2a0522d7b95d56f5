"""Confirmable messages on their way: sent again with back-off until acknowledged.

RFC 7252, section 4.2: the first copy waits ACK_TIMEOUT times a random factor, each later one
twice as long, and after MAX_RETRANSMIT copies the message is given up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
import random
import secrets
from typing import Final

from .sockets import Remote, same_remote

_JITTER = random.Random(secrets.randbits(64))  # noqa: S311 - back-off spread, not a secret
"""The back-off's random factor: spread, not secret (a system call per draw would cost)."""


@dataclass(frozen=True, slots=True)
class Tuning:
    """Retransmission of a confirmable message (RFC 7252, section 4.8)."""

    ack_timeout: float = 0.5
    random_factor: float = 1.2
    max_retransmit: int = 3


COMMAND_TUNING: Final = Tuning()
"""Retransmit quickly and give up early: a command either lands in seconds or fails."""


class _Exchange:
    """One confirmable message on its way."""

    __slots__ = ("attempt", "datagram", "handle", "mid", "remote", "timeout", "token", "tuning")

    def __init__(
        self, mid: int, token: bytes, remote: Remote, datagram: bytes, tuning: Tuning
    ) -> None:
        self.mid = mid
        self.token = token
        self.remote = remote
        self.datagram = datagram
        self.tuning = tuning
        self.timeout = tuning.ack_timeout * _JITTER.uniform(1.0, tuning.random_factor)
        self.attempt = 0
        self.handle: asyncio.TimerHandle | None = None


class Retransmissions:
    """The confirmable messages not yet acknowledged, by message id and by token."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        send: Callable[[bytes, Remote], None],
        given_up: Callable[[bytes], None],
    ) -> None:
        """Send copies with `send`; tell `given_up(token)` when the last one went unanswered."""
        self._loop = loop
        self._send = send
        self._given_up = given_up
        self._mid = secrets.randbelow(1 << 16)
        self._by_mid: dict[int, _Exchange] = {}
        self._by_token: dict[bytes, _Exchange] = {}

    def next_mid(self) -> int:
        """A message id for the next message (they go round every 65,536)."""
        self._mid = (self._mid + 1) & 0xFFFF
        return self._mid

    def start(
        self, mid: int, token: bytes, remote: Remote, datagram: bytes, tuning: Tuning
    ) -> None:
        """Send a confirmable message and keep sending it until acknowledged or given up."""
        if (old := self._by_mid.get(mid)) is not None:
            self._drop(old)  # 65,536 messages later: that one is long given up
        exchange = _Exchange(mid, token, remote, datagram, tuning)
        self._by_mid[mid] = exchange
        self._by_token[token] = exchange
        self._send(datagram, remote)
        exchange.handle = self._loop.call_later(exchange.timeout, self._again, exchange)

    def acknowledged(self, mid: int, addr: Remote) -> bytes | None:
        """An ACK or RST arrived: the token of the message it ends (None: none of ours)."""
        exchange = self._by_mid.get(mid)
        if exchange is None or not same_remote(exchange.remote, addr):
            return None
        self._drop(exchange)
        return exchange.token

    def forget(self, token: bytes) -> None:
        """Send no more copies of the message with `token`."""
        if (exchange := self._by_token.get(token)) is not None:
            self._drop(exchange)

    def clear(self) -> None:
        """Send no more copies of anything."""
        for exchange in list(self._by_mid.values()):
            self._drop(exchange)

    def _drop(self, exchange: _Exchange) -> None:
        if exchange.handle is not None:
            exchange.handle.cancel()
        if self._by_mid.get(exchange.mid) is exchange:
            del self._by_mid[exchange.mid]
        if self._by_token.get(exchange.token) is exchange:
            del self._by_token[exchange.token]

    def _again(self, exchange: _Exchange) -> None:
        if self._by_mid.get(exchange.mid) is not exchange:
            return
        if exchange.attempt >= exchange.tuning.max_retransmit:
            self._drop(exchange)
            self._given_up(exchange.token)
            return
        exchange.attempt += 1
        exchange.timeout *= 2
        self._send(exchange.datagram, exchange.remote)
        exchange.handle = self._loop.call_later(exchange.timeout, self._again, exchange)
