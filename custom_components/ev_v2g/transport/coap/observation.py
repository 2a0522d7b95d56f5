"""One observed resource (RFC 7641): its first answer, then each fresh notification.

Notifications can arrive twice (a lost ACK) or overtake each other; only one newer than the
last taken is delivered (section 3.4). A notification sent in blocks is completed first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import logging
import time
from typing import Final

from .blocks import next_block, whole_body
from .message import Message, MessageError, Option

_LOGGER = logging.getLogger(__name__)

OBSERVE_WRAP: Final = 1 << 23
OBSERVE_FRESH_AFTER_S: Final = 128.0
"""An older-looking notification is taken as fresh again after this long."""


class Observation:
    """An observed resource: `first` answer, then each fresh notification to a callback."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        token: bytes,
        path: str,
        forget: Callable[[bytes], None],
        fetch_block: Callable[[int], Awaitable[Message]],
    ) -> None:
        """Made by CoapEndpoint.observe()."""
        self.token = token
        self.path = path
        self._loop = loop
        self._forget = forget
        self._fetch_block = fetch_block
        self.first: asyncio.Future[Message] = loop.create_future()
        """The registration's answer; later notifications go to `on_notification`."""
        self.on_notification: Callable[[Message], object] | None = None
        self.ended = False
        """Cancelled, or ended by the station (an error, or an answer without Observe)."""
        self._sequence: tuple[int, float] | None = None
        self._completing: asyncio.Task[None] | None = None

    def cancel(self) -> None:
        """Stop following: the station's next notification gets a reset."""
        self.ended = True
        self._forget(self.token)
        if not self.first.done():
            self.first.cancel()
        if self._completing is not None:
            self._completing.cancel()

    def fail(self, error: Exception) -> None:
        """The registration went unanswered or was refused."""
        self.ended = True
        if not self.first.done():
            self.first.set_exception(error)

    def take(self, message: Message) -> None:
        """A notification (or the first answer) arrived."""
        if not self._fresh(message):
            return
        if next_block(message) is not None:
            if self._completing is not None:
                self._completing.cancel()  # a newer one came: that is the one to complete
            self._completing = self._loop.create_task(
                self._complete(message), name=f"ev_v2g CoAP blocks of {self.path}"
            )
            return
        self._deliver(message)

    async def _complete(self, message: Message) -> None:
        try:
            whole = await whole_body(message, self._fetch_block)
        except (MessageError, TimeoutError, ConnectionError) as err:
            _LOGGER.debug("%s: a notification in blocks could not be completed: %s", self.path, err)
            if not self.first.done():
                self.first.set_exception(err)
            return
        self._deliver(whole)

    def _deliver(self, message: Message) -> None:
        if not self.first.done():
            self.first.set_result(message)
            return
        if self.on_notification is None:
            return
        try:
            self.on_notification(message)
        except Exception:
            _LOGGER.exception("%s: a notification could not be taken", self.path)

    def _fresh(self, message: Message) -> bool:
        """Whether a notification is newer than the last one taken."""
        number = message.uint(Option.OBSERVE)
        if number is None:
            return True
        now = time.monotonic()
        if self._sequence is not None:
            last, at = self._sequence
            newer = (last < number and number - last < OBSERVE_WRAP) or (
                last > number and last - number > OBSERVE_WRAP
            )
            if not newer and now <= at + OBSERVE_FRESH_AFTER_S:
                return False
        self._sequence = (number, now)
        return True
