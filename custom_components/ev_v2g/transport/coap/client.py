"""CoAP client for ev_v2g stations: commands with bounded latency, and probing.

One aiocoap context serves a whole site (UDP only). Commands are confirmable messages with a
short retransmission tuning inside an asyncio timeout, so a dead station fails in seconds.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import ipaddress
import logging
from typing import Any, ClassVar

import aiocoap
import aiocoap.error
from aiocoap.numbers.constants import TransportTuning

from ..errors import StationError, StationRefusedError, StationUnreachableError
from .payloads import (
    CF_JSON,
    STATION_PATHS,
    PayloadError,
    RegulatorState,
    decode_regulator,
    decode_switch,
    encode_setpoint,
    encode_switch,
    resource_paths,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_PORT = 5683
COMMAND_TIMEOUT = 5.0


class CommandTuning(TransportTuning):  # type: ignore[misc]
    """Retransmit quickly and give up early: a command either lands in seconds or fails."""

    ACK_TIMEOUT = 0.5
    ACK_RANDOM_FACTOR = 1.2
    MAX_RETRANSMIT = 3


class NotAStationError(StationError):
    """Something answers CoAP there, but it does not offer the ev_v2g resources."""

    def __init__(self, message: str, missing: tuple[str, ...] = ()) -> None:
        """Say what is wrong, and which of the station's paths are missing (e.g. "/energy")."""
        super().__init__(message)
        self.missing = missing


@dataclass(frozen=True, slots=True)
class Response:
    """The parts of a CoAP response that decoders need."""

    payload: bytes
    content_format: int | None
    max_age: int


def base_uri(host: str, port: int) -> str:
    """Return coap://host:port with IPv6 literals in brackets."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return f"coap://{host}:{port}"
    if address.version == 6:
        return f"coap://[{host}]:{port}"
    return f"coap://{host}:{port}"


async def create_context() -> aiocoap.Context:
    """Create the site's client context (plain UDP, IPv4 and IPv6)."""
    return await aiocoap.Context.create_client_context(transports=["udp6"])


def to_response(message: aiocoap.Message, resource: str) -> Response:
    """Turn a successful aiocoap message into a Response; raise StationRefusedError otherwise."""
    if not message.code.is_successful():
        diagnostic = message.payload.decode("utf-8", errors="replace")[:200]
        raise StationRefusedError(resource, message.code.dotted, diagnostic)
    content_format = message.opt.content_format
    return Response(
        payload=message.payload,
        content_format=None if content_format is None else int(content_format),
        max_age=int(message.opt.max_age if message.opt.max_age is not None else 60),
    )


class CoapStationClient:
    """Commands and reads for one station through the site's shared context.

    The station's address is resolved once: later requests go to the endpoint its last answer
    came from (aiocoap would otherwise resolve the URI in an executor thread on every request);
    a request that gets no answer resolves again next time.
    """

    reuse_remote: ClassVar[bool] = True
    """Off: resolve the URI on every request, as aiocoap does by itself (benchmarks compare)."""

    def __init__(
        self,
        context: aiocoap.Context,
        host: str,
        port: int = DEFAULT_PORT,
        *,
        timeout: float = COMMAND_TIMEOUT,
    ) -> None:
        """Address one station."""
        self.context = context
        self.host = host
        self.port = port
        self.uri = base_uri(host, port)
        self.timeout = timeout
        self._remote: Any = None
        """Where the station last answered from (aiocoap's endpoint); None: resolve again."""

    async def request(
        self,
        resource: str,
        code: aiocoap.Code = aiocoap.GET,
        payload: bytes = b"",
        content_format: int | None = None,
    ) -> Response:
        """Send one confirmable request and wait for its answer within the timeout."""
        message = aiocoap.Message(code=code, payload=payload, transport_tuning=CommandTuning())
        if self._remote is not None and self.reuse_remote:
            message.remote = self._remote
            message.opt.uri_path = tuple(resource.split("/"))
        else:
            message.set_request_uri(f"{self.uri}/{resource}")
        if content_format is not None:
            message.opt.content_format = content_format
        request = self.context.request(message)
        try:
            answer = await first_response(request, self.timeout)
        except TimeoutError as err:
            self._remote = None
            raise StationUnreachableError(f"{self.uri}/{resource}: no answer") from err
        except aiocoap.error.Error as err:
            self._remote = None
            raise StationUnreachableError(f"{self.uri}/{resource}: {err}") from err
        self._remote = answer.remote
        return to_response(answer, resource)

    async def resource_paths(self) -> set[str]:
        """The paths the station lists in /.well-known/core (without their leading slash)."""
        response = await self.request(".well-known/core")
        return resource_paths(response.payload.decode("utf-8", errors="replace"))

    async def set_switch(self, on: bool) -> bool:
        """Close or open the relay; return the state the station reports."""
        response = await self.request("switch", aiocoap.PUT, encode_switch(on), CF_JSON)
        if not response.payload:
            return on
        try:
            return decode_switch(response.payload, response.content_format)
        except PayloadError:
            _LOGGER.debug("%s: /switch acknowledged without a readable state", self.uri)
            return on

    async def set_setpoint(self, setpoint_a: float, until: int | None) -> RegulatorState | None:
        """Send a setpoint (negative = discharge) valid until `until` (unix seconds)."""
        response = await self.request(
            "regulator", aiocoap.PUT, encode_setpoint(setpoint_a, until), CF_JSON
        )
        try:
            return decode_regulator(response.payload, response.content_format)
        except PayloadError:
            return None

    async def get_regulator(self) -> RegulatorState:
        """Read the setpoint and the station's current limits."""
        response = await self.request("regulator")
        try:
            return decode_regulator(response.payload, response.content_format)
        except PayloadError as err:
            raise NotAStationError(f"{self.uri}/regulator: {err}") from err


async def first_response(request: aiocoap.protocol.Request, within: float) -> aiocoap.Message:
    """The first response to a request, within `within` seconds (else TimeoutError).

    aiocoap 0.4.17 raises InvalidStateError in its receive path when an answer arrives for a
    request whose response future was cancelled a moment before. So that future is never
    cancelled here: it is shielded, and abandoned on timeout or cancellation.
    """
    try:
        async with asyncio.timeout(within):
            return await asyncio.shield(request.response)
    except (TimeoutError, asyncio.CancelledError):
        abandon(request)
        raise


def abandon(request: aiocoap.protocol.Request) -> None:
    """Let a request finish unattended: a late answer ends its observation, an error is read."""

    def finished(response: asyncio.Future[aiocoap.Message]) -> None:
        if response.cancelled() or response.exception() is not None:
            return
        observation = request.observation
        if observation is not None and not observation.cancelled:
            observation.cancel()

    request.response.add_done_callback(finished)


async def probe_station(
    host: str, port: int, *, answer_within: float = COMMAND_TIMEOUT
) -> RegulatorState:
    """Check that an ev_v2g station answers at host:port; return its regulator limits."""
    context = await create_context()
    try:
        client = CoapStationClient(context, host, port, timeout=answer_within)
        try:
            found = await client.resource_paths()
        except StationRefusedError as err:
            raise NotAStationError(str(err), missing=("/.well-known/core",)) from err
        missing = tuple(f"/{path}" for path in STATION_PATHS if path not in found)
        if missing:
            raise NotAStationError(f"{client.uri} lacks {', '.join(missing)}", missing)
        return await client.get_regulator()
    finally:
        await context.shutdown()
