"""The connection side of a simulated OCPP charge point: WebSocket, boot order, outbox, tasks.

`ChargePointLink` dials the central system with aiohttp, feeds incoming frames to the version's
driver (the `ocpp` library's ChargePoint), and sends the charge point's CALLs one at a time from an
ordered outbox. Transaction messages stay in the outbox while offline and go out, in order and
with their original timestamps, after the next boot; other messages are dropped while offline.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Coroutine
import contextlib
from dataclasses import dataclass
import logging
import random
import ssl as ssl_module
from typing import Any, Protocol
from urllib.parse import quote

import aiohttp

from .ocpp_physics import SimConnector, SimTransaction
from .ocpp_wire import OCPPError, WsLink, call_of

_LOGGER = logging.getLogger(__name__)

MAX_QUEUED = 1000
"""Queued transaction messages kept while offline; the oldest periodic meter values go first."""


class OfflineError(ConnectionError):
    """The charge point has no working connection to the central system."""


class Driver(Protocol):
    """What a version's protocol driver (a library ChargePoint subclass) does for the simulator."""

    def attach(self, link: WsLink) -> None:
        """Talk over `link` from now on."""

    async def call(self, payload: Any, suppress: bool = True) -> Any:
        """Send a CALL and return the answer (the library's method)."""

    async def route_message(self, raw: str) -> None:
        """The library's dispatcher of incoming frames."""

    def boot_payload(self, reason: str) -> Any:
        """A BootNotification."""

    def heartbeat_payload(self) -> Any:
        """A Heartbeat."""

    def authorize_payload(self, id_tag: str) -> Any:
        """An Authorize."""

    def authorize_status(self, result: Any) -> str:
        """The status in an Authorize answer."""

    def refresh(self, conn: SimConnector, *, force: bool = False) -> None:
        """Queue the notifications a change of the connector's status calls for."""

    def start(self, conn: SimConnector, tx: SimTransaction, trigger: str) -> None:
        """Queue the start of `tx`."""

    def stop(self, conn: SimConnector, tx: SimTransaction, reason: str) -> None:
        """Queue the end of `tx` (reason in 1.6 terms)."""

    def meter(self, conn: SimConnector, context: str) -> None:
        """Queue a meter reading of the connector."""


@dataclass(slots=True)
class _Outgoing:
    build: Callable[[], Any]
    """Makes the payload when its turn comes (None: skip it)."""
    keep: bool
    """A transaction message: kept while offline."""
    done: Callable[[Any], None] | None
    periodic: bool


@dataclass(slots=True)
class _Reconnect:
    """start()'s wish to stay connected, and its back-off."""

    url: str
    ssl: ssl_module.SSLContext | None
    first_delay: float
    max_delay: float
    delay: float = 0.0
    next_at: float = 0.0
    connecting: bool = False

    def __post_init__(self) -> None:
        self.delay = self.first_delay


class ChargePointLink:
    """A charge point's connection to its central system; SimulatedChargePoint builds on it."""

    driver: Driver

    def __init__(
        self,
        charge_point_id: str,
        *,
        version: str,
        password: str | None,
        response_timeout: float,
        session: aiohttp.ClientSession | None,
    ) -> None:
        """Set up the connection state; nothing connects until connect() or start()."""
        self.id = charge_point_id
        self.version = version
        self.password = password
        self.response_timeout = response_timeout
        self.received: list[tuple[str, dict[str, Any]]] = []
        """Every CALL from the central system, (action, payload) in arrival order."""
        self.answer_calls = True
        self.boot_status: str | None = None
        """The last BootNotification answer's status."""
        self._session = session
        self._own_session: aiohttp.ClientSession | None = None
        self._url: str | None = None
        self._ssl: ssl_module.SSLContext | None = None
        self._link: WsLink | None = None
        self._outbox: deque[_Outgoing] = deque()
        self._send_lock = asyncio.Lock()
        self._ticker: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._after: dict[str, Callable[[], None]] = {}
        self._stopped = asyncio.Event()
        self._auto: _Reconnect | None = None

    async def _boot(self) -> None:
        raise NotImplementedError

    async def _after_boot(self) -> None:
        raise NotImplementedError

    async def _tick_loop(self) -> None:
        raise NotImplementedError

    @property
    def connected(self) -> bool:
        """Whether the WebSocket is open."""
        return self._link is not None and self._link.open

    @property
    def queued(self) -> int:
        """Messages waiting to be sent (transaction messages queued while offline, mostly)."""
        return len(self._outbox)

    # -- connection ----------------------------------------------------------------------------

    async def connect(self, url: str, *, ssl: ssl_module.SSLContext | None = None) -> None:
        """Open the WebSocket to `url`/<id>, boot, report the connectors and start ticking.

        Raises:
            aiohttp.WSServerHandshakeError: the central system refused (e.g. 401, 404).
            aiohttp.ClientError, OSError: it could not be reached.
            ConnectionError: it accepted the socket but not our subprotocol, or dropped it at boot.
        """
        if self.connected:
            raise RuntimeError(f"{self.id} is already connected")
        self._stopped.clear()
        self._url, self._ssl = url, ssl
        session = self._session
        if session is None:
            if self._own_session is None or self._own_session.closed:
                self._own_session = aiohttp.ClientSession()
            session = self._own_session
        auth = aiohttp.BasicAuth(self.id, self.password) if self.password is not None else None
        ws = await session.ws_connect(
            f"{url.rstrip('/')}/{quote(self.id, safe='')}",
            protocols=(self.version,),
            auth=auth,
            ssl=ssl if ssl is not None else True,
            autoping=True,
        )
        if ws.protocol != self.version:
            await ws.close()
            raise ConnectionError(f"central system did not accept subprotocol {self.version}")
        link = WsLink(ws)
        self._link = link
        self.driver.attach(link)
        link.reader = asyncio.create_task(self._read(link), name=f"ocpp_sim {self.id} reader")
        _LOGGER.debug("%s connected to %s", self.id, url)
        try:
            await self._boot()
        except (OfflineError, TimeoutError, OCPPError) as err:
            await link.close()
            await self._end_reader(link)
            raise ConnectionError(f"{self.id}: boot failed: {err!r}") from err
        self._ensure_ticker()
        if self.boot_status == "Accepted":
            await self._after_boot()

    def start(
        self,
        url: str,
        *,
        ssl: ssl_module.SSLContext | None = None,
        reconnect_delay: float = 1.0,
        max_reconnect_delay: float = 30.0,
    ) -> None:
        """Connect in the background and stay connected until stop(), without a task of its own.

        The ticker reconnects after a drop with back-off (doubling from `reconnect_delay` up to
        `max_reconnect_delay`, four-fold after a refusal), with some jitter.
        """
        self._stopped.clear()
        self._auto = _Reconnect(url, ssl, reconnect_delay, max_reconnect_delay)
        self._ensure_ticker()
        if not self.connected and not self._auto.connecting:
            self._auto.connecting = True
            self.spawn(self._reconnect(self._auto))

    async def run(
        self,
        url: str,
        *,
        ssl: ssl_module.SSLContext | None = None,
        reconnect_delay: float = 1.0,
        max_reconnect_delay: float = 30.0,
    ) -> None:
        """start(), then wait until stop()."""
        self.start(
            url, ssl=ssl, reconnect_delay=reconnect_delay, max_reconnect_delay=max_reconnect_delay
        )
        await self._stopped.wait()

    async def _reconnect(self, auto: _Reconnect) -> None:
        loop = asyncio.get_running_loop()
        try:
            await self.connect(auto.url, ssl=auto.ssl)
        except aiohttp.WSServerHandshakeError as err:
            _LOGGER.debug("%s refused (%s)", self.id, err.status)
            auto.delay = min(auto.max_delay, auto.delay * 4)
        except (aiohttp.ClientError, OSError, TimeoutError, RuntimeError) as err:
            _LOGGER.debug("%s cannot connect: %s", self.id, err)
            auto.delay = min(auto.max_delay, auto.delay * 2)
        else:
            auto.delay = auto.first_delay
        finally:
            auto.connecting = False
            auto.next_at = loop.time() + auto.delay * random.uniform(0.8, 1.2)

    def _ensure_ticker(self) -> None:
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.create_task(self._tick_loop(), name=f"ocpp_sim {self.id} ticks")

    async def disconnect(self) -> None:
        """Drop the socket abruptly (no close frame); the charge point and its cars carry on."""
        link, self._link = self._link, None
        if link is not None:
            link.abort()
            await self._end_reader(link)

    async def stop(self) -> None:
        """Close the socket and stop every task; idempotent."""
        self._stopped.set()
        self._auto = None
        link, self._link = self._link, None
        if link is not None:
            await link.close()
            await self._end_reader(link)
        tasks = [task for task in (self._ticker, *self._tasks) if task is not None]
        self._ticker = None
        current = asyncio.current_task()
        for task in tasks:
            if task is not current:
                task.cancel()
        for task in tasks:
            if task is not current:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self._own_session is not None:
            await self._own_session.close()
            self._own_session = None

    async def _end_reader(self, link: WsLink) -> None:
        reader = link.reader
        if reader is not None and reader is not asyncio.current_task():
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    async def _read(self, link: WsLink) -> None:
        try:
            while True:
                text = await link.recv()
                if (call := call_of(text)) is not None:
                    self.received.append(call)
                    if not self.answer_calls:
                        continue
                await self.driver.route_message(text)
        except ConnectionError:
            pass
        except Exception:
            _LOGGER.exception("%s: reader failed", self.id)
        finally:
            link.mark_closed()
            if self._link is link:
                self._link = None
            if (auto := self._auto) is not None:
                auto.next_at = asyncio.get_running_loop().time() + auto.delay
            _LOGGER.debug("%s disconnected", self.id)

    # -- calls ------------------------------------------------------------------------------------

    async def call(self, payload: Any) -> Any:
        """Send a CALL now and return the answer (a library call_result dataclass).

        Raises:
            OfflineError: no connection, or it was lost before the answer came.
            TimeoutError: no answer within response_timeout.
            OCPPError: the central system answered with a CALLERROR.
        """
        link = self._link
        if link is None or not link.open:
            raise OfflineError(self.id)
        request = asyncio.ensure_future(self.driver.call(payload, suppress=False))
        try:
            await asyncio.wait((request, link.closed), return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not request.done():
                request.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await request
        if request.cancelled():
            raise OfflineError(self.id)
        error = request.exception()
        if isinstance(error, ConnectionError):
            raise OfflineError(self.id) from error
        return request.result()

    async def send_raw(self, text: str) -> None:
        """Send any text frame as it is (fault tests)."""
        link = self._link
        if link is None:
            raise OfflineError(self.id)
        await link.send(text)

    def enqueue(
        self,
        build: Callable[[], Any],
        *,
        keep: bool = False,
        done: Callable[[Any], None] | None = None,
        periodic: bool = False,
    ) -> None:
        """Queue a CALL; `build` makes its payload when its turn comes.

        Args:
            build: Returns the payload, or None to skip the message after all.
            keep: A transaction message: kept while offline and sent after reconnecting.
            done: Called with the answer.
            periodic: A periodic meter value, the first to go when the queue is full.
        """
        if not keep and not self.connected:
            return
        self._outbox.append(_Outgoing(build, keep, done, periodic))
        if len(self._outbox) > MAX_QUEUED:
            for index in range(1, len(self._outbox)):
                if self._outbox[index].periodic:
                    del self._outbox[index]
                    break
            else:
                del self._outbox[1]

    async def flush(self) -> None:
        """Send what is queued, in order, while connected and booted."""
        async with self._send_lock:
            while self._outbox:
                if not self.connected or self.boot_status != "Accepted":
                    kept = [item for item in self._outbox if item.keep]
                    self._outbox = deque(kept)
                    return
                item = self._outbox[0]
                payload = item.build()
                if payload is None:
                    self._outbox.popleft()
                    continue
                try:
                    result = await self.call(payload)
                except OfflineError:
                    continue
                except TimeoutError:
                    _LOGGER.debug("%s: no answer to %s", self.id, type(payload).__name__)
                    if not item.keep:
                        self._outbox.popleft()
                    return
                except OCPPError as err:
                    _LOGGER.debug("%s: %s refused: %s", self.id, type(payload).__name__, err)
                    self._outbox.popleft()
                    continue
                self._outbox.popleft()
                if item.done is not None:
                    item.done(result)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run `coro` in the background; stop() cancels it."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            _LOGGER.warning("%s: background task failed: %r", self.id, error)

    def flush_soon(self) -> None:
        """Flush in the background unless a flush is under way (it will pick new items up)."""
        if self._outbox and self.connected and not self._send_lock.locked():
            self.spawn(self.flush())

    def later(self, unique_id: str, action: Callable[[], None]) -> None:
        """Do `action` once the answer to CALL `unique_id` went out (see run_later)."""
        self._after[unique_id] = action

    def run_later(self, unique_id: str) -> None:
        """Called from the drivers' @after hooks."""
        if (action := self._after.pop(unique_id, None)) is not None:
            action()
            self.flush_soon()
