"""The CoAP client path before the integration's own endpoint: aiocoap, as it was used.

Kept for the benchmarks only, so that they print the old path beside the new one in the same
run: a setpoint and an observation through an aiocoap client context, the address resolved on
every request (as aiocoap does by itself) or reused from the last answer (the stop before).
Decoding and the watchdog are the integration's; only the transport differs.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import aiocoap
import aiocoap.error
from aiocoap.numbers.constants import TransportTuning

from custom_components.ev_v2g.transport.coap.client import Response, base_uri
from custom_components.ev_v2g.transport.coap.message import Message, decode
from custom_components.ev_v2g.transport.coap.observer import (
    HEARTBEAT,
    OBSERVED,
    NotificationHandler,
    silence_limit,
)
from custom_components.ev_v2g.transport.coap.payloads import (
    CF_JSON,
    PayloadError,
    RegulatorState,
    decode_regulator,
    encode_setpoint,
)
from custom_components.ev_v2g.transport.errors import StationRefusedError, StationUnreachableError


class CommandTuning(TransportTuning):  # type: ignore[misc]  # aiocoap is untyped
    """The integration's command tuning, as it was given to aiocoap."""

    ACK_TIMEOUT = 0.5
    ACK_RANDOM_FACTOR = 1.2
    MAX_RETRANSMIT = 3


async def create_context() -> aiocoap.Context:
    """The client context the integration used to make (plain UDP, IPv4 and IPv6)."""
    return await aiocoap.Context.create_client_context(transports=["udp6"])


def to_response(message: aiocoap.Message, resource: str) -> Response:
    """A successful aiocoap answer as a Response; StationRefusedError otherwise."""
    if not message.code.is_successful():
        raise StationRefusedError(resource, message.code.dotted, "")
    content_format = message.opt.content_format
    return Response(
        payload=message.payload,
        content_format=None if content_format is None else int(content_format),
        max_age=int(message.opt.max_age if message.opt.max_age is not None else 60),
    )


async def first_response(request: Any, within: float) -> aiocoap.Message:
    """The first answer within `within` s; the future is shielded (aiocoap 0.4.17 trips)."""
    async with asyncio.timeout(within):
        return await asyncio.shield(request.response)


class AiocoapStationClient:
    """Setpoints to one station through an aiocoap context."""

    def __init__(
        self, context: aiocoap.Context, host: str, port: int, *, reuse_remote: bool
    ) -> None:
        """Address one station; `reuse_remote` sends to where its last answer came from."""
        self.context = context
        self.uri = base_uri(host, port)
        self.reuse_remote = reuse_remote
        self.timeout = 5.0
        self._remote: Any = None

    async def request(
        self, resource: str, code: Any, payload: bytes = b"", content_format: int | None = None
    ) -> Response:
        """One confirmable request and its answer."""
        message = aiocoap.Message(code=code, payload=payload, transport_tuning=CommandTuning())
        if self._remote is not None and self.reuse_remote:
            message.remote = self._remote
            message.opt.uri_path = tuple(resource.split("/"))
        else:
            message.set_request_uri(f"{self.uri}/{resource}")
        if content_format is not None:
            message.opt.content_format = content_format
        try:
            answer = await first_response(self.context.request(message), self.timeout)
        except (TimeoutError, aiocoap.error.Error) as err:
            self._remote = None
            raise StationUnreachableError(f"{self.uri}/{resource}: {err}") from err
        self._remote = answer.remote
        return to_response(answer, resource)

    async def set_setpoint(self, setpoint_a: float, until: int | None) -> RegulatorState | None:
        """Send a setpoint, as the integration did."""
        response = await self.request(
            "regulator", aiocoap.PUT, encode_setpoint(setpoint_a, until), CF_JSON
        )
        try:
            return decode_regulator(response.payload, response.content_format)
        except PayloadError:
            return None


class AiocoapStationObserver:
    """The five observations of one station through aiocoap, with the same watchdog rule."""

    def __init__(
        self,
        client: AiocoapStationClient,
        on_notification: NotificationHandler,
        on_found: Any,
        on_lost: Any,
    ) -> None:
        """Report as StationObserver does."""
        self.client = client
        self._on_notification = on_notification
        self._on_found = on_found
        self._on_lost = on_lost
        self._task: asyncio.Task[None] | None = None
        self._last_seen = 0.0
        self._max_age = 60.0

    def start(self) -> None:
        """Begin observing."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Cancel the observations."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        requests: list[Any] = []
        tasks: list[asyncio.Task[None]] = []
        try:
            for resource in OBSERVED:
                message = aiocoap.Message(
                    code=aiocoap.GET, uri=f"{self.client.uri}/{resource}", observe=0
                )
                request = self.client.context.request(message)
                requests.append(request)
                self._deliver(resource, await first_response(request, self.client.timeout))
                tasks.append(asyncio.create_task(self._follow(resource, request)))
            self._on_found()
            while True:
                deadline = self._last_seen + silence_limit(self._max_age)
                if deadline <= time.monotonic():
                    self._on_lost("silent")
                    return
                await asyncio.sleep(deadline - time.monotonic())
        except (TimeoutError, aiocoap.error.Error) as err:
            self._on_lost(str(err))
        finally:
            for task in tasks:
                task.cancel()
            for request in requests:
                if request.response.done() and not request.observation.cancelled:
                    with contextlib.suppress(Exception):
                        request.observation.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _follow(self, resource: str, request: Any) -> None:
        with contextlib.suppress(aiocoap.error.Error):
            async for message in request.observation:
                self._deliver(resource, message)

    def _deliver(self, resource: str, message: aiocoap.Message) -> None:
        try:
            response = to_response(message, resource)
        except StationRefusedError as err:
            self._on_notification(resource, err)
            return
        if resource == HEARTBEAT:
            self._last_seen = time.monotonic()
            self._max_age = response.max_age
        self._on_notification(resource, response)


class AiocoapEndpoint:
    """aiocoap behind the endpoint's interface, so the integration itself runs on the old path.

    What aiocoap receives is re-encoded and read by the integration's codec (a few microseconds
    per message, against aiocoap's own cost of about half a millisecond).
    """

    def __init__(self, context: aiocoap.Context, *, reuse_remote: bool) -> None:
        """Send through `context`; `reuse_remote` as AiocoapStationClient's."""
        self.context = context
        self.reuse_remote = reuse_remote
        self._remotes: dict[str, Any] = {}

    @classmethod
    async def create(cls, *, reuse_remote: bool = True) -> AiocoapEndpoint:
        """A client context as the integration used to make."""
        return cls(await create_context(), reuse_remote=reuse_remote)

    async def shutdown(self) -> None:
        """Shut the context down."""
        await self.context.shutdown()

    async def resolve(self, host: str, port: int) -> Any:
        """The base URI: aiocoap resolves it itself."""
        return base_uri(host, port)

    async def request(
        self,
        remote: Any,
        code: int,
        path: str,
        *,
        payload: bytes = b"",
        content_format: int | None = None,
        **_: Any,
    ) -> Message:
        """One confirmable request through aiocoap."""
        message = aiocoap.Message(
            code=aiocoap.Code(code), payload=payload, transport_tuning=CommandTuning()
        )
        known = self._remotes.get(remote) if self.reuse_remote else None
        if known is not None:
            message.remote = known
            message.opt.uri_path = tuple(path.split("/"))
        else:
            message.set_request_uri(f"{remote}/{path}")
        if content_format is not None:
            message.opt.content_format = content_format
        try:
            answer = await asyncio.shield(self.context.request(message).response)
        except aiocoap.error.Error as err:
            self._remotes.pop(remote, None)
            raise ConnectionError(str(err)) from err
        self._remotes[remote] = answer.remote
        return _ours(answer)

    def observe(self, remote: Any, path: str, *_: Any) -> AiocoapObservation:
        """Register as an observer through aiocoap."""
        message = aiocoap.Message(code=aiocoap.GET, uri=f"{remote}/{path}", observe=0)
        return AiocoapObservation(self.context.request(message))


class AiocoapObservation:
    """An aiocoap observation behind the Observation interface (first, on_notification)."""

    def __init__(self, request: Any) -> None:
        """Follow `request` in a task."""
        self.request = request
        self.first: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self.on_notification: Any = None
        self._task = asyncio.get_running_loop().create_task(self._follow())

    async def _follow(self) -> None:
        try:
            self.first.set_result(_ours(await self.request.response))
            async for message in self.request.observation:
                if self.on_notification is not None:
                    self.on_notification(_ours(message))
        except aiocoap.error.Error as err:
            if not self.first.done():
                self.first.set_exception(ConnectionError(str(err)))

    def cancel(self) -> None:
        """Stop following."""
        self._task.cancel()
        if not self.first.done():
            self.first.cancel()
        response = self.request.response
        if response.done() and not response.cancelled() and response.exception() is None:
            with contextlib.suppress(Exception):
                if not self.request.observation.cancelled:
                    self.request.observation.cancel()


def _ours(message: aiocoap.Message) -> Message:
    """An aiocoap message as the integration's codec reads it."""
    if message.mid is None:
        message.mid = 0
    return decode(message.encode())
