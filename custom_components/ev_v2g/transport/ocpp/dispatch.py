"""Answering a charge point's CALL: schema check, handler, answer; in the frame's own task.

This replaces the library's ``ChargePoint._handle_call`` while keeping its parts: the route
map built from ``@on`` handlers, its schema validators and its payload conversions. What we
change: validation runs inline rather than in the executor, every refusal is a CALLERROR in
the version's spelling with a rate-limited log line, OCPP-J's NotImplemented / NotSupported
are used as the specifications define them (the library swaps them), and the listener hears
of the changes before the answer goes out.
"""

from __future__ import annotations

from collections.abc import Callable
import functools
import logging
from typing import Any, Protocol, TypeVar, cast

from ..ratelimit import RateLimitedLog
from .frames import call_error
from .lib import (
    OCPPError,
    camel_to_snake_case,
    on,
    remove_nones,
    serialize_as_dict,
    snake_to_camel_case,
    validate_payload_now,
)
from .record import ChargePointRecord


class CallTarget(Protocol):
    """What answering a CALL needs of a connection (OcppConnection is one)."""

    id: str
    record: ChargePointRecord
    log: RateLimitedLog
    route_map: dict[str, dict[str, Any]]

    @property
    def known_actions(self) -> frozenset[str]:
        """Every action of the version: one without a handler is NotSupported, not NotImplemented."""

    @property
    def error_codes(self) -> dict[str, str]:
        """The library's error codes in the version's own spelling."""

    @property
    def ocpp_version(self) -> str:
        """The OCPP version the connection speaks (`1.6` or `2.0.1`)."""

    async def send_frame(self, message: str) -> None:
        """Send one frame to the charge point."""


_Method = TypeVar("_Method", bound=Callable[..., Any])


def handles(action: str) -> Callable[[_Method], _Method]:
    """Mark a method as the handler of a CALL (the library's ``@on``).

    The method gets the payload as snake_case keyword arguments and returns the library's
    call_result object; the listener hears of what it changed before the answer is sent.
    """

    def decorator(method: _Method) -> _Method:
        @functools.wraps(method)
        def handler(self: CallTarget, **payload: Any) -> Any:
            try:
                return method(self, **payload)
            finally:
                self.record.flush()

        return on(action)(cast("_Method", handler))

    return decorator


async def answer_call(connection: CallTarget, msg: Any) -> None:
    """Answer one CALL with its CALLRESULT or a CALLERROR."""
    action: str = msg.action
    handlers = connection.route_map.get(action)
    if handlers is None:
        # OCPP-J: NotImplemented = "not known", NotSupported = "recognized but not supported".
        code = "NotSupported" if action in connection.known_actions else "NotImplemented"
        await connection.send_frame(call_error(msg.unique_id, code, f"{action} is not handled"))
        return
    version = connection.ocpp_version
    try:
        validate_payload_now(msg, version)
    except OCPPError as error:
        details = error.details if isinstance(error.details, dict) else {}
        cause = str(details.get("cause", ""))
        connection.log.warning(
            (connection.id, "invalid"),
            "%s sent an invalid %s: %s",
            connection.id,
            action,
            cause or error.description,
        )
        code = connection.error_codes.get(error.code, error.code)
        await connection.send_frame(call_error(msg.unique_id, code, str(error.description), cause))
        return
    try:
        response = handlers["_on_action"](**camel_to_snake_case(msg.payload))
        result = msg.create_call_result(
            snake_to_camel_case(remove_nones(serialize_as_dict(response)))
        )
        validate_payload_now(result, version)
    except Exception:
        connection.log.log(
            logging.ERROR,
            (connection.id, "handler"),
            "Error while handling %s from %s",
            action,
            connection.id,
            exc_info=True,
        )
        await connection.send_frame(
            call_error(msg.unique_id, "InternalError", f"{action} could not be handled")
        )
        return
    await connection.send_frame(result.to_json())
