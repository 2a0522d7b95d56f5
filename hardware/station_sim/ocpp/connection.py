"""The connection side of a simulated OCPP charge point: WebSocket, reconnects, incoming frames.

`Connection` dials the central system with aiohttp, feeds incoming frames to the version's driver
(the `ocpp` library's ChargePoint) and hands the open link to the outbox; what to do once
connected (boot, report) is the charge point's, given as `on_open`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import contextlib
from dataclasses import dataclass
import logging
import random
import ssl as ssl_module
from typing import TYPE_CHECKING
from urllib.parse import quote

import aiohttp

from .outbox import OfflineError, Outbox
from .wire import OCPPError, WsLink, boot_answer_of, call_of

if TYPE_CHECKING:
    from .driver import Driver
    from .state import ChargePointState

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


class Connection:
    """A charge point's WebSocket to its central system, and staying connected."""

    def __init__(
        self,
        state: ChargePointState,
        outbox: Outbox,
        driver: Driver,
        on_open: Callable[[], Awaitable[None]],
        *,
        session: aiohttp.ClientSession | None,
    ) -> None:
        """Set up; nothing connects until connect() or start()."""
        self.state = state
        self.outbox = outbox
        self.driver = driver
        self._on_open = on_open
        self._session = session
        self._own_session: aiohttp.ClientSession | None = None
        self._url: str | None = None
        self._ssl: ssl_module.SSLContext | None = None
        self._auto: _Reconnect | None = None
        self.stopped = asyncio.Event()

    @property
    def connected(self) -> bool:
        """Whether the WebSocket is open."""
        return self.outbox.connected

    async def connect(self, url: str, *, ssl: ssl_module.SSLContext | None = None) -> None:
        """Open the WebSocket to `url`/<id>, then run `on_open` (boot, report the connectors).

        Raises:
            aiohttp.WSServerHandshakeError: the central system refused (e.g. 401, 404).
            aiohttp.ClientError, OSError: it could not be reached.
            ConnectionError: it accepted the socket but not our subprotocol, or dropped it at boot.
        """
        state = self.state
        if self.connected:
            raise RuntimeError(f"{state.id} is already connected")
        self.stopped.clear()
        self._url, self._ssl = url, ssl
        session = self._session
        if session is None:
            if self._own_session is None or self._own_session.closed:
                self._own_session = aiohttp.ClientSession()
            session = self._own_session
        auth = aiohttp.BasicAuth(state.id, state.password) if state.password is not None else None
        ws = await session.ws_connect(
            f"{url.rstrip('/')}/{quote(state.id, safe='')}",
            protocols=(state.version,),
            auth=auth,
            ssl=ssl if ssl is not None else True,
            autoping=True,
        )
        if ws.protocol != state.version:
            await ws.close()
            raise ConnectionError(f"central system did not accept subprotocol {state.version}")
        link = WsLink(ws)
        self.outbox.link = link
        self.driver.attach(link)
        link.reader = asyncio.create_task(self._read(link), name=f"ocpp_sim {state.id} reader")
        _LOGGER.debug("%s connected to %s", state.id, url)
        try:
            await self._on_open()
        except (OfflineError, TimeoutError, OCPPError) as err:
            await link.close()
            await self._end_reader(link)
            raise ConnectionError(f"{state.id}: boot failed: {err!r}") from err

    def stay_connected(
        self, url: str, ssl: ssl_module.SSLContext | None, first_delay: float, max_delay: float
    ) -> None:
        """Keep connecting in the background (see reconnect_due) until stop()."""
        self.stopped.clear()
        self._auto = _Reconnect(url, ssl, first_delay, max_delay)
        self.reconnect_due(0.0, force=True)

    def reconnect_due(self, now: float, *, force: bool = False) -> None:
        """Dial again if staying connected, not connected and the back-off is over."""
        auto = self._auto
        if auto is None or auto.connecting or self.connected or (now < auto.next_at and not force):
            return
        auto.connecting = True
        self.outbox.spawn(self._reconnect(auto))

    async def _reconnect(self, auto: _Reconnect) -> None:
        loop = asyncio.get_running_loop()
        try:
            await self.connect(auto.url, ssl=auto.ssl)
        except aiohttp.WSServerHandshakeError as err:
            _LOGGER.debug("%s refused (%s)", self.state.id, err.status)
            auto.delay = min(auto.max_delay, auto.delay * 4)
        except (aiohttp.ClientError, OSError, TimeoutError, RuntimeError) as err:
            _LOGGER.debug("%s cannot connect: %s", self.state.id, err)
            auto.delay = min(auto.max_delay, auto.delay * 2)
        else:
            auto.delay = auto.first_delay
        finally:
            auto.connecting = False
            auto.next_at = loop.time() + auto.delay * random.uniform(0.8, 1.2)

    async def redial(self, pause: float) -> None:
        """Close the socket and, unless staying connected does it, connect again after `pause`."""
        url, ssl = self._url, self._ssl
        link = self.outbox.link
        if link is not None:
            await link.close()
            await self._end_reader(link)
        if self._auto is None and url is not None and not self.stopped.is_set():
            await asyncio.sleep(pause)
            try:
                await self.connect(url, ssl=ssl)
            except (aiohttp.ClientError, OSError) as err:
                _LOGGER.warning("%s: reconnect after reset failed: %s", self.state.id, err)

    async def disconnect(self) -> None:
        """Drop the socket abruptly (no close frame); the charge point and its cars carry on."""
        link, self.outbox.link = self.outbox.link, None
        if link is not None:
            link.abort()
            await self._end_reader(link)

    async def close(self) -> None:
        """Close the socket, stop staying connected and close our own HTTP session."""
        self.stopped.set()
        self._auto = None
        link, self.outbox.link = self.outbox.link, None
        if link is not None:
            await link.close()
            await self._end_reader(link)
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
                if (status := boot_answer_of(text)) is not None:
                    self.state.boot_answer = status  # before the next frame is read
                if (call := call_of(text)) is not None:
                    state = self.state
                    state.received.append(call)
                    if state.strict_boot and state.boot_answer != "Accepted":
                        state.dropped_before_boot.append(call[0])
                        continue
                    if not state.answer_calls:
                        continue
                await self.driver.route_message(text)
        except ConnectionError:
            pass
        except Exception:
            _LOGGER.exception("%s: reader failed", self.state.id)
        finally:
            link.mark_closed()
            if self.outbox.link is link:
                self.outbox.link = None
            if (auto := self._auto) is not None:
                auto.next_at = asyncio.get_running_loop().time() + auto.delay
            _LOGGER.debug("%s disconnected", self.state.id)
