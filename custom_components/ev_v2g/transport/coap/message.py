"""CoAP messages (RFC 7252, section 3) as bytes on the wire and back.

Only what a client of the station contract needs: the four message types, request and response
codes, options as (number, value) pairs and a payload. Decoding takes any datagram and either
returns a message or raises MessageError; it never reads past the datagram, whatever it claims.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from functools import cache
from typing import Final

VERSION: Final = 1
PAYLOAD_MARKER: Final = 0xFF
MAX_TOKEN_LENGTH: Final = 8


class MessageType(IntEnum):
    """The four CoAP message types."""

    CON = 0
    NON = 1
    ACK = 2
    RST = 3


class Code(IntEnum):
    """The codes the client sends or reads by name (class * 32 + detail)."""

    EMPTY = 0
    GET = 1
    POST = 2
    PUT = 3
    DELETE = 4
    CREATED = 65
    DELETED = 66
    VALID = 67
    CHANGED = 68
    CONTENT = 69


class Option(IntEnum):
    """The option numbers the client writes or reads."""

    OBSERVE = 6
    URI_PATH = 11
    CONTENT_FORMAT = 12
    MAX_AGE = 14
    BLOCK2 = 23


class MessageError(ValueError):
    """A datagram that is not a CoAP message."""


def dotted(code: int) -> str:
    """A code as RFC 7252 writes it: 2.05, 4.04."""
    return f"{code >> 5}.{code & 0x1F:02d}"


def is_request(code: int) -> bool:
    """Whether a code is a request method (class 0, not empty)."""
    return 0 < code < 32


def is_success(code: int) -> bool:
    """Whether a response code is of class 2."""
    return code >> 5 == 2


def uint_option(value: int) -> bytes:
    """An unsigned integer option value, as short as it goes (zero is empty)."""
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


@dataclass(frozen=True, slots=True)
class Message:
    """One CoAP message; options sorted by number, repeated options in order."""

    mtype: MessageType
    code: int
    mid: int
    token: bytes = b""
    options: tuple[tuple[int, bytes], ...] = ()
    payload: bytes = b""

    def option(self, number: int) -> bytes | None:
        """The first value of an option, or None when absent."""
        for found, value in self.options:
            if found == number:
                return value
        return None

    def uint(self, number: int) -> int | None:
        """An unsigned integer option (None when absent or longer than 4 bytes)."""
        value = self.option(number)
        if value is None or len(value) > 4:
            return None
        return int.from_bytes(value, "big")

    @property
    def path(self) -> str:
        """The Uri-Path options joined by slashes."""
        parts = (
            value.decode("utf-8", "replace") for n, value in self.options if n == Option.URI_PATH
        )
        return "/".join(parts)

    def encode(self) -> bytes:
        """The message as a datagram."""
        if len(self.token) > MAX_TOKEN_LENGTH:
            raise MessageError("token longer than 8 bytes")
        out = bytearray(
            (
                VERSION << 6 | self.mtype << 4 | len(self.token),
                self.code,
                self.mid >> 8 & 0xFF,
                self.mid & 0xFF,
            )
        )
        out += self.token
        previous = 0
        for number, value in sorted(self.options, key=lambda option: option[0]):
            delta, delta_extra = _nibble(number - previous)
            length, length_extra = _nibble(len(value))
            out.append(delta << 4 | length)
            out += delta_extra + length_extra + value
            previous = number
        if self.payload:
            out.append(PAYLOAD_MARKER)
            out += self.payload
        return bytes(out)


@cache
def request_options(
    path: str,
    *,
    content_format: int | None = None,
    observe: int | None = None,
    block2: int | None = None,
) -> tuple[tuple[int, bytes], ...]:
    """The options of a request for `path` ("current", ".well-known/core")."""
    options: list[tuple[int, bytes]] = []
    if observe is not None:
        options.append((Option.OBSERVE, uint_option(observe)))
    options.extend((Option.URI_PATH, part.encode()) for part in path.split("/") if part)
    if content_format is not None:
        options.append((Option.CONTENT_FORMAT, uint_option(content_format)))
    if block2 is not None:
        options.append((Option.BLOCK2, uint_option(block2)))
    return tuple(options)


def decode(datagram: bytes) -> Message:
    """Read one datagram; MessageError when it is not a well-formed CoAP message."""
    size = len(datagram)
    if size < 4:
        raise MessageError("shorter than a CoAP header")
    first = datagram[0]
    if first >> 6 != VERSION:
        raise MessageError("not CoAP version 1")
    token_length = first & 0x0F
    if token_length > MAX_TOKEN_LENGTH:
        raise MessageError("token length above 8")
    code = datagram[1]
    mid = datagram[2] << 8 | datagram[3]
    position = 4 + token_length
    if position > size:
        raise MessageError("token cut short")
    token = datagram[4:position]
    options: list[tuple[int, bytes]] = []
    number = 0
    payload = b""
    while position < size:
        byte = datagram[position]
        position += 1
        if byte == PAYLOAD_MARKER:
            if position == size:
                raise MessageError("payload marker without payload")
            payload = datagram[position:]
            break
        delta, position = _extended(byte >> 4, datagram, position)
        length, position = _extended(byte & 0x0F, datagram, position)
        if position + length > size:
            raise MessageError("option value cut short")
        number += delta
        options.append((number, datagram[position : position + length]))
        position += length
    mtype = _TYPES[first >> 4 & 0x03]
    if code == Code.EMPTY and (token_length or options or payload):
        raise MessageError("empty message with content")
    return Message(mtype, code, mid, bytes(token), tuple(options), bytes(payload))


_TYPES: Final = tuple(MessageType)


def empty(mtype: MessageType, mid: int) -> bytes:
    """An empty ACK or RST for message `mid`, as a datagram."""
    return bytes((VERSION << 6 | mtype << 4, Code.EMPTY, mid >> 8 & 0xFF, mid & 0xFF))


def _nibble(value: int) -> tuple[int, bytes]:
    """An option delta or length as its 4-bit field and extended bytes."""
    if value < 13:
        return value, b""
    if value < 269:
        return 13, bytes((value - 13,))
    if value < 65805:
        return 14, (value - 269).to_bytes(2, "big")
    raise MessageError("option delta or length above 65804")


def _extended(field: int, datagram: bytes, position: int) -> tuple[int, int]:
    """The value of a 4-bit delta or length field, reading its extended bytes."""
    if field < 13:
        return field, position
    if field == 13:
        if position + 1 > len(datagram):
            raise MessageError("option header cut short")
        return datagram[position] + 13, position + 1
    if field == 14:
        if position + 2 > len(datagram):
            raise MessageError("option header cut short")
        return (datagram[position] << 8 | datagram[position + 1]) + 269, position + 2
    raise MessageError("reserved option nibble 15")
