"""Block-wise answers (RFC 7959, Block2): a body too long for one datagram, fetched in parts.

A station may answer a long body (a big /.well-known/core, say) one block at a time; the rest
is asked for block by block and joined, up to a bound, so that nothing it says can make the
client hold more than MAX_BODY bytes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Final

from .message import Message, MessageError, Option, is_success

MAX_BODY: Final = 64 * 1024
"""The longest body taken (bytes): far above what a station's resource needs."""

MORE: Final = 0x08


def next_block(message: Message) -> int | None:
    """The Block2 value that asks for the block after this one, or None when it was the last."""
    block = message.uint(Option.BLOCK2)
    if block is None or not block & MORE or not is_success(message.code):
        return None
    return ((block >> 4) + 1) << 4 | block & 0x07


async def whole_body(first: Message, fetch: Callable[[int], Awaitable[Message]]) -> Message:
    """`first` with the rest of its body joined, each block got with `fetch(block2)`.

    Raises MessageError when a block is missing, out of order or the body grows too long; an
    error answer on the way is returned as it is.
    """
    body = bytearray(first.payload)
    wanted = next_block(first)
    while wanted is not None:
        part = await fetch(wanted)
        if not is_success(part.code):
            return part
        block = part.uint(Option.BLOCK2)
        if block is None or block >> 4 != wanted >> 4:
            raise MessageError(f"block {wanted >> 4} answered with another")
        body += part.payload
        if len(body) > MAX_BODY:
            raise MessageError(f"a body over {MAX_BODY} bytes")
        wanted = next_block(part)
    options = tuple(option for option in first.options if option[0] != Option.BLOCK2)
    return replace(first, options=options, payload=bytes(body))
