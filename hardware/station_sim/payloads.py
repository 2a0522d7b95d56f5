"""What a simulated station says on the wire, and how it reads what it is told.

Renders the JSON and SenML bodies of each resource (with any switched-on faults) and parses the
bodies of PUT requests. Only content-format numbers are CoAP-specific here.
"""

from __future__ import annotations

from dataclasses import dataclass
import json
from typing import Any

from .model import SimulatedStation

TEXT_PLAIN = 0
LINK_FORMAT = 40
JSON = 50
SENML_JSON = 110

ENERGY_BACKWARDS_WH = 1000.0
"""How far /energy's import counter jumps back while `Faults.energy_backwards` is on."""


class UnsupportedFormatError(ValueError):
    """A request body in a content format the resource does not read (CoAP 4.15)."""


class InvalidBodyError(ValueError):
    """A request body that cannot be understood (CoAP 4.00)."""


@dataclass(frozen=True, slots=True)
class Body:
    """A response body and its content format."""

    data: bytes
    content_format: int


def _json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def switch_body(station: SimulatedStation) -> Body:
    """Render /switch."""
    return Body(_json({"value": station.switch_on}), JSON)


def regulator_body(station: SimulatedStation) -> Body:
    """Render /regulator: the setpoint, its expiry and the station's limits."""
    limits: dict[str, Any] = {
        "setpoint_ma": station.setpoint_ma,
        "until": station.until,
        "min_ma": station.min_ma,
        "max_ma": station.max_ma,
        "max_discharge_ma": station.max_discharge_ma,
        "fallback_ma": station.fallback_ma,
    }
    if station.discharge_as_min_ma:
        del limits["max_discharge_ma"]
        if station.max_discharge_ma:
            limits["min_ma"] = -station.max_discharge_ma
    return Body(_json(limits | station.faults.regulator_limits), JSON)


def vehicle_body(station: SimulatedStation) -> Body:
    """Render /vehicle; `soc` is left out when unknown."""
    vehicle = station.vehicle
    state: dict[str, Any] = {"plugged": vehicle is not None}
    soc = station.reported_soc()
    if soc is not None:
        state["soc"] = soc
    if station.reports_v2g:
        state["v2g"] = vehicle is not None and vehicle.v2g
    return Body(_json(state), JSON)


def base_name(station: SimulatedStation) -> str:
    """SenML base name of a station's records."""
    return f"urn:dev:ev_v2g:{station.station_id}:"


def current_readings(station: SimulatedStation) -> tuple[float, float, float]:
    """Current (A), voltage (V) and power (W) as rounded for /current."""
    return round(station.current_a, 3), station.voltage, round(station.power_w, 1)


def current_body(station: SimulatedStation) -> Body:
    """Render /current as SenML: current, voltage and power, signed (negative = discharge)."""
    current, voltage, power = current_readings(station)
    records: list[dict[str, Any]] = [
        {"bn": base_name(station), "bt": round(station.clock(), 3), "n": "current", "u": "A"},
        {"n": "voltage", "u": "V"},
        {"n": "power", "u": "W"},
    ]
    return _senml(station, records, [current, voltage, power])


def energy_body(station: SimulatedStation) -> Body:
    """Render /energy as SenML: the import and export counters in Wh, and the boot's number."""
    imported = round(station.energy_import_wh, 3)
    if station.faults.energy_backwards:
        imported -= ENERGY_BACKWARDS_WH
    elif station.faults.energy_reported_wh is not None:
        imported = station.faults.energy_reported_wh
    records: list[dict[str, Any]] = [
        {"bn": base_name(station), "n": "energy_import", "u": "Wh"},
        {"n": "energy_export", "u": "Wh"},
    ]
    values: list[float] = [imported, round(station.energy_export_wh, 3)]
    if station.boot_record:
        records.append({"n": "boot"})
        values.append(station.boots)
    return _senml(station, records, values)


def _senml(station: SimulatedStation, records: list[dict[str, Any]], values: list[float]) -> Body:
    faults = station.faults
    if faults.unknown_content_format:
        text = " ".join(
            f"{record['n']}={value} {record.get('u', '')}".rstrip()
            for record, value in zip(records, values, strict=True)
        )
        return Body(text.encode(), TEXT_PLAIN)
    for index, (record, value) in enumerate(zip(records, values, strict=True)):
        if faults.non_numeric:
            record["v"] = "abc"
        elif faults.nan_values:
            record["v"] = float("nan") if index == 0 else float("inf")
        else:
            record["v"] = value
    data = json.dumps(records, separators=(",", ":")).encode()
    if faults.malformed_senml:
        data = data[: len(data) // 2]
    return Body(data, SENML_JSON)


def parse_switch(data: bytes, content_format: int | None) -> bool:
    """Read a /switch PUT: JSON `{"value": bool}` or legacy text `on`/`off`/`1`/`0`.

    Raises:
        UnsupportedFormatError: neither JSON nor text.
        InvalidBodyError: anything else.
    """
    if content_format == JSON:
        document = _load_json_object(data)
        value = document.get("value")
        if not isinstance(value, bool):
            raise InvalidBodyError('expected {"value": true|false}')
        return value
    if content_format not in (None, TEXT_PLAIN):
        raise UnsupportedFormatError("switch reads JSON (50) or text (0)")
    try:
        word = data.decode("utf-8").strip().lower()
    except UnicodeDecodeError:
        word = ""
    if word in ("on", "1"):
        return True
    if word in ("off", "0"):
        return False
    raise InvalidBodyError("expected on, off, 1 or 0")


def parse_regulator(data: bytes, content_format: int | None) -> tuple[int, int | None]:
    """Read a /regulator PUT: JSON `{"setpoint_ma": int, "until": int (optional)}`.

    Raises:
        UnsupportedFormatError: not JSON (an absent content format is read as JSON).
        InvalidBodyError: missing or mistyped fields, or not JSON at all.
    """
    if content_format not in (None, JSON):
        raise UnsupportedFormatError("regulator reads JSON (50)")
    document = _load_json_object(data)
    setpoint = document.get("setpoint_ma")
    until = document.get("until")
    if isinstance(setpoint, bool) or not isinstance(setpoint, int):
        raise InvalidBodyError('expected {"setpoint_ma": int, "until": int}')
    if until is not None and (isinstance(until, bool) or not isinstance(until, int)):
        raise InvalidBodyError("until must be an integer unix time")
    return setpoint, until


def _load_json_object(data: bytes) -> dict[str, Any]:
    try:
        document = json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as err:
        raise InvalidBodyError("body is not JSON") from err
    if not isinstance(document, dict):
        raise InvalidBodyError("body is not a JSON object")
    return document


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
