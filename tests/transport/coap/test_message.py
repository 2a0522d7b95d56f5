"""CoAP messages on the wire, checked against an independent implementation (aiocoap's).

aiocoap is no longer what the integration speaks CoAP with; it stays here (and in the station
simulator) as the second opinion on every byte.
"""

from __future__ import annotations

import aiocoap
from hypothesis import given, settings, strategies as st
import pytest

from custom_components.ev_v2g.transport.coap.message import (
    Code,
    Message,
    MessageError,
    MessageType,
    Option,
    decode,
    dotted,
    is_request,
    is_success,
    request_options,
    uint_option,
)

segments = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)


@st.composite
def aiocoap_messages(draw: st.DrawFn) -> aiocoap.Message:
    """A message as aiocoap builds it: any type, code, id, token, common options and payload."""
    mtype = draw(st.sampled_from(list(aiocoap.Type)))
    empty = draw(st.booleans()) and mtype in {aiocoap.Type.ACK, aiocoap.Type.RST, aiocoap.CON}
    message = aiocoap.Message(code=aiocoap.EMPTY if empty else draw(st.integers(1, 255)))
    message.mtype = mtype
    message.mid = draw(st.integers(0, 0xFFFF))
    if empty:
        return message
    message.token = draw(st.binary(max_size=8))
    message.opt.uri_path = tuple(draw(st.lists(segments, max_size=4)))
    if draw(st.booleans()):
        message.opt.content_format = draw(st.integers(0, 0xFFFF))
    if draw(st.booleans()):
        message.opt.max_age = draw(st.integers(0, 0xFFFFFFFF))
    if draw(st.booleans()):
        message.opt.observe = draw(st.integers(0, (1 << 24) - 1))
    if draw(st.booleans()):
        message.opt.etag = draw(st.binary(min_size=1, max_size=8))
    message.opt.uri_query = tuple(draw(st.lists(st.text(max_size=300), max_size=2)))
    message.payload = draw(st.binary(max_size=600))
    return message


def same(ours: Message, theirs: aiocoap.Message) -> None:
    """Both sides read the same message."""
    assert int(ours.mtype) == int(theirs.mtype)
    assert ours.code == int(theirs.code)
    assert ours.mid == theirs.mid
    assert ours.token == theirs.token
    assert list(ours.options) == [
        (int(option.number), option.encode()) for option in theirs.opt.option_list()
    ]
    assert ours.payload == theirs.payload


@settings(max_examples=300, deadline=None)
@given(aiocoap_messages())
def test_what_aiocoap_writes_is_read_the_same(message: aiocoap.Message) -> None:
    """Every field aiocoap encodes is decoded to the same value, options in order."""
    same(decode(message.encode()), message)


@settings(max_examples=300, deadline=None)
@given(aiocoap_messages())
def test_what_is_written_aiocoap_reads_the_same(message: aiocoap.Message) -> None:
    """Encoding what was decoded gives bytes aiocoap reads back to the same message."""
    ours = decode(message.encode())
    same(ours, aiocoap.Message.decode(ours.encode()))


@settings(max_examples=2000, deadline=None)
@given(st.binary(max_size=64))
def test_any_datagram_is_a_message_or_a_message_error(datagram: bytes) -> None:
    """Whatever arrives, decoding returns a message aiocoap agrees with, or MessageError.

    Option values stay bytes here: a text option that is not UTF-8, which aiocoap refuses
    outright, is read with replacement characters where it is used.
    """
    try:
        ours = decode(datagram)
    except MessageError:
        return
    try:
        theirs = aiocoap.Message.decode(datagram)
    except UnicodeDecodeError:
        return
    same(ours, theirs)


@pytest.mark.parametrize(
    ("datagram", "why"),
    [
        (b"\x40\x01\x00", "shorter than a CoAP header"),
        (b"\x80\x01\x00\x01", "not CoAP version 1"),
        (b"\x49\x01\x00\x01" + b"t" * 9, "token length above 8"),
        (b"\x44\x01\x00\x01ab", "token cut short"),
        (b"\x40\x01\x00\x01\xff", "payload marker without payload"),
        (b"\x40\x01\x00\x01\xd1", "option header cut short"),
        (b"\x40\x01\x00\x01\xe1\x00", "option header cut short"),
        (b"\x40\x01\x00\x01\xf0", "reserved option nibble 15"),
        (b"\x40\x01\x00\x01\x0f", "reserved option nibble 15"),
        (b"\x40\x01\x00\x01\xb5abc", "option value cut short"),
        (b"\x40\x01\x00\x01\xd4\xff", "option value cut short"),
        (b"\x41\x00\x00\x01t", "empty message with content"),
    ],
)
def test_malformed_datagrams(datagram: bytes, why: str) -> None:
    """Each way a datagram can be wrong is named, and nothing is read past its end."""
    with pytest.raises(MessageError, match=why):
        decode(datagram)


def test_long_options_and_extended_deltas() -> None:
    """Deltas and lengths past 12 and 268 take their extended bytes, both ways."""
    message = Message(
        MessageType.CON,
        Code.PUT,
        0xBEEF,
        b"tok",
        ((Option.URI_PATH, b"a" * 13), (Option.URI_PATH, b"b" * 300), (2000, b"far")),
        b"body",
    )
    datagram = message.encode()
    assert decode(datagram) == message
    same(message, aiocoap.Message.decode(datagram))


def test_encoding_refuses_what_cannot_be_written() -> None:
    """A token over 8 bytes or an option over 65,804 bytes is a MessageError, not bad bytes."""
    with pytest.raises(MessageError, match="token longer than 8 bytes"):
        Message(MessageType.CON, Code.GET, 1, b"123456789").encode()
    with pytest.raises(MessageError, match="above 65804"):
        Message(MessageType.CON, Code.GET, 1, options=((1, b"x" * 70000),)).encode()


def test_codes_and_options() -> None:
    """Codes read as RFC 7252 writes them; options by number, the path joined, uints short."""
    assert dotted(Code.CONTENT) == "2.05"
    assert dotted(132) == "4.04"
    assert is_request(Code.PUT)
    assert not is_request(Code.EMPTY)
    assert not is_request(Code.CHANGED)
    assert is_success(Code.CHANGED)
    assert not is_success(132)
    assert uint_option(0) == b""
    assert uint_option(300) == b"\x01\x2c"
    options = request_options("a/b/", content_format=50, observe=0)
    assert options == ((6, b""), (11, b"a"), (11, b"b"), (12, b"\x32"))
    message = Message(MessageType.ACK, Code.CONTENT, 7, options=((14, b"\x00" * 5),))
    assert message.uint(Option.MAX_AGE) is None  # longer than an unsigned 32-bit integer
    assert message.uint(Option.OBSERVE) is None
    assert message.option(Option.MAX_AGE) == b"\x00" * 5
    assert Message(MessageType.CON, 1, 1, options=options).path == "a/b"
