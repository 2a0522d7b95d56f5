"""CoAP client for ev_v2g stations: commands with bounded latency, and probing.

One endpoint (one UDP socket) serves every site. Commands are confirmable messages with a
short retransmission tuning inside an asyncio timeout, so a dead station fails in seconds.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import ipaddress
import logging

from ..errors import StationError, StationRefusedError, StationUnreachableError
from .endpoint import CoapEndpoint, Remote
from .message import Code, Message, Option, dotted, is_success
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


async def create_endpoint() -> CoapEndpoint:
    """Open the client endpoint (plain UDP, IPv6 and IPv4, or IPv4 alone where IPv6 is off)."""
    return await CoapEndpoint.create()


def to_response(message: Message, resource: str) -> Response:
    """Turn a successful answer into a Response; raise StationRefusedError otherwise."""
    if not is_success(message.code):
        diagnostic = message.payload.decode("utf-8", errors="replace")[:200]
        raise StationRefusedError(resource, dotted(message.code), diagnostic)
    max_age = message.uint(Option.MAX_AGE)
    return Response(
        payload=message.payload,
        content_format=message.uint(Option.CONTENT_FORMAT),
        max_age=60 if max_age is None else max_age,
    )


class CoapStationClient:
    """Commands and reads for one station through the shared endpoint.

    The station's address is looked up once (a name in a thread, a literal at once); a request
    that gets no answer looks it up again next time, so a station that moved is found.
    """

    def __init__(
        self,
        endpoint: CoapEndpoint,
        host: str,
        port: int = DEFAULT_PORT,
        *,
        timeout: float = COMMAND_TIMEOUT,
    ) -> None:
        """Address one station."""
        self.endpoint = endpoint
        self.host = host
        self.port = port
        self.uri = base_uri(host, port)
        self.timeout = timeout
        self._remote: Remote | None = None

    async def remote(self) -> Remote:
        """The station's socket address; StationUnreachableError when it cannot be found."""
        if self._remote is None:
            try:
                self._remote = await self.endpoint.resolve(self.host, self.port)
            except OSError as err:
                raise StationUnreachableError(f"{self.uri}: {err}") from err
        return self._remote

    def lost(self) -> None:
        """The station did not answer: look its address up again next time."""
        self._remote = None

    async def request(
        self,
        resource: str,
        code: int = Code.GET,
        payload: bytes = b"",
        content_format: int | None = None,
    ) -> Response:
        """Send one confirmable request and wait for its answer within the timeout."""
        remote = await self.remote()
        try:
            async with asyncio.timeout(self.timeout):
                answer = await self.endpoint.request(
                    remote, code, resource, payload=payload, content_format=content_format
                )
        except TimeoutError as err:
            self.lost()
            raise StationUnreachableError(f"{self.uri}/{resource}: no answer") from err
        except ConnectionError as err:
            self.lost()
            raise StationUnreachableError(f"{self.uri}/{resource}: {err}") from err
        return to_response(answer, resource)

    async def resource_paths(self) -> set[str]:
        """The paths the station lists in /.well-known/core (without their leading slash)."""
        response = await self.request(".well-known/core")
        return resource_paths(response.payload.decode("utf-8", errors="replace"))

    async def set_switch(self, on: bool) -> bool:
        """Close or open the relay; return the state the station reports."""
        response = await self.request("switch", Code.PUT, encode_switch(on), CF_JSON)
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
            "regulator", Code.PUT, encode_setpoint(setpoint_a, until), CF_JSON
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


async def probe_station(
    host: str, port: int, *, answer_within: float = COMMAND_TIMEOUT
) -> RegulatorState:
    """Check that an ev_v2g station answers at host:port; return its regulator limits."""
    endpoint = await create_endpoint()
    try:
        client = CoapStationClient(endpoint, host, port, timeout=answer_within)
        try:
            found = await client.resource_paths()
        except StationRefusedError as err:
            raise NotAStationError(str(err), missing=("/.well-known/core",)) from err
        missing = tuple(f"/{path}" for path in STATION_PATHS if path not in found)
        if missing:
            raise NotAStationError(f"{client.uri} lacks {', '.join(missing)}", missing)
        return await client.get_regulator()
    finally:
        await endpoint.shutdown()
