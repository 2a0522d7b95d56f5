"""A minimal OCPP central system for the simulator's tests (test scaffolding, not the product).

It serves `ws://127.0.0.1:<port>/<id>` with aiohttp, checks HTTP Basic passwords, speaks 1.6 and
2.0.1 through the `ocpp` library's central-side ChargePoint classes, records every CALL it gets
(with the camelCase payload as sent) and lets a test send calls to a connected charge point.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
import itertools
import json
import logging
from typing import Any

from aiohttp import WSMsgType, web
from ocpp.routing import on
from ocpp.v16 import ChargePoint as Cp16, call_result as result16
from ocpp.v201 import ChargePoint as Cp201, call_result as result201

QUIET = logging.getLogger("tests.ocpp_central.lib")
QUIET.setLevel(logging.CRITICAL)


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class Received:
    """One CALL the central system got."""

    cp_id: str
    action: str
    payload: dict[str, Any]
    at: float


class _Socket:
    """The server WebSocket as the library's connection; records CALLs."""

    def __init__(self, ws: web.WebSocketResponse, central: CentralSystem, cp_id: str) -> None:
        self.ws = ws
        self.central = central
        self.cp_id = cp_id

    async def recv(self) -> str:
        message = await self.ws.receive()
        if message.type is not WSMsgType.TEXT:
            raise ConnectionError("closed")
        text: str = message.data
        self.central.raw.append((self.cp_id, text))
        with contextlib.suppress(ValueError):
            frame = json.loads(text)
            if isinstance(frame, list) and len(frame) == 4 and frame[0] == 2:
                loop = asyncio.get_running_loop()
                self.central.received.append(Received(self.cp_id, frame[2], frame[3], loop.time()))
        return text

    async def send(self, text: str) -> None:
        await self.ws.send_str(text)


class _Handlers:
    """Answers shared by both versions' central classes."""

    central: CentralSystem
    next_tx: itertools.count[int]

    def _tag_status(self, tag: str) -> str:
        return "Invalid" if tag in self.central.invalid_tags else "Accepted"


class Central16(_Handlers, Cp16):
    """The central side of OCPP 1.6J."""

    @on("BootNotification")
    def boot(self, **_: Any) -> Any:
        """Accept with the configured heartbeat interval."""
        return result16.BootNotification(
            current_time=_now(), interval=self.central.heartbeat_interval, status="Accepted"
        )

    @on("Heartbeat")
    def heartbeat(self, **_: Any) -> Any:
        """Give the time."""
        return result16.Heartbeat(current_time=_now())

    @on("StatusNotification")
    def status(self, **_: Any) -> Any:
        """Acknowledge."""
        return result16.StatusNotification()

    @on("Authorize")
    def authorize(self, id_tag: str, **_: Any) -> Any:
        """Accept every tag but the invalid ones."""
        return result16.Authorize(id_tag_info={"status": self._tag_status(id_tag)})

    @on("StartTransaction")
    def start_transaction(self, id_tag: str, **_: Any) -> Any:
        """Hand out transaction ids 1, 2, ..."""
        return result16.StartTransaction(
            transaction_id=next(self.central.next_tx),
            id_tag_info={"status": self._tag_status(id_tag)},
        )

    @on("StopTransaction")
    def stop_transaction(self, **_: Any) -> Any:
        """Acknowledge."""
        return result16.StopTransaction()

    @on("MeterValues")
    def meter_values(self, **_: Any) -> Any:
        """Acknowledge."""
        return result16.MeterValues()


class Central201(_Handlers, Cp201):
    """The CSMS side of OCPP 2.0.1."""

    @on("BootNotification")
    def boot(self, **_: Any) -> Any:
        """Accept with the configured heartbeat interval."""
        return result201.BootNotification(
            current_time=_now(), interval=self.central.heartbeat_interval, status="Accepted"
        )

    @on("Heartbeat")
    def heartbeat(self, **_: Any) -> Any:
        """Give the time."""
        return result201.Heartbeat(current_time=_now())

    @on("StatusNotification")
    def status(self, **_: Any) -> Any:
        """Acknowledge."""
        return result201.StatusNotification()

    @on("Authorize")
    def authorize(self, id_token: dict[str, Any], **_: Any) -> Any:
        """Accept every token but the invalid ones."""
        return result201.Authorize(id_token_info={"status": self._tag_status(id_token["id_token"])})

    @on("TransactionEvent")
    def transaction_event(self, id_token: dict[str, Any] | None = None, **_: Any) -> Any:
        """Judge the token when one comes."""
        if id_token is None:
            return result201.TransactionEvent()
        return result201.TransactionEvent(
            id_token_info={"status": self._tag_status(id_token["id_token"])}
        )

    @on("MeterValues")
    def meter_values(self, **_: Any) -> Any:
        """Acknowledge."""
        return result201.MeterValues()


@dataclass
class CentralSystem:
    """Serves charge points on a loopback port; start() it in a test."""

    passwords: dict[str, str] = field(default_factory=dict)
    """Known ids and their passwords; an empty dict accepts everyone without a password."""
    heartbeat_interval: int = 30
    invalid_tags: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)
    raw: list[tuple[str, str]] = field(default_factory=list)
    connections: dict[str, Cp16 | Cp201] = field(default_factory=dict)
    connects: int = 0
    next_tx: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    port: int = 0
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """Where charge points connect."""
        return f"ws://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application()
        app.router.add_get("/{cp_id}", self._serve)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Close every connection and the port."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        cp_id = request.match_info["cp_id"]
        if self.passwords:
            auth = request.headers.get("Authorization", "")

            expected = (
                "Basic "
                + base64.b64encode(f"{cp_id}:{self.passwords.get(cp_id, '')}".encode()).decode()
            )
            if cp_id not in self.passwords or auth != expected:
                raise web.HTTPUnauthorized
        ws = web.WebSocketResponse(protocols=("ocpp1.6", "ocpp2.0.1"))
        await ws.prepare(request)
        kind = Central16 if ws.ws_protocol == "ocpp1.6" else Central201
        central_cp = kind(cp_id, _Socket(ws, self, cp_id), response_timeout=5, logger=QUIET)
        central_cp.central = self
        self.connections[cp_id] = central_cp
        self.connects += 1
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            await central_cp.start()
        if self.connections.get(cp_id) is central_cp:
            del self.connections[cp_id]
        await ws.close()
        return ws

    def calls(self, action: str, cp_id: str | None = None) -> list[dict[str, Any]]:
        """Payloads of the CALLs of `action` received so far."""
        return [
            r.payload
            for r in self.received
            if r.action == action and (cp_id is None or r.cp_id == cp_id)
        ]

    async def send(self, cp_id: str, payload: Any) -> Any:
        """Send a CALL to a connected charge point and return its answer."""
        return await self.connections[cp_id].call(payload, suppress=False)
