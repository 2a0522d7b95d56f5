"""Service data checked in the handler, so that a bad value gets a translated error.

Registered with no schema, each service checks its data against its own: the first field in
error gives a `ServiceValidationError` that names the field and the value in the user's
language (Home Assistant's own check would raise voluptuous's English text).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util.read_only_dict import ReadOnlyDict
import voluptuous as vol

from ..const import DOMAIN

FIELD_ERRORS = frozenset(
    {
        "config_entry_id",
        "mode",
        "power",
        "duration",
        "source",
        "station",
        "resident",
        "session_id",
        "format",
        "shared_costs",
        "split",
    }
)
"""Fields with a message of their own (exceptions.invalid_<field>); others get invalid_field."""
MAX_SHOWN = 60


def _shown(value: Any) -> str:
    text = "nothing" if value is None else str(value)
    return text if len(text) <= MAX_SHOWN else f"{text[:MAX_SHOWN]}…"


def checked(schema: vol.Schema, data: dict[str, Any]) -> dict[str, Any]:
    """The data as the schema gives it back, or a translated error naming the field."""
    try:
        result: dict[str, Any] = schema(data)
    except vol.Invalid as err:
        errors = err.errors if isinstance(err, vol.MultipleInvalid) else [err]
        first = errors[0]
        field = str(first.path[0]) if first.path else ""
        missing = isinstance(first, vol.RequiredFieldInvalid)
        if missing:
            key = "missing_field"
        elif field in FIELD_ERRORS:
            key = f"invalid_{field}"
        else:
            key = "invalid_field"
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders={"field": field, "value": _shown(data.get(field))},
        ) from err
    return result


type Handler = Callable[[ServiceCall], Awaitable[ServiceResponse | None]]


def register(
    hass: HomeAssistant,
    name: str,
    handler: Handler,
    schema: vol.Schema,
    supports_response: SupportsResponse = SupportsResponse.NONE,
) -> None:
    """Register a service whose data the handler gets checked by `schema`."""

    async def handle(call: ServiceCall) -> ServiceResponse | None:
        call.data = ReadOnlyDict(checked(schema, dict(call.data)))
        return await handler(call)

    hass.services.async_register(
        DOMAIN, name, handle, schema=None, supports_response=supports_response
    )
