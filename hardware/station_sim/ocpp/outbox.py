"""The sending side of a simulated OCPP charge point: CALLs, the ordered outbox, background tasks.

The charge point's CALLs go out one at a time from an ordered outbox. Transaction messages stay in
the outbox while offline and go out, in order and with their original timestamps, after the next
boot; other messages are dropped while offline.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Coroutine
import contextlib
from dataclasses import dataclass
import logging
from typing import TYPE_CHECKING, Any

from .wire import OCPPError

if TYPE_CHECKING:
    from .driver import Driver
    from .state import ChargePointState
    from .wire import WsLink

_LOGGER = logging.getLogger(__name__)

MAX_QUEUED = 1000
"""Queued transaction messages kept while offline; the oldest periodic meter values go first."""


class OfflineError(ConnectionError):
    """The charge point has no working connection to the central system."""


@dataclass(slots=True)
class _Outgoing:
    build: Callable[[], Any]
    """Makes the payload when its turn comes (None: skip it)."""
    keep: bool
    """A transaction message: kept while offline."""
    done: Callable[[Any], None] | None
    periodic: bool


class Outbox:
    """A charge point's calls over its current link, the ordered outbox and background tasks."""

    def __init__(self, state: ChargePointState) -> None:
        """Start with an empty outbox, no link and no tasks; the charge point sets the driver."""
        self.state = state
        self.link: WsLink | None = None
        """The open connection, if any (the connection sets it)."""
        self.driver: Driver | None = None
        self._outbox: deque[_Outgoing] = deque()
        self._send_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._after: dict[str, Callable[[], None]] = {}

    @property
    def connected(self) -> bool:
        """Whether the WebSocket is open."""
        return self.link is not None and self.link.open

    @property
    def queued(self) -> int:
        """Messages waiting to be sent (transaction messages queued while offline, mostly)."""
        return len(self._outbox)

    async def call(self, payload: Any) -> Any:
        """Send a CALL now and return the answer (a library call_result dataclass).

        Raises:
            OfflineError: no connection, or it was lost before the answer came.
            TimeoutError: no answer within response_timeout.
            OCPPError: the central system answered with a CALLERROR.
        """
        link = self.link
        if link is None or not link.open:
            raise OfflineError(self.state.id)
        if self.driver is None:
            raise RuntimeError("the charge point sets the outbox's driver first")
        request = asyncio.ensure_future(self.driver.call(payload, suppress=False))
        try:
            await asyncio.wait((request, link.closed), return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not request.done():
                request.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await request
        if request.cancelled():
            raise OfflineError(self.state.id)
        error = request.exception()
        if isinstance(error, ConnectionError):
            raise OfflineError(self.state.id) from error
        return request.result()

    async def call_alone(self, payload: Any) -> Any:
        """call(), with nothing else going out meanwhile (the BootNotification)."""
        async with self._send_lock:
            return await self.call(payload)

    async def send_raw(self, text: str) -> None:
        """Send any text frame as it is (fault tests)."""
        link = self.link
        if link is None:
            raise OfflineError(self.state.id)
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
                if not self.connected or self.state.boot_status != "Accepted":
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
                    _LOGGER.debug("%s: no answer to %s", self.state.id, type(payload).__name__)
                    if not item.keep:
                        self._outbox.popleft()
                    return
                except OCPPError as err:
                    _LOGGER.debug("%s: %s refused: %s", self.state.id, type(payload).__name__, err)
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
            _LOGGER.warning("%s: background task failed: %r", self.state.id, error)

    async def cancel_tasks(self) -> None:
        """Cancel every background task but the caller's, and wait for them."""
        current = asyncio.current_task()
        tasks = [task for task in self._tasks if task is not current]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    @property
    def sending(self) -> bool:
        """Whether a flush is under way."""
        return self._send_lock.locked()

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
