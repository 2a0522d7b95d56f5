"""Typed access to the parts of the untyped ``ocpp`` library (2.1.0) that we use.

Everything we take from the library goes through this module, so the rest of the package is
checked by mypy --strict without scattered ``type: ignore`` comments.

``validate_payload_now`` is the library's synchronous schema check (``ocpp.messages.
_validate_payload``, private in 2.1.0, which requirements.txt pins). The library's own
``validate_payload`` runs it in the default executor: two thread hops per frame, which in Home
Assistant compete with every other executor job and doubled our cost per frame (measured).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from ocpp.charge_point import (  # type: ignore[import-untyped]
    camel_to_snake_case,
    remove_nones,
    serialize_as_dict,
    snake_to_camel_case,
)
from ocpp.exceptions import OCPPError  # type: ignore[import-untyped]
from ocpp.messages import Call, CallError, CallResult, _validate_payload as validate_payload_now  # type: ignore[import-untyped]
from ocpp.routing import on as _on  # type: ignore[import-untyped]
from ocpp.v16 import call as v16_call, call_result as v16_call_result  # type: ignore[import-untyped]
from ocpp.v16.enums import Action as V16Action, MessageTrigger as V16MessageTrigger  # type: ignore[import-untyped]
from ocpp.v201 import call as v201_call, call_result as v201_call_result  # type: ignore[import-untyped]
from ocpp.v201.enums import Action as V201Action, MessageTriggerEnumType as V201MessageTrigger  # type: ignore[import-untyped]

_Handler = TypeVar("_Handler", bound=Callable[..., Any])

if TYPE_CHECKING:

    class LibChargePoint:
        """What we use of ``ocpp.charge_point.ChargePoint``."""

        id: str
        route_map: dict[str, dict[str, Any]]
        _response_queue: Any
        _call: Any
        _call_result: Any
        _ocpp_version: str

        def __init__(
            self,
            charge_point_id: str,
            connection: Any,
            response_timeout: float = ...,
            logger: Any = ...,
        ) -> None:
            """Bind to a connection."""

        async def call(
            self,
            payload: Any,
            suppress: bool = ...,
            unique_id: str | None = ...,
            skip_schema_validation: bool = ...,
        ) -> Any:
            """Send a CALL and wait for its answer."""

        async def _handle_call(self, msg: Any) -> Any:
            """Validate a received CALL, run its handler and send the answer."""

        async def _send(self, message: str) -> None:
            """Send a frame."""

else:
    from ocpp.charge_point import ChargePoint as LibChargePoint  # type: ignore[import-untyped]


def on(action: str) -> Callable[[_Handler], _Handler]:
    """The library's ``@on(action)`` decorator, typed: marks a method as the handler of a CALL."""
    decorator: Callable[[_Handler], _Handler] = _on(action)
    return decorator


V16_ACTIONS: frozenset[str] = frozenset(str(action) for action in V16Action)
V201_ACTIONS: frozenset[str] = frozenset(str(action) for action in V201Action)
V16_TRIGGERS: frozenset[str] = frozenset(str(trigger) for trigger in V16MessageTrigger)
V201_TRIGGERS: frozenset[str] = frozenset(str(trigger) for trigger in V201MessageTrigger)

__all__ = [
    "V16_ACTIONS",
    "V16_TRIGGERS",
    "V201_ACTIONS",
    "V201_TRIGGERS",
    "Call",
    "CallError",
    "CallResult",
    "LibChargePoint",
    "OCPPError",
    "camel_to_snake_case",
    "on",
    "remove_nones",
    "serialize_as_dict",
    "snake_to_camel_case",
    "v16_call",
    "v16_call_result",
    "v201_call",
    "v201_call_result",
    "validate_payload_now",
]


@cache
def load_validators() -> None:
    """Read every schema of both versions now (blocking: file reads), once per process.

    The library reads a schema from disk the first time an action is checked; checking frames
    inline would then read files in the event loop. Each schema is loaded through the library's
    own check (on an empty payload, whose failure is expected), so that it is parsed the way
    the library parses it (decimals for the 1.6 charging profiles).
    """
    for version, actions in (("1.6", V16Action), ("2.0.1", V201Action)):
        for action in actions:
            for message in (Call("0", action.value, {}), CallResult("0", {}, action.value)):
                try:
                    validate_payload_now(message, version)
                except (OCPPError, NotImplementedError):
                    continue
