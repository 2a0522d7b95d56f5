"""A simulated OCPP 1.6J / 2.0.1 charge point, for tests, the demo and benchmarks.

`SimulatedChargePoint` dials a central system over an aiohttp client WebSocket, boots, reports its
connectors and meters, and answers the central system's calls through the `ocpp` library's
charge-point classes (ocpp_v16, ocpp_v201). It is light enough for a thousand in one process: a
reader task per connection and a ticker task per charge point, no threads of its own::

    cp = SimulatedChargePoint("cp-1", version="ocpp1.6", password="secret", tick=0.05)
    await cp.connect("ws://127.0.0.1:9000")
    await cp.plug(1, soc=40)
    assert await cp.swipe(1)
    await cp.stop()

Messages that belong to a transaction are queued while the socket is down and sent, in order and
with their original timestamps, once it is back; other messages are dropped while offline.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Coroutine
import contextlib
from dataclasses import dataclass
from datetime import datetime
import logging
import random
import ssl as ssl_module
from typing import Any, Protocol
from urllib.parse import quote

import aiohttp

from .ocpp_physics import TX, SimConnector, SimProfile, SimTransaction, utc_now
from .ocpp_wire import OCPPError, WsLink, call_of

_LOGGER = logging.getLogger(__name__)

VERSIONS = ("ocpp1.6", "ocpp2.0.1")
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


class SimulatedChargePoint:
    """A charge point with connectors, cars, meters and an OCPP connection to a central system."""

    def __init__(
        self,
        charge_point_id: str,
        *,
        version: str = "ocpp1.6",
        connectors: int = 1,
        password: str | None = None,
        max_current_a: float = 32.0,
        voltage_v: float = 230.0,
        phases: int = 1,
        meter_interval: float = 10.0,
        tick: float = 1.0,
        id_tag: str = "CARD-1",
        vendor: str = "ev_v2g",
        model: str = "SimCP",
        response_timeout: float = 30.0,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        """Describe the charge point; nothing connects until connect() or run().

        Args:
            charge_point_id: Its identity, the last path segment of the URL.
            version: The WebSocket subprotocol, "ocpp1.6" or "ocpp2.0.1".
            connectors: Connectors (2.0.1: EVSEs with one connector each), numbered from 1.
            password: HTTP Basic password (security profile 1), or None for none.
            max_current_a: What the hardware can deliver per phase.
            voltage_v: Line voltage.
            phases: Phases in use (1 or 3).
            meter_interval: Seconds between meter values (MeterValueSampleInterval).
            tick: Seconds between physics steps.
            id_tag: The card swipe() presents by default.
            vendor: BootNotification vendor.
            model: BootNotification model.
            response_timeout: Seconds to wait for the central system's answer to a call.
            session: A shared aiohttp session (a fleet's); by default each charge point has one.
        """
        if version not in VERSIONS:
            raise ValueError(f"version must be one of {VERSIONS}")
        if connectors < 1 or phases not in (1, 2, 3) or tick <= 0 or meter_interval <= 0:
            raise ValueError("need connectors >= 1, phases 1..3, tick > 0, meter_interval > 0")
        self.id = charge_point_id
        self.version = version
        self.password = password
        self.max_current_a = max_current_a
        self.voltage_v = voltage_v
        self.phases = phases
        self.meter_interval = meter_interval
        self.tick = tick
        self.id_tag = id_tag
        self.vendor = vendor
        self.model = model
        self.response_timeout = response_timeout
        self.clock: Callable[[], datetime] = utc_now
        """Wall clock (timestamps, profile validity); tests may replace it."""
        self.station_profiles: dict[tuple[str, int], SimProfile] = {}
        """Connector 0's charging profiles by (purpose, stack level)."""
        self.connectors = {
            number: SimConnector(
                number,
                max_current_a=max_current_a,
                voltage_v=voltage_v,
                phases=phases,
                clock=self.now,
                station_profiles=self.station_profiles,
            )
            for number in range(1, connectors + 1)
        }
        self.received: list[tuple[str, dict[str, Any]]] = []
        """Every CALL from the central system, (action, payload) in arrival order."""
        self.answer_calls = True
        self.accept_remote_start = True
        self.accept_profiles = True
        self.send_heartbeats = True
        self.boot_status: str | None = None
        """The last BootNotification answer's status."""
        self.heartbeat_interval = 60.0
        self.local_list: dict[str, str] = {}
        """SendLocalList: id tag → status."""
        self.local_list_version = 0
        self.auth_cache: dict[str, str] = {}
        self.config: dict[str, str] = {}
        """Writable configuration not modelled otherwise (1.6 keys / 2.0.1 Component.Variable)."""
        self.boot_reason = "PowerUp"
        self.reset_when_idle = False
        """2.0.1 Reset OnIdle arrived during a transaction: reset once none runs."""
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
        self._next_meter = 0.0
        self._next_heartbeat = 0.0
        self._next_boot = 0.0
        self.driver: Driver = self._make_driver()

    def _make_driver(self) -> Driver:
        if self.version == "ocpp1.6":
            from .ocpp_v16 import V16Driver  # noqa: PLC0415 - the drivers import this module

            return V16Driver(self)
        from .ocpp_v201 import V201Driver  # noqa: PLC0415

        return V201Driver(self)

    # -- state -------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Whether the WebSocket is open."""
        return self._link is not None and self._link.open

    @property
    def queued(self) -> int:
        """Messages waiting to be sent (transaction messages queued while offline, mostly)."""
        return len(self._outbox)

    def now(self) -> datetime:
        """The simulator's wall clock, in UTC."""
        return self.clock()

    def connector(self, number: int) -> SimConnector:
        """A connector by number; KeyError for one that does not exist."""
        return self.connectors[number]

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
        except OfflineError as err:
            raise ConnectionError(f"{self.id}: connection lost during boot") from err
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

    # -- boot, heartbeat, ticks ------------------------------------------------------------------

    async def _boot(self) -> None:
        async with self._send_lock:
            result = await self.call(self.driver.boot_payload(self.boot_reason))
        self.boot_status = str(result.status)
        self.heartbeat_interval = float(result.interval) or self.heartbeat_interval
        loop = asyncio.get_running_loop()
        self._next_boot = loop.time() + (self.heartbeat_interval or 10.0)
        self._next_heartbeat = loop.time() + self.heartbeat_interval
        if self.boot_status == "Accepted":
            self.boot_reason = "Unknown" if self.version == "ocpp2.0.1" else "PowerUp"
        _LOGGER.debug("%s boot %s, heartbeat %s s", self.id, self.boot_status, result.interval)

    async def _after_boot(self) -> None:
        await self.flush()
        for conn in self.connectors.values():
            self.driver.refresh(conn, force=True)
        await self.flush()

    async def _tick_loop(self) -> None:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(random.uniform(0, self.tick))
        last = loop.time()
        self._next_meter = last + self.meter_interval * random.uniform(0.5, 1.0)
        while True:
            await asyncio.sleep(self.tick)
            now = loop.time()
            self.step(now - last)
            last = now
            try:
                await self._timers(now)
            except (ConnectionError, TimeoutError, OCPPError) as err:
                _LOGGER.debug("%s: %r", self.id, err)
            auto = self._auto
            if auto and not auto.connecting and not self.connected and now >= auto.next_at:
                auto.connecting = True
                self.spawn(self._reconnect(auto))
            self.flush_soon()

    def step(self, dt: float) -> None:
        """Advance the physics of every connector by `dt` seconds and report status changes."""
        for conn in self.connectors.values():
            conn.advance(dt)
            self.driver.refresh(conn)

    async def _timers(self, now: float) -> None:
        if now >= self._next_meter:
            self._next_meter = now + self.meter_interval * random.uniform(0.95, 1.05)
            for conn in self.connectors.values():
                self.driver.meter(conn, "Sample.Periodic")
        if not self.connected:
            return
        if self.boot_status != "Accepted":
            if now >= self._next_boot:
                await self._boot()
                if self.boot_status == "Accepted":
                    await self._after_boot()
        elif self.send_heartbeats and now >= self._next_heartbeat:
            self._next_heartbeat = now + self.heartbeat_interval
            self.enqueue(self.driver.heartbeat_payload)

    def set_meter_interval(self, seconds: float) -> None:
        """Change the meter interval (MeterValueSampleInterval) from now on."""
        self.meter_interval = seconds
        with contextlib.suppress(RuntimeError):
            self._next_meter = asyncio.get_running_loop().time() + seconds

    # -- transactions --------------------------------------------------------------------------

    def begin(
        self,
        conn: SimConnector,
        id_tag: str,
        *,
        trigger: str = "Authorized",
        remote_start_id: int | None = None,
    ) -> SimTransaction:
        """Start a transaction on a plugged connector and queue its start message."""
        tx = SimTransaction(
            id_tag=id_tag,
            started_at=self.now(),
            meter_start_wh=conn.energy_import_wh,
            remote_start_id=remote_start_id,
        )
        conn.pending = None
        conn.finishing = False
        conn.transaction = tx
        conn.advance(0)
        self.driver.start(conn, tx, trigger)
        self.driver.refresh(conn)
        _LOGGER.debug("%s/%s: transaction started for %s", self.id, conn.number, id_tag)
        return tx

    def end(self, conn: SimConnector, reason: str) -> None:
        """End the connector's transaction (reason in 1.6 terms) and queue its stop message."""
        tx = conn.transaction
        if tx is None:
            return
        conn.advance(0)
        conn.transaction = None
        conn.finishing = conn.plugged
        for key in [key for key in conn.profiles if key[0] == TX]:
            del conn.profiles[key]
        self.driver.stop(conn, tx, reason)
        conn.advance(0)
        self.driver.refresh(conn)
        _LOGGER.debug("%s/%s: transaction ended (%s)", self.id, conn.number, reason)
        if self.reset_when_idle and all(c.transaction is None for c in self.connectors.values()):
            self.reset_when_idle = False
            self.spawn(self.reset("SoftReset"))

    def start_when_plugged(
        self, conn: SimConnector, id_tag: str, remote_start_id: int | None, trigger: str
    ) -> None:
        """Start now if a car is plugged, else as soon as one is."""
        if conn.transaction is not None or not conn.available:
            return
        if conn.plugged:
            self.begin(conn, id_tag, trigger=trigger, remote_start_id=remote_start_id)
        else:
            conn.pending = (id_tag, remote_start_id)
            self.driver.refresh(conn)

    async def reset(self, stop_reason: str) -> None:
        """End every transaction, drop the connection and boot again (RemoteReset)."""
        for conn in self.connectors.values():
            self.end(conn, stop_reason)
        with contextlib.suppress(ConnectionError):
            await self.flush()
        self.boot_reason = "RemoteReset"
        url, ssl = self._url, self._ssl
        link = self._link
        if link is not None:
            await link.close()
            await self._end_reader(link)
        if self._auto is None and url is not None and not self._stopped.is_set():
            await asyncio.sleep(min(1.0, self.tick))
            try:
                await self.connect(url, ssl=ssl)
            except (aiohttp.ClientError, OSError) as err:
                _LOGGER.warning("%s: reconnect after reset failed: %s", self.id, err)

    # -- the car and the user ------------------------------------------------------------------

    async def plug(
        self,
        connector: int = 1,
        *,
        soc: float = 50.0,
        capacity_kwh: float = 60.0,
        max_current_a: float = 32.0,
    ) -> None:
        """Plug a car in; a start authorized before (swipe, remote start) begins now."""
        conn = self.connectors[connector]
        conn.plug(soc, capacity_kwh, max_current_a)
        pending = conn.pending
        conn.pending = None
        self.driver.refresh(conn)
        if pending is not None and conn.transaction is None:
            self.begin(conn, pending[0], trigger="CablePluggedIn", remote_start_id=pending[1])
        await self.flush()

    async def unplug(self, connector: int = 1) -> None:
        """Unplug the car, ending a running transaction (EVDisconnected)."""
        conn = self.connectors[connector]
        conn.advance(0)
        conn.unplug()
        if conn.transaction is not None:
            self.end(conn, "EVDisconnected")
        self.driver.refresh(conn)
        await self.flush()

    async def swipe(self, connector: int = 1, id_tag: str | None = None) -> bool:
        """Present a card: Authorize, then start (now if plugged, else when plugged).

        Offline, the local list and the authorization cache decide. Returns whether the card was
        accepted.
        """
        conn = self.connectors[connector]
        tag = id_tag or self.id_tag
        status = None
        if self.connected and self.boot_status == "Accepted":
            try:
                status = self.driver.authorize_status(
                    await self.call(self.driver.authorize_payload(tag))
                )
            except (OfflineError, TimeoutError):
                status = None
            except OCPPError:
                status = "Invalid"
        if status is None:
            status = self.local_list.get(tag) or self.auth_cache.get(tag) or "Invalid"
        else:
            self.auth_cache[tag] = status
        if status != "Accepted":
            return False
        self.start_when_plugged(conn, tag, None, "Authorized")
        await self.flush()
        return True

    async def stop_local(self, connector: int = 1) -> None:
        """Stop the transaction at the charge point (reason Local); the car stays plugged."""
        self.end(self.connectors[connector], "Local")
        await self.flush()

    async def meter_now(self, connector: int = 1) -> None:
        """Send the connector's meter values right away."""
        conn = self.connectors[connector]
        conn.advance(0)
        self.driver.meter(conn, "Sample.Periodic")
        await self.flush()
