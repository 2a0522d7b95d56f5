"""A simulated OCPP 1.6J / 2.0.1 charge point, for tests, the demo and benchmarks.

`SimulatedChargePoint` is built from parts: its state (state.py), the outbox that sends its calls
(outbox.py), the connection that dials the central system (connection.py), its transactions
(transactions.py), the ticker that boots and keeps time (ticker.py) and the version's driver
(v16.py, v201.py), which gets the state and this object as its scheduler. It is light enough for a thousand in one process: a reader task per
connection and a ticker task per charge point, no threads of its own::

    cp = SimulatedChargePoint("cp-1", version="ocpp1.6", password="secret", tick=0.05)
    await cp.connect("ws://127.0.0.1:9000")
    await cp.plug(1, soc=40)
    assert await cp.swipe(1)
    await cp.stop()

Messages that belong to a transaction are queued while the socket is down and sent, in order and
with their original timestamps, once it is back; other messages are dropped while offline.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
import contextlib
import logging
import ssl as ssl_module
from typing import Any

import aiohttp

from .car import CarActions
from .connection import Connection
from .driver import Driver
from .outbox import Outbox
from .physics import SimConnector
from .state import ChargePointState
from .ticker import Ticker
from .transactions import Transactions
from .v16 import V16Driver
from .v201 import V201Driver

_LOGGER = logging.getLogger(__name__)


class SimulatedChargePoint:
    """A charge point with connectors, cars, meters and an OCPP connection to a central system."""

    def __init__(
        self,
        charge_point_id: str,
        *,
        connectors: int = 1,
        session: aiohttp.ClientSession | None = None,
        **description: Any,
    ) -> None:
        """Describe the charge point; nothing connects until connect() or start().

        `description` takes ChargePointState's fields (version, password, max_current_a,
        voltage_v, phases, meter_interval, tick, id_tag, vendor, model, response_timeout);
        `session` is a shared aiohttp session (a fleet's); by default each has its own.
        """
        self.state = ChargePointState(id=charge_point_id, **description)
        self.state.add_connectors(connectors)
        self.outbox = Outbox(self.state)
        self.driver: Driver = (V16Driver if self.state.version == "ocpp1.6" else V201Driver)(
            self.state, self
        )
        self.outbox.driver = self.driver
        self.transactions = Transactions(
            self.state, self.driver, lambda: self.spawn(self.reset("SoftReset"))
        )
        self.connection = Connection(
            self.state, self.outbox, self.driver, self._opened, session=session
        )
        self.cars = CarActions(self.state, self.driver, self.outbox, self.transactions)
        self.ticker = Ticker(self.state, self.driver, self.outbox, self.connection, self.spawn)

    # -- what it is -----------------------------------------------------------------------------

    @property
    def id(self) -> str:
        """The charge point's identity (the last segment of its URL)."""
        return self.state.id

    @property
    def version(self) -> str:
        """The OCPP version it speaks (the WebSocket subprotocol)."""
        return self.state.version

    @property
    def connectors(self) -> dict[int, SimConnector]:
        """The connectors by number."""
        return self.state.connectors

    @property
    def connected(self) -> bool:
        """Whether the WebSocket is open."""
        return self.outbox.connected

    @property
    def queued(self) -> int:
        """Messages waiting to be sent (transaction messages queued while offline, mostly)."""
        return self.outbox.queued

    async def _opened(self) -> None:
        await self.ticker.opened()

    # -- what the cars and the user do -----------------------------------------------------------

    async def plug(
        self,
        connector: int = 1,
        *,
        soc: float = 50.0,
        capacity_kwh: float = 60.0,
        max_current_a: float = 32.0,
    ) -> None:
        """Plug a car in; a start authorized before (swipe, remote start) begins now."""
        await self.cars.plug(
            connector, soc=soc, capacity_kwh=capacity_kwh, max_current_a=max_current_a
        )

    async def unplug(self, connector: int = 1) -> None:
        """Unplug the car, ending a running transaction (EVDisconnected)."""
        await self.cars.unplug(connector)

    async def swipe(self, connector: int = 1, id_tag: str | None = None) -> bool:
        """Present a card (the default one unless `id_tag`); whether it was accepted."""
        return await self.cars.swipe(connector, id_tag)

    async def stop_local(self, connector: int = 1) -> None:
        """Stop the transaction at the charge point (reason Local); the car stays plugged."""
        await self.cars.stop_local(connector)

    async def meter_now(self, connector: int = 1) -> None:
        """Send the connector's meter values right away."""
        await self.cars.meter_now(connector)

    # -- the scheduler the drivers get ------------------------------------------------------------

    def enqueue(
        self,
        build: Callable[[], Any],
        *,
        keep: bool = False,
        done: Callable[[Any], None] | None = None,
        periodic: bool = False,
    ) -> None:
        """Queue a CALL (see Outbox.enqueue)."""
        self.outbox.enqueue(build, keep=keep, done=done, periodic=periodic)

    def later(self, unique_id: str, action: Callable[[], None]) -> None:
        """Do `action` once the answer to CALL `unique_id` went out."""
        self.outbox.later(unique_id, action)

    def run_later(self, unique_id: str) -> None:
        """The answer to `unique_id` went out."""
        self.outbox.run_later(unique_id)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run `coro` in the background; stop() cancels it."""
        self.outbox.spawn(coro)

    def end(self, conn: SimConnector, reason: str) -> None:
        """End the connector's transaction (reason in 1.6 terms)."""
        self.transactions.end(conn, reason)

    def start_when_plugged(
        self, conn: SimConnector, id_tag: str, remote_start_id: int | None, trigger: str
    ) -> None:
        """Start now if a car is plugged, else as soon as one is."""
        self.transactions.start_when_plugged(conn, id_tag, remote_start_id, trigger)

    def set_meter_interval(self, seconds: float) -> None:
        """Change the meter interval (MeterValueSampleInterval) from now on."""
        self.ticker.set_meter_interval(seconds)

    async def reset(self, stop_reason: str) -> None:
        """End every transaction, drop the connection and boot again (RemoteReset)."""
        for conn in self.connectors.values():
            self.transactions.end(conn, stop_reason)
        with contextlib.suppress(ConnectionError):
            await self.outbox.flush()
        self.state.boot_reason = "RemoteReset"
        await self.connection.redial(min(1.0, self.state.tick))

    # -- the connection ---------------------------------------------------------------------------

    async def connect(self, url: str, *, ssl: ssl_module.SSLContext | None = None) -> None:
        """Open the WebSocket to `url`/<id>, boot, report the connectors and start ticking."""
        await self.connection.connect(url, ssl=ssl)

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
        self.ticker.ensure_running()
        self.connection.stay_connected(url, ssl, reconnect_delay, max_reconnect_delay)

    async def run(self, url: str, **options: Any) -> None:
        """start(), then wait until stop()."""
        self.start(url, **options)
        await self.connection.stopped.wait()

    async def disconnect(self) -> None:
        """Drop the socket abruptly (no close frame); the charge point and its cars carry on."""
        await self.connection.disconnect()

    async def stop(self) -> None:
        """Close the socket and stop every task; idempotent."""
        await self.connection.close()
        await self.ticker.stop()
        await self.outbox.cancel_tasks()

    async def call(self, payload: Any) -> Any:
        """Send a CALL now and return the answer (see Outbox.call)."""
        return await self.outbox.call(payload)

    async def send_raw(self, text: str) -> None:
        """Send any text frame as it is (fault tests)."""
        await self.outbox.send_raw(text)

    async def flush(self) -> None:
        """Send what is queued, in order, while connected and booted."""
        await self.outbox.flush()

    def step(self, dt: float) -> None:
        """Advance the physics of every connector by `dt` seconds and report status changes."""
        self.ticker.step(dt)
