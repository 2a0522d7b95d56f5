"""Decode and validate the payloads of the ev_v2g CoAP station contract.

Every decoder returns plain values or raises PayloadError with a reason fit for a log line; no
non-finite or mistyped value gets past here.
"""

from __future__ import annotations

from dataclasses import dataclass
import json
import math
from typing import Any

CF_TEXT = 0
CF_JSON = 50
CF_SENML_JSON = 110

STATION_PATHS = ("switch", "regulator", "current", "energy", "vehicle")
"""The resources a station lists in /.well-known/core; their `rt` values are free."""


class PayloadError(ValueError):
    """A payload that does not follow the station contract."""


@dataclass(frozen=True, kw_only=True)
class RegulatorState:
    """What /regulator reports (currents in amperes)."""

    setpoint_a: float
    until: int | None
    min_a: float
    max_a: float
    max_discharge_a: float
    fallback_a: float


@dataclass(frozen=True, kw_only=True)
class VehicleState:
    """What /vehicle reports."""

    plugged: bool
    soc: int | None
    v2g: bool | None
    """The car's ability to feed back; None when not said (the station's capability stands)."""


def _reject_constant(name: str) -> float:
    raise PayloadError(f"non-finite number {name}")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
"""One decoder for every payload (json.loads with options would build one per call)."""


def _json(payload: bytes, content_format: int | None, expected: int) -> Any:
    if content_format != expected:
        raise PayloadError(f"unexpected content format {content_format} (want {expected})")
    try:
        return _DECODER.decode(payload.decode("utf-8"))
    except (ValueError, RecursionError) as err:  # JSONDecodeError, bad UTF-8, huge ints
        raise PayloadError(f"not valid JSON: {str(err)[:120]}") from err


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadError(f"{what} is not a number: {str(value)[:40]!r}")
    try:
        number = float(value)
    except OverflowError as err:
        raise PayloadError(f"{what} is beyond any float") from err
    if not math.isfinite(number):
        raise PayloadError(f"{what} is not finite: {value!r}")
    return number


def _milliamps(obj: dict[str, Any], key: str, *, default: float | None = None) -> float:
    if key not in obj and default is not None:
        return default
    return _number(obj.get(key), key) / 1000.0


def decode_senml(payload: bytes, content_format: int | None) -> dict[str, float]:
    """Return {name: value} from a SenML JSON pack; base names are stripped."""
    records = _json(payload, content_format, CF_SENML_JSON)
    if not isinstance(records, list) or not records:
        raise PayloadError("SenML pack is not a non-empty array")
    values: dict[str, float] = {}
    for record in records:
        if not isinstance(record, dict):
            raise PayloadError("SenML record is not an object")
        name = record.get("n")
        if not isinstance(name, str) or not name:
            raise PayloadError("SenML record without a name")
        values[name] = _number(record.get("v"), name)
    return values


def decode_switch(payload: bytes, content_format: int | None) -> bool:
    """Return the relay state from /switch (JSON, or the legacy text form)."""
    if content_format in (None, CF_TEXT):
        text = payload.decode("ascii", errors="replace").strip().lower()
        if text in ("on", "1"):
            return True
        if text in ("off", "0"):
            return False
        raise PayloadError(f"switch text is not on/off/1/0: {text!r}")
    body = _json(payload, content_format, CF_JSON)
    if not isinstance(body, dict) or not isinstance(body.get("value"), bool):
        raise PayloadError("switch payload lacks a boolean 'value'")
    return bool(body["value"])


def decode_regulator(payload: bytes, content_format: int | None) -> RegulatorState:
    """Return the regulator's setpoint and limits.

    A `min_ma` below zero says the station discharges down to it: its discharge capability,
    then, with no charging minimum of its own (`max_discharge_ma` is an alias; the larger of
    the two counts).
    """
    body = _json(payload, content_format, CF_JSON)
    if not isinstance(body, dict):
        raise PayloadError("regulator payload is not an object")
    until = body.get("until")
    if until is not None:
        until = int(_number(until, "until"))
    setpoint_a = _milliamps(body, "setpoint_ma")
    min_a = _milliamps(body, "min_ma")
    discharge_a = _milliamps(body, "max_discharge_ma", default=0.0)
    if min_a < 0:
        discharge_a, min_a = max(discharge_a, -min_a), 0.0
    return RegulatorState(
        setpoint_a=setpoint_a,
        until=until,
        min_a=min_a,
        max_a=_milliamps(body, "max_ma"),
        max_discharge_a=discharge_a,
        fallback_a=_milliamps(body, "fallback_ma", default=0.0),
    )


def decode_vehicle(payload: bytes, content_format: int | None) -> VehicleState:
    """Return whether a vehicle is plugged and its state of charge when known."""
    body = _json(payload, content_format, CF_JSON)
    if not isinstance(body, dict) or not isinstance(body.get("plugged"), bool):
        raise PayloadError("vehicle payload lacks a boolean 'plugged'")
    soc: int | None = None
    if body.get("soc") is not None:
        soc_value = _number(body["soc"], "soc")
        if not 0 <= soc_value <= 100:
            raise PayloadError(f"soc out of range: {soc_value}")
        soc = round(soc_value)
    v2g = body.get("v2g")
    return VehicleState(
        plugged=body["plugged"], soc=soc, v2g=v2g if isinstance(v2g, bool) else None
    )


def encode_switch(on: bool) -> bytes:
    """Payload of a PUT /switch."""
    return json.dumps({"value": on}).encode()


def encode_setpoint(setpoint_a: float, until: int | None) -> bytes:
    """Payload of a PUT /regulator (milliamperes, optional expiry in unix seconds)."""
    body: dict[str, int] = {"setpoint_ma": round(setpoint_a * 1000)}
    if until is not None:
        body["until"] = until
    return json.dumps(body).encode()


def resource_paths(link_format: str) -> set[str]:
    """The paths a CoRE link-format document (RFC 6690) lists, without their leading slash.

    A target may be relative (`<switch>`), absolute (`</switch>`) or a whole URI
    (`<coap://[::1]:5683/switch>`); a query or a trailing slash is left out.
    """
    found: set[str] = set()
    for link in link_format.split(","):
        target = link.split(";", 1)[0].strip()
        if not (target.startswith("<") and target.endswith(">")):
            continue
        path = target[1:-1].split("?", 1)[0]
        if "://" in path:
            path = path.split("://", 1)[1].partition("/")[2]
        if path := path.strip("/"):
            found.add(path)
    return found
