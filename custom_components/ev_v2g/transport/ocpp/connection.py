"""One WebSocket connection of a charge point: reading frames, routing them, sending CALLs.

Built on the ocpp library's ChargePoint (its ``@on`` routing, schema validation and ``call()``),
with our own frame parsing in front of it: the library only logs a frame it cannot parse,
while OCPP-J wants a CALLERROR whenever the message id can be read (see ``frames.py``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, ClassVar
import uuid

from aiohttp import WSCloseCode, WSMsgType, web

from ..ratelimit import RateLimitedLog
from .dispatch import answer_call
from .errors import CommandRejectedError, CommandTimeoutError, NotConnectedError
from .frames import CALL, CALL_RESULT, BadFrame, answer_to_bad_frame, decode_frame
from .lib import Call, CallError, CallResult, LibChargePoint, OCPPError
from .library_log import LibraryLog
from .measurands import MeterSample, parse_meter_values
from .model import OcppVersion
from .record import ChargePointRecord
from .timefmt import parse_timestamp

_LOGGER = logging.getLogger(__name__)


class OcppConnection(LibChargePoint):
    """A charge point's open WebSocket; subclasses add the handlers of their OCPP version."""

    version: ClassVar[OcppVersion]
    known_actions: ClassVar[frozenset[str]]
    """Every action of the version: an unhandled one of these is NotSupported."""
    error_codes: ClassVar[dict[str, str]] = {}
    """The library's CALLERROR codes spelt as the version spells them."""

    def __init__(
        self,
        record: ChargePointRecord,
        ws: web.WebSocketResponse,
        *,
        call_timeout: float,
        offline_after: float,
        heartbeat_interval: int,
        log: RateLimitedLog,
    ) -> None:
        """Serve ``record``'s charge point over ``ws``."""
        super().__init__(
            record.state.id,
            ws,
            response_timeout=call_timeout,
            logger=LibraryLog(record.state.id, log),
        )
        self.record = record
        self.call_timeout = call_timeout
        self.heartbeat_interval = heartbeat_interval
        self._ws = ws
        self._offline_after = offline_after
        self.log = log
        self._awaiting: set[str] = set()
        self._call_errors: dict[str, Any] = {}
        self._closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    @property
    def closed(self) -> bool:
        """Whether the socket is gone (or going)."""
        return self._closed.done()

    async def serve(self) -> None:
        """Handle frames in order until the socket closes or stays silent too long."""
        ws = self._ws
        try:
            while True:
                try:
                    message = await ws.receive(timeout=self._offline_after)
                except TimeoutError:
                    self.log.warning(
                        (self.id, "silent"),
                        "%s sent nothing for %s s: closing its connection",
                        self.id,
                        self._offline_after,
                    )
                    break
                if message.type is WSMsgType.TEXT:
                    try:
                        await self.route_message(message.data)
                    except ConnectionError:
                        break
                elif message.type is WSMsgType.BINARY:
                    self._log_bad_frame(BadFrame("a binary frame (OCPP-J uses text frames)"))
                else:
                    break
        finally:
            await self.close()

    async def close(self, code: int = WSCloseCode.GOING_AWAY, message: bytes = b"") -> None:
        """Close the socket; commands waiting for an answer fail with NotConnectedError."""
        if not self._closed.done():
            self._closed.set_result(None)
            await self._ws.close(code=code, message=message)

    @property
    def ocpp_version(self) -> str:
        """The version as the library names it ("1.6", "2.0.1")."""
        return self._ocpp_version

    async def send_frame(self, message: str) -> None:
        """Send a frame.

        Raises:
            NotConnectedError: the connection was closed.
            ConnectionResetError: the socket broke.
        """
        if self._closed.done():
            raise NotConnectedError(f"{self.id} is not connected")
        await self._ws.send_str(message)

    _send = send_frame  # the library's name for it (its own logs every frame at INFO)

    # Receiving --------------------------------------------------------------------------------

    async def route_message(self, raw_msg: str) -> None:
        """Route one text frame: a CALL to its handler, an answer to the command awaiting it."""
        frame, bad = decode_frame(raw_msg)
        if bad is not None:
            self._log_bad_frame(bad)
            if (answer := answer_to_bad_frame(bad, self.version)) is not None:
                await self.send_frame(answer)
            return
        kind, unique_id = frame[0], frame[1]
        if kind == CALL:
            await answer_call(self, Call(unique_id, frame[2], frame[3]))
        elif unique_id not in self._awaiting:
            _LOGGER.debug("%s: answer %s matches no command waiting", self.id, unique_id)
        elif kind == CALL_RESULT:
            self._response_queue.put_nowait(CallResult(unique_id, frame[2]))
        else:
            error = CallError(unique_id, frame[2], frame[3], frame[4] if len(frame) > 4 else {})
            self._call_errors[unique_id] = error
            self._response_queue.put_nowait(error)

    def _log_bad_frame(self, bad: BadFrame) -> None:
        """Log a frame we could not use, at most once a minute per charge point."""
        self.log.warning((self.id, "frame"), "%s sent %s", self.id, bad.reason)

    def timestamp_of(self, text: str, what: str) -> float:
        """A message's timestamp; the time of arrival when it cannot be read."""
        if (moment := parse_timestamp(text)) is None:
            self.log.warning(
                (self.id, "timestamp"), "%s sent %s with timestamp %r", self.id, what, text
            )
            return time.time()
        return moment

    def samples_of(self, meter_values: list[dict[str, Any]]) -> list[MeterSample]:
        """Samples of a meterValue list; values left out are logged (rate-limited)."""
        problems: list[str] = []
        samples = parse_meter_values(meter_values, problems)
        if problems:
            self.log.warning(
                (self.id, "meter"),
                "%s sent meter values we ignore: %s",
                self.id,
                "; ".join(problems),
            )
        return samples

    # Sending ----------------------------------------------------------------------------------

    async def request(self, payload: Any) -> Any:
        """Send a CALL and return the library's answer object.

        Raises:
            NotConnectedError: the socket is gone or closed before the answer came.
            CommandTimeoutError: no answer within the call timeout.
            CommandRejectedError: a CALLERROR, or an answer that does not match the schema.
        """
        action = type(payload).__name__
        if self.closed:
            raise NotConnectedError(f"{self.id} is not connected")
        unique_id = uuid.uuid4().hex
        self._awaiting.add(unique_id)
        task = asyncio.ensure_future(self.call(payload, unique_id=unique_id))
        # Its outcome is always taken, even when the timeout or the close wins a race with an
        # error of the socket: never "Task exception was never retrieved".
        task.add_done_callback(_retrieve)
        try:
            async with asyncio.timeout(self.call_timeout):
                await asyncio.wait((task, self._closed), return_when=asyncio.FIRST_COMPLETED)
        except TimeoutError:
            raise CommandTimeoutError(
                f"{self.id} did not answer {action} within {self.call_timeout} s"
            ) from None
        finally:
            self._awaiting.discard(unique_id)
            error = self._call_errors.pop(unique_id, None)
            if not task.done():
                task.cancel()
        if not task.done():
            raise NotConnectedError(f"{self.id} closed its connection before answering {action}")
        try:
            result = task.result()
        except TimeoutError:
            raise CommandTimeoutError(f"{self.id} did not answer {action}") from None
        except (ConnectionError, NotConnectedError) as err:
            raise NotConnectedError(f"{self.id} is not connected") from err
        except OCPPError as err:
            raise CommandRejectedError(action, "InvalidResponse", str(err.description)) from err
        except TypeError as err:
            raise CommandRejectedError(action, "InvalidResponse", str(err)) from err
        if result is None:
            code = str(getattr(error, "error_code", "GenericError"))
            raise CommandRejectedError(action, code, str(getattr(error, "error_description", "")))
        return result


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Take a finished call's outcome, so a late error is not reported as never retrieved."""
    if not task.cancelled():
        task.exception()
