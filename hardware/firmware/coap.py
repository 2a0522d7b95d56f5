"""CoAP messages (RFC 7252): parse and build the datagrams the station sends and receives.

Plain MicroPython-compatible code: no dataclasses, no typing at run time, integers for codes.
Only the options the station contract needs are named; unknown elective options are kept.
"""

VERSION = 1

CON = 0
NON = 1
ACK = 2
RST = 3

EMPTY = 0
GET = 1
POST = 2
PUT = 3
DELETE = 4


def code(klass, detail):
    """Build a response code from its class and detail: 2.05 is (2, 5)."""
    return (klass << 5) | detail


CREATED = code(2, 1)
CHANGED = code(2, 4)
CONTENT = code(2, 5)
BAD_REQUEST = code(4, 0)
BAD_OPTION = code(4, 2)
FORBIDDEN = code(4, 3)
NOT_FOUND = code(4, 4)
METHOD_NOT_ALLOWED = code(4, 5)
UNSUPPORTED_FORMAT = code(4, 15)
INTERNAL_ERROR = code(5, 0)
SERVICE_UNAVAILABLE = code(5, 3)

OBSERVE = 6
URI_PATH = 11
CONTENT_FORMAT = 12
MAX_AGE = 14
URI_QUERY = 15
ACCEPT = 17

# Options this server understands; any other critical (odd) option gets 4.02 (RFC 7252 5.4.1).
KNOWN_OPTIONS = (3, OBSERVE, 7, URI_PATH, CONTENT_FORMAT, MAX_AGE, URI_QUERY, ACCEPT)

TEXT_PLAIN = 0
LINK_FORMAT = 40
JSON = 50
SENML_JSON = 110

PAYLOAD_MARKER = 0xFF


class FormatError(ValueError):
    """A datagram that is not a well-formed CoAP message."""


def dotted(value):
    """A code as people write it, e.g. '4.03'."""
    return "%d.%02d" % (value >> 5, value & 0x1F)


class Message:
    """One CoAP message: type, code, message id, token, options and payload."""

    def __init__(self, mtype=CON, mcode=EMPTY, mid=0, token=b""):
        """Build a message; add options as (number, bytes) pairs, in any order, and a payload."""
        self.mtype = mtype
        self.code = mcode
        self.mid = mid
        self.token = token
        self.options = []
        self.payload = b""

    def option(self, number):
        """The first value of an option as bytes, or None."""
        for key, value in self.options:
            if key == number:
                return value
        return None

    def option_values(self, number):
        """Every value of a repeatable option (Uri-Path, Uri-Query), in order."""
        return [value for key, value in self.options if key == number]

    def uint_option(self, number):
        """An unsigned-integer option's value, or None when absent."""
        value = self.option(number)
        return None if value is None else decode_uint(value)

    def add_uint(self, number, value):
        """Append an unsigned-integer option."""
        self.options.append((number, encode_uint(value)))

    def path(self):
        """The request's Uri-Path joined with '/', without a leading slash."""
        return "/".join(part.decode() for part in self.option_values(URI_PATH))

    def queries(self):
        """The request's Uri-Query values as text."""
        return [part.decode() for part in self.option_values(URI_QUERY)]

    def is_request(self):
        """Whether the code is a method (class 0, not empty)."""
        return 0 < self.code < 32


def encode_uint(value):
    """Unsigned integer in the fewest bytes (zero is the empty string)."""
    out = b""
    while value:
        out = bytes([value & 0xFF]) + out
        value >>= 8
    return out


def decode_uint(data):
    """Unsigned integer from big-endian bytes."""
    value = 0
    for byte in data:
        value = (value << 8) | byte
    return value


def _extended(nibble, data, index):
    """Resolve a delta or length nibble with its extended bytes; return (value, next index)."""
    if nibble < 13:
        return nibble, index
    if nibble == 13:
        if index >= len(data):
            raise FormatError("option header cut short")
        return data[index] + 13, index + 1
    if nibble == 14:
        if index + 1 >= len(data):
            raise FormatError("option header cut short")
        return ((data[index] << 8) | data[index + 1]) + 269, index + 2
    raise FormatError("reserved option nibble 15")


def parse(data):
    """Decode a datagram into a Message.

    Raises:
        FormatError: wrong version, token longer than 8, bad options or an empty payload.
    """
    if len(data) < 4:
        raise FormatError("shorter than a CoAP header")
    first = data[0]
    if first >> 6 != VERSION:
        raise FormatError("not CoAP version 1")
    token_length = first & 0x0F
    if token_length > 8:
        raise FormatError("token longer than 8 bytes")
    message = Message((first >> 4) & 0x03, data[1], (data[2] << 8) | data[3])
    index = 4 + token_length
    if index > len(data):
        raise FormatError("token cut short")
    message.token = bytes(data[4:index])
    number = 0
    while index < len(data):
        byte = data[index]
        if byte == PAYLOAD_MARKER:
            message.payload = bytes(data[index + 1 :])
            if not message.payload:
                raise FormatError("payload marker without a payload")
            break
        delta, index = _extended(byte >> 4, data, index + 1)
        length, index = _extended(byte & 0x0F, data, index)
        if index + length > len(data):
            raise FormatError("option value cut short")
        number += delta
        message.options.append((number, bytes(data[index : index + length])))
        index += length
    if message.code == EMPTY and (message.token or message.options or message.payload):
        raise FormatError("empty message with content")
    return message


def _nibble(value):
    """Split a delta or length into its nibble and extended bytes."""
    if value < 13:
        return value, b""
    if value < 269:
        return 13, bytes([value - 13])
    value -= 269
    return 14, bytes([value >> 8, value & 0xFF])


def build(message):
    """Encode a Message as a datagram; options are sorted, repeats keep their order."""
    token = message.token
    out = bytearray(
        [
            (VERSION << 6) | (message.mtype << 4) | len(token),
            message.code,
            (message.mid >> 8) & 0xFF,
            message.mid & 0xFF,
        ]
    )
    out += token
    previous = 0
    # Sort by number only: Uri-Path and Uri-Query segments must keep their order.
    for number, value in sorted(message.options, key=lambda option: option[0]):
        delta_nibble, delta_bytes = _nibble(number - previous)
        length_nibble, length_bytes = _nibble(len(value))
        out.append((delta_nibble << 4) | length_nibble)
        out += delta_bytes + length_bytes + value
        previous = number
    if message.payload:
        out.append(PAYLOAD_MARKER)
        out += message.payload
    return bytes(out)


def unknown_critical_option(message):
    """The number of the first critical option this server does not know, or None."""
    for number, _ in message.options:
        if number & 1 and number not in KNOWN_OPTIONS:
            return number
    return None
