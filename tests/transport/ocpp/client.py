"""A bare OCPP-J test client: raw frames over a real WebSocket, nothing interpreted for it."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
import contextlib
import itertools
import json
from typing import Any

import aiohttp

from custom_components.ev_v2g.transport.ocpp import CentralSystem
from custom_components.ev_v2g.transport.ocpp.model import ChargePointState

PASSWORD = "s3cret-password"
WAIT = 5.0


class Recorder:
    """A CentralSystemListener that writes down what it hears."""

    def __init__(self) -> None:
        """Nothing heard yet."""
        self.changes: list[tuple[str, int | None]] = []
        self.unknown: list[str] = []
        self.locked_out: list[tuple[str, str]] = []

    def charge_point_changed(self, state: ChargePointState, connector: int | None) -> None:
        """Write down a change."""
        self.changes.append((state.id, connector))

    def unknown_charge_point(self, charge_point_id: str) -> None:
        """Write down an unknown id."""
        self.unknown.append(charge_point_id)

    def login_locked_out(self, charge_point_id: str, address: str) -> None:
        """Write down a lockout."""
        self.locked_out.append((charge_point_id, address))


class OcppClient:
    """A charge point's side of the socket: sends frames, collects answers and CALLs."""

    def __init__(self, session: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Read ``ws`` in the background."""
        self.session = session
        self.ws = ws
        self.calls: asyncio.Queue[tuple[str, str, dict[str, Any]]] = asyncio.Queue()
        self.unmatched: asyncio.Queue[list[Any]] = asyncio.Queue()
        self._answers: dict[str, asyncio.Future[list[Any]]] = {}
        self._ids = itertools.count(1)
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(
        cls,
        central: CentralSystem,
        charge_point_id: str,
        *,
        password: str | None = PASSWORD,
        protocols: tuple[str, ...] = ("ocpp1.6",),
        ssl: Any = None,
        scheme: str = "ws",
    ) -> OcppClient:
        """Open a WebSocket to the central system as ``charge_point_id``."""
        session = aiohttp.ClientSession()
        auth = None if password is None else aiohttp.BasicAuth(charge_point_id, password)
        try:
            ws = await session.ws_connect(
                f"{scheme}://127.0.0.1:{central.port}/{charge_point_id}",
                protocols=protocols,
                auth=auth,
                ssl=True if ssl is None else ssl,
            )
        except BaseException:
            await session.close()
            raise
        return cls(session, ws)

    async def _read(self) -> None:
        """Sort incoming frames: answers to our CALLs, the server's CALLs, anything else."""
        async for message in self.ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                continue
            frame = json.loads(message.data)
            if frame[0] == 2:
                self.calls.put_nowait((frame[1], frame[2], frame[3]))
            elif (future := self._answers.pop(frame[1], None)) is not None:
                future.set_result(frame)
            else:
                self.unmatched.put_nowait(frame)

    async def send_raw(self, text: str) -> None:
        """Send a text frame as it is."""
        await self.ws.send_str(text)

    def next_id(self) -> str:
        """A fresh message id."""
        return f"m{next(self._ids)}"

    def expect_answer(self, unique_id: str) -> asyncio.Future[list[Any]]:
        """A future for the answer to ``unique_id``."""
        future = self._answers[unique_id] = asyncio.get_running_loop().create_future()
        return future

    async def call(self, action: str, payload: dict[str, Any], timeout: float = WAIT) -> list[Any]:
        """Send a CALL and return the whole answer frame (CALLRESULT or CALLERROR)."""
        unique_id = self.next_id()
        answer = self.expect_answer(unique_id)
        await self.ws.send_str(json.dumps([2, unique_id, action, payload]))
        async with asyncio.timeout(timeout):
            return await answer

    async def result(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Send a CALL that must succeed and return its result payload."""
        answer = await self.call(action, payload)
        assert answer[0] == 3, answer
        result: dict[str, Any] = answer[2]
        return result

    async def next_call(self, timeout: float = WAIT) -> tuple[str, str, dict[str, Any]]:
        """The next CALL the server sends: (id, action, payload)."""
        async with asyncio.timeout(timeout):
            return await self.calls.get()

    async def answer(self, unique_id: str, payload: dict[str, Any]) -> None:
        """Answer a server CALL with a CALLRESULT."""
        await self.ws.send_str(json.dumps([3, unique_id, payload]))

    async def answer_error(self, unique_id: str, code: str, text: str = "") -> None:
        """Answer a server CALL with a CALLERROR."""
        await self.ws.send_str(json.dumps([4, unique_id, code, text, {}]))

    async def respond(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Take the next server CALL, check its action, answer it; returns its payload."""
        unique_id, got, request = await self.next_call()
        assert got == action, (got, request)
        await self.answer(unique_id, payload)
        return request

    async def next_unmatched(self, timeout: float = WAIT) -> list[Any]:
        """The next frame that answers none of our CALLs (e.g. a CALLERROR with id "-1")."""
        async with asyncio.timeout(timeout):
            return await self.unmatched.get()

    async def close(self) -> None:
        """Close the socket and the session."""
        await self.ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        await self.session.close()


VALID_TO = 1_780_000_000.0


async def answered(
    command: Coroutine[Any, Any, Any], client: OcppClient, action: str, answer: dict[str, Any]
) -> tuple[dict[str, Any], Any]:
    """Run a command while the client answers it; returns (request payload, command result)."""
    task = asyncio.create_task(command)
    request = await client.respond(action, answer)
    return request, await task


async def http_get(
    central: CentralSystem, path: str, headers: dict[str, str] | None = None
) -> tuple[int, aiohttp.typedefs.LooseHeaders, str]:
    """A plain HTTP GET to the central system."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{central.port}{path}", headers=headers) as response,
    ):
        return response.status, response.headers, await response.text()


def upgrade_headers(protocols: str | None = "ocpp1.6", auth: str | None = None) -> dict[str, str]:
    """The headers of a WebSocket upgrade request."""
    headers = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    if protocols is not None:
        headers["Sec-WebSocket-Protocol"] = protocols
    if auth is not None:
        headers["Authorization"] = auth
    return headers
