"""The connection side of a simulated OCPP charge point: WebSocket, reconnects, incoming frames.

`ChargePointLink` dials the central system with aiohttp, feeds incoming frames to the version's
driver (the `ocpp` library's ChargePoint), and boots; the outbox (ocpp_outbox) sends the charge
point's CALLs one at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
import logging
import random
import ssl as ssl_module
from typing import Any
from urllib.parse import quote

import aiohttp

from .ocpp_outbox import OfflineError, Outbox
from .ocpp_wire import OCPPError, WsLink, call_of

_LOGGER = logging.getLogger(__name__)


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


class ChargePointLink(Outbox):
    """A charge point's connection to its central system; SimulatedChargePoint builds on it."""

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
        super().__init__()
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
        self._ticker: asyncio.Task[None] | None = None
        self._stopped = asyncio.Event()
        self._auto: _Reconnect | None = None

    async def _boot(self) -> None:
        raise NotImplementedError

    async def _after_boot(self) -> None:
        raise NotImplementedError

    async def _tick_loop(self) -> None:
        raise NotImplementedError

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
