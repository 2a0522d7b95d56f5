"""OCPP-J frames we cannot route, and the CALLERROR (if any) that answers them.

What the specifications say, and what we do:

* OCPP-J 1.6 §4.2.3 defines CALLERROR only as the answer to a CALL, identified by its
  message id. So a 1.6 frame is answered only when it can be recognised as a CALL with a
  readable message id: ``FormationViolation`` ("not conform the PDU structure"), also when the
  JSON is broken but its head ``[2,"<id>"`` can still be read. Anything else is logged only.
* OCPP-J 2.0.1 §4.2.3 adds ``RpcFrameworkError`` ("content of the call is not a valid RPC
  request, for example: MessageId could not be read") and ``MessageTypeNotSupported``; a
  CALLERROR whose message id cannot be read uses ``"-1"``. So a 2.0.1 frame that is not valid
  JSON or not a valid RPC frame gets ``RpcFrameworkError``, an unknown MessageTypeId gets
  ``MessageTypeNotSupported``, with the message id when it can be read, else ``"-1"``.
  Broken CALLRESULT / CALLERROR frames are not answered (an answer is never answered).
"""

from __future__ import annotations

from dataclasses import dataclass
import json
import re
from typing import Any

from .model import OcppVersion

CALL, CALL_RESULT, CALL_ERROR = 2, 3, 4
UNKNOWN_MESSAGE_ID = "-1"

_HEAD = re.compile(r'\s*\[\s*(\d{1,3})\s*,\s*"([^"\\]{1,64})"')
_EXCERPT = 80
MAX_DEPTH = 32
"""OCPP payloads nest a few levels; a frame deeper than this is refused before it is parsed."""
MAX_FRAME_BYTES = 256 * 1024
"""The largest frame a charge point may send (the biggest OCPP messages are a few kB)."""
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(r"[\[\]{}]")


def decode_frame(raw: str) -> tuple[Any, BadFrame | None]:
    """The frame's JSON (None when it is not JSON), and why it cannot be routed (None: it can).

    Nesting is measured before parsing, so no frame can exhaust the parser's recursion.
    """
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub("", raw)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return None, BadFrame(f"a frame nested deeper than {MAX_DEPTH} levels")
    try:
        frame = json.loads(raw)
    except (ValueError, RecursionError):
        frame = None
    return frame, classify_bad_frame(frame, raw)


@dataclass(frozen=True, slots=True)
class BadFrame:
    """A frame that cannot be routed, with what could be read of it."""

    reason: str
    message_type: int | None = None
    unique_id: str | None = None
    unsupported_type: bool = False


def classify_bad_frame(frame: object, raw: str) -> BadFrame | None:
    """Why a decoded frame cannot be routed, or None when it is a well-formed message.

    Args:
        frame: the decoded JSON, None when ``raw`` is not valid JSON.
        raw: the frame's text, to read the head of a frame that is not valid JSON.
    """
    if frame is None:
        excerpt = raw[:_EXCERPT]
        match = _HEAD.match(raw)
        if match is None:
            return BadFrame(f"a frame that is not valid JSON: {excerpt!r}")
        return BadFrame(f"a frame that is not valid JSON: {excerpt!r}", int(match[1]), match[2])
    if not isinstance(frame, list) or not frame:
        return BadFrame("a frame that is not a JSON array")
    kind = frame[0]
    unique_id = frame[1] if len(frame) > 1 and isinstance(frame[1], str) and frame[1] else None
    if type(kind) is not int:
        return BadFrame(f"a frame whose MessageTypeId {kind!r} is not a number", None, unique_id)
    if unique_id is None:
        return BadFrame("a frame without a readable message id", kind)
    if kind == CALL:
        if len(frame) == 4 and isinstance(frame[2], str) and isinstance(frame[3], dict):
            return None
        return BadFrame("a CALL that is not [2, id, action, {payload}]", kind, unique_id)
    if kind == CALL_RESULT:
        if len(frame) == 3 and isinstance(frame[2], dict):
            return None
        return BadFrame("a CALLRESULT that is not [3, id, {payload}]", kind, unique_id)
    if kind == CALL_ERROR:
        if len(frame) in (4, 5) and isinstance(frame[2], str):
            return None
        return BadFrame("a CALLERROR that is not [4, id, code, text, {details}]", kind, unique_id)
    return BadFrame(f"a frame of unsupported MessageTypeId {kind}", kind, unique_id, True)


def answer_to_bad_frame(bad: BadFrame, version: OcppVersion) -> str | None:
    """The CALLERROR that answers a bad frame in ``version``, None when none is due."""
    if version is OcppVersion.V16:
        if bad.message_type != CALL or bad.unique_id is None:
            return None
        return call_error(bad.unique_id, "FormationViolation", bad.reason)
    if bad.message_type in (CALL_RESULT, CALL_ERROR):
        return None
    code = "MessageTypeNotSupported" if bad.unsupported_type else "RpcFrameworkError"
    return call_error(bad.unique_id or UNKNOWN_MESSAGE_ID, code, bad.reason)


def call_error(unique_id: str, code: str, description: str, cause: str = "") -> str:
    """A CALLERROR frame; texts are cut to 255 characters (the 2.0.1 limit)."""
    details = {"cause": cause[:255]} if cause else {}
    return json.dumps(
        [CALL_ERROR, unique_id, code, description[:255], details], separators=(",", ":")
    )
