"""Keep a station's CoAP observations alive and notice when the station goes silent.

An observation never fails when its server dies (nothing comes, that is all), so a watchdog
declares contact lost when /current has sent nothing for 2 x Max-Age + 5 s, then registers
again with back-off.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from functools import partial
import logging
import time

from ..errors import StationError, StationRefusedError
from .client import CoapStationClient, Response, to_response
from .message import Message, Option, is_success
from .observation import Observation

_LOGGER = logging.getLogger(__name__)

OBSERVED = ("current", "energy", "vehicle", "switch", "regulator")
HEARTBEAT = "current"
WATCHDOG_GRACE = 5.0
MAX_BACKOFF = 60.0

type NotificationHandler = Callable[[str, Response | StationRefusedError], None]


def silence_limit(max_age: float) -> float:
    """How long /current may stay silent before contact counts as lost."""
    return 2 * max_age + WATCHDOG_GRACE


class StationObserver:
    """Observations of one station, with a watchdog and re-registration."""

    def __init__(
        self,
        client: CoapStationClient,
        on_notification: NotificationHandler,
        on_found: Callable[[], None],
        on_lost: Callable[[str], None],
        *,
        first_backoff: float = 1.0,
    ) -> None:
        """Report notifications and changes of contact through the callbacks."""
        self.client = client
        self._on_notification = on_notification
        self._on_found = on_found
        self._on_lost = on_lost
        self._first_backoff = first_backoff
        self._task: asyncio.Task[None] | None = None
        self._last_seen = 0.0
        self._max_age = 60.0
        self.connected = False
        self._down_reported = False
        self._failed: set[str] = set()

    def start(self) -> None:
        """Begin observing in the background."""
        self._task = asyncio.get_running_loop().create_task(
            self._run(), name=f"ev_v2g observe {self.client.uri}"
        )

    async def stop(self) -> None:
        """Cancel the observations and wait until they are gone."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        backoff = self._first_backoff
        while True:
            reason = "no answer"
            try:
                reason = await self._observe_until_silent()
            except StationError as err:
                reason = str(err)
            if self.connected or not self._down_reported:
                # Once per outage, including a station that never answered since start-up.
                if self.connected:
                    backoff = self._first_backoff
                self.connected = False
                self._down_reported = True
                self._on_lost(reason)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)

    async def _observe_until_silent(self) -> str:
        observations: list[Observation] = []
        try:
            remote = await self.client.remote()
            for resource in OBSERVED:
                observation = self.client.endpoint.observe(remote, resource)
                observations.append(observation)
                await self._first_response(resource, observation)
                observation.on_notification = partial(self._deliver, resource)
            self.connected = True
            self._down_reported = False
            self._on_found()
            return await self._watch()
        except StationError:
            self.client.lost()
            raise
        finally:
            for observation in observations:
                observation.cancel()

    async def _first_response(self, resource: str, observation: Observation) -> Response | None:
        try:
            async with asyncio.timeout(self.client.timeout):
                message = await observation.first
        except TimeoutError as err:
            raise StationError(f"{self.client.uri}/{resource}: no answer") from err
        except ConnectionError as err:
            raise StationError(f"{self.client.uri}/{resource}: {err}") from err
        if (
            resource == HEARTBEAT
            and is_success(message.code)
            and message.option(Option.OBSERVE) is None
        ):
            # Without notifications there is no heartbeat, so no way to tell contact.
            raise StationError(f"{self.client.uri}/{resource} cannot be observed")
        response = self._deliver(resource, message)
        if response is None and resource == HEARTBEAT:
            raise StationError(f"{self.client.uri}/{resource} cannot be observed")
        return response

    def _deliver(self, resource: str, message: Message) -> Response | None:
        try:
            response = to_response(message, resource)
        except StationRefusedError as err:
            self._on_notification(resource, err)
            return None
        if resource == HEARTBEAT:
            self._last_seen = time.monotonic()
            self._max_age = response.max_age
        try:
            self._on_notification(resource, response)
        except Exception:
            # The observation goes on: one notification the link could not take is not the
            # end of contact. Logged with its traceback once per resource.
            first = resource not in self._failed
            self._failed.add(resource)
            _LOGGER.log(
                logging.ERROR if first else logging.DEBUG,
                "%s/%s: a notification could not be taken",
                self.client.uri,
                resource,
                exc_info=first,
            )
        return response

    async def _watch(self) -> str:
        while True:
            deadline = self._last_seen + silence_limit(self._max_age)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return f"silent for {silence_limit(self._max_age):.0f} s"
            await asyncio.sleep(remaining)
