"""Typed glue between the untyped `ocpp` library and an aiohttp client WebSocket.

The library's ChargePoint wants a connection with `recv()` and `send()`; `WsLink` adapts aiohttp's
ClientWebSocketResponse to that and remembers when the socket is gone. `on` and `after` are the
library's routing decorators with types, so handlers keep theirs under mypy --strict.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
import json
import logging
from typing import Any, cast

import aiohttp
from ocpp.exceptions import OCPPError as _OCPPError  # type: ignore[import-untyped]
from ocpp.routing import after as _after, on as _on  # type: ignore[import-untyped]

LIBRARY_LOGGER = logging.getLogger("hardware.station_sim.ocpp.lib")
"""Handed to the ocpp library: only its warnings and errors get through."""
LIBRARY_LOGGER.setLevel(logging.WARNING)

OCPPError: type[Exception] = _OCPPError
"""Base class of the library's errors, e.g. a CallError answer raised by call()."""


def on[F: Callable[..., Any]](action: str) -> Callable[[F], F]:
    """Mark a method as the handler of the central system's `action` CALLs."""
    return cast(Callable[[F], F], _on(action))


def after[F: Callable[..., Any]](action: str) -> Callable[[F], F]:
    """Mark a method to run once the answer to an `action` CALL went out."""
    return cast(Callable[[F], F], _after(action))


def boot_answer_of(text: str) -> str | None:
    """The status of a BootNotification answer (the only CALLRESULT with an interval), else None."""
    try:
        frame = json.loads(text)
    except ValueError:
        return None
    if isinstance(frame, list) and len(frame) == 3 and frame[0] == 3:
        payload = frame[2]
        if isinstance(payload, dict) and "interval" in payload and "status" in payload:
            return str(payload["status"])
    return None


def call_of(text: str) -> tuple[str, dict[str, Any]] | None:
    """(action, payload) when `text` is a well-formed CALL frame, else None."""
    try:
        frame = json.loads(text)
    except ValueError:
        return None
    if (
        isinstance(frame, list)
        and len(frame) == 4
        and frame[0] == 2
        and isinstance(frame[2], str)
        and isinstance(frame[3], dict)
    ):
        return frame[2], frame[3]
    return None


class LinkClosedError(ConnectionError):
    """The WebSocket is gone."""


class WsLink:
    """One WebSocket connection, shaped as the ocpp library's connection (recv/send)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Wrap an open client WebSocket."""
        self.ws = ws
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.reader: asyncio.Task[None] | None = None

    @property
    def open(self) -> bool:
        """Whether the socket still works."""
        return not self.closed.done() and not self.ws.closed

    def mark_closed(self) -> None:
        """Record that the socket is gone (wakes every call waiting on it)."""
        if not self.closed.done():
            self.closed.set_result(None)

    async def recv(self) -> str:
        """The next text frame; LinkClosedError once the socket closes."""
        while True:
            message = await self.ws.receive()
            if message.type is aiohttp.WSMsgType.TEXT:
                return cast(str, message.data)
            if message.type in (
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSING,
                aiohttp.WSMsgType.CLOSED,
                aiohttp.WSMsgType.ERROR,
            ):
                self.mark_closed()
                raise LinkClosedError("websocket closed")

    async def send(self, text: str) -> None:
        """Send a text frame; LinkClosedError when the socket is gone."""
        if not self.open:
            raise LinkClosedError("websocket closed")
        try:
            await self.ws.send_str(text)
        except (ConnectionError, RuntimeError) as err:
            self.mark_closed()
            raise LinkClosedError(str(err)) from err

    def abort(self) -> None:
        """Drop the TCP connection without a WebSocket close handshake."""
        self.mark_closed()
        connection = getattr(self.ws, "_conn", None)
        transport = getattr(connection, "transport", None)
        if transport is not None:
            transport.abort()

    async def close(self) -> None:
        """Close politely (close frame), then forget the socket."""
        self.mark_closed()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(), timeout=2.0)
