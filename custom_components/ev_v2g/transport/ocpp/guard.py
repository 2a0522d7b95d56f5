"""The OCPP port's doorman: how many strangers may wait at once, and for how long.

A connection is *pending* from its accept until its upgrade request is authenticated (or it
closes). At most ``max_pending`` connections are pending at once: one more is closed as soon
as it is accepted, so half-open upgrades cannot hold every file descriptor. A pending
connection that has not sent a whole request head within ``header_timeout`` is closed
(slowloris). One address may hold at most ``max_pending_per_address`` of them, so a storm from
one host leaves room for chargers elsewhere to get in. Charge points already connected are
never counted, so a storm of strangers cannot push them out; a charger that knocks while
every place is taken is refused and retries.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

MAX_PENDING = 64
MAX_PENDING_PER_ADDRESS = 8
HEADER_TIMEOUT = 10.0
HANDSHAKE_TIMEOUT = 10.0
"""Seconds a TLS handshake may take (asyncio's default is 60)."""


class GuardedServer(web.Server):
    """aiohttp's low-level server, bounding connections not yet authenticated."""

    def __init__(
        self,
        handler: Any,
        *,
        max_pending: int = MAX_PENDING,
        max_pending_per_address: int = MAX_PENDING_PER_ADDRESS,
        header_timeout: float = HEADER_TIMEOUT,
        **kwargs: Any,
    ) -> None:
        """Serve requests with ``handler``; the other arguments go to ``web.Server``."""
        super().__init__(handler, **kwargs)
        self.max_pending = max_pending
        self.max_pending_per_address = max_pending_per_address
        self.header_timeout = header_timeout
        self.refused = 0
        """Connections closed at accept because too many were pending (from all or one)."""
        self.timed_out = 0
        """Connections closed because their request head did not arrive in time."""
        self._pending: dict[RequestHandler, asyncio.TimerHandle | None] = {}
        self._address: dict[RequestHandler, str] = {}
        self._per_address: Counter[str] = Counter()

    @property
    def pending(self) -> int:
        """Connections accepted and not (yet) authenticated."""
        return len(self._pending)

    def connection_made(self, handler: RequestHandler, transport: asyncio.Transport) -> None:
        """Count a new connection, or close it at once when too many are pending."""
        address = _host(transport)
        if (
            len(self._pending) >= self.max_pending
            or self._per_address[address] >= self.max_pending_per_address
        ):
            self.refused += 1
            transport.abort()
            return
        super().connection_made(handler, transport)
        self._pending[handler] = asyncio.get_running_loop().call_later(
            self.header_timeout, self._expire, handler, transport
        )
        self._address[handler] = address
        self._per_address[address] += 1

    def connection_lost(self, handler: RequestHandler, exc: BaseException | None = None) -> None:
        """Forget a closed connection."""
        self._forget(handler)
        super().connection_lost(handler, exc)

    def request_arrived(self, request: web.BaseRequest) -> None:
        """A request head arrived in time: the header timeout no longer applies."""
        if (timer := self._pending.get(request.protocol)) is not None:
            timer.cancel()
            self._pending[request.protocol] = None

    def authenticated(self, request: web.BaseRequest) -> None:
        """The request's connection belongs to a charge point now: it no longer counts."""
        self._forget(request.protocol)

    def _forget(self, handler: RequestHandler) -> None:
        if handler not in self._pending:
            return
        if (timer := self._pending.pop(handler)) is not None:
            timer.cancel()
        address = self._address.pop(handler)
        self._per_address[address] -= 1
        if self._per_address[address] <= 0:
            del self._per_address[address]

    def _expire(self, handler: RequestHandler, transport: asyncio.Transport) -> None:
        if handler in self._pending:
            self.timed_out += 1
            self._forget(handler)
            transport.abort()


def _host(transport: asyncio.Transport) -> str:
    """The peer's address (its port left out), or "" when the transport does not know it."""
    peer = transport.get_extra_info("peername")
    return str(peer[0]) if isinstance(peer, tuple) and peer else ""
