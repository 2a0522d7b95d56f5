"""Hostile input made from a seed: what a broken or malicious station or charger might send.

Each maker takes a `random.Random`, so a failing run is reproduced from its seed. The bodies
are built to be hard on a reader: numbers at and beyond float range, values of the wrong type,
fields missing, repeated or renamed, deep nesting, truncation, bytes that are not UTF-8.
"""

from __future__ import annotations

import json
import random
from typing import Any

BIG_INTEGER = "1" + "0" * 400
"""A JSON integer that no float can hold."""
EXTREMES: tuple[float, ...] = (
    1e308,
    -1e308,
    1.7976931348623157e308,
    1e20,
    -1e20,
    5e9,
    -5e9,
    2.0**63,
    -(2.0**63),
    1e-320,
    -0.0,
    0.0,
)
RAW_NUMBERS = ("NaN", "Infinity", "-Infinity", "1e999", "-1e999", BIG_INTEGER, "-" + BIG_INTEGER)
"""Number spellings json.dumps never writes, spliced in as text."""
_PLACEHOLDER = "\u0000raw{}\u0000"

CURRENT_NAMES = ("current", "voltage", "power")
ENERGY_NAMES = ("energy_import", "energy_export", "boot")
UNITS = ("A", "V", "W", "Wh", "kWh", "%", "", "mA", "°C")


class _Raw:
    """A number to be written as given (e.g. NaN, 1e999)."""

    def __init__(self, text: str) -> None:
        self.text = text


def _value(rng: random.Random, plausible: float) -> Any:
    """A value where a number is expected: mostly extreme or wrong, sometimes plausible."""
    roll = rng.random()
    if roll < 0.25:
        return plausible * rng.uniform(0.5, 1.5)
    if roll < 0.5:
        return rng.choice(EXTREMES)
    if roll < 0.6:
        return _Raw(rng.choice(RAW_NUMBERS))
    if roll < 0.7:
        return -plausible * rng.uniform(0, 10)
    if roll < 0.8:
        return rng.choice(["abc", "", "1e308", None, True, False, [], {}, [1, 2]])
    if roll < 0.9:
        return rng.randint(-(2**70), 2**70)
    return plausible * 10 ** rng.randint(1, 30)


def _dump(document: Any) -> bytes:
    """JSON with any _Raw numbers spliced in as written."""
    raws: list[str] = []

    def default(value: object) -> str:
        if isinstance(value, _Raw):
            raws.append(value.text)
            return _PLACEHOLDER.format(len(raws) - 1)
        raise TypeError(type(value).__name__)

    text = json.dumps(document, default=default, separators=(",", ":"))
    for index, raw in enumerate(raws):
        text = text.replace(json.dumps(_PLACEHOLDER.format(index)), raw)
    return text.encode()


def _garbage(rng: random.Random) -> bytes:
    """Bytes that are not a body at all."""
    roll = rng.randrange(6)
    if roll == 0:
        return rng.randbytes(rng.randint(0, 900))
    if roll == 1:
        depth = rng.choice([50, 500, 5000])
        return b"[" * depth + b"]" * depth
    if roll == 2:
        return b""
    if roll == 3:
        return b"\xff\xfe" + "€".encode() * rng.randint(1, 50)
    if roll == 4:
        return b'{"value": ' * rng.randint(1, 300)
    return b'[{"n":"current","v":1}' + b"," * rng.randint(1, 500)


def _mangle(rng: random.Random, body: bytes) -> bytes:
    """A body cut short or wrapped in the wrong container."""
    roll = rng.randrange(3)
    if roll == 0:
        return body[: rng.randint(0, max(len(body) - 1, 0))]
    if roll == 1:
        return b'{"e":' + body + b"}"
    return b"[" + body + b"," + body + b"]"


def _senml(rng: random.Random, names: tuple[str, ...], plausible: dict[str, float]) -> Any:
    records: list[dict[str, Any]] = []
    count = rng.choice([0, 1, len(names), len(names), len(names) * 3, 200])
    for index in range(count):
        name = names[index % len(names)] if rng.random() < 0.8 else rng.choice(["x", "", "n" * 80])
        record: dict[str, Any] = {"n": name}
        if rng.random() < 0.9:
            record["v"] = _value(rng, plausible.get(name, 1.0))
        if rng.random() < 0.5:
            record["u"] = rng.choice(UNITS)
        if rng.random() < 0.2:
            record[rng.choice(["vs", "vb", "vd", "s", "t", "ut"])] = _value(rng, 1.0)
        if index == 0 and rng.random() < 0.7:
            record["bn"] = rng.choice(["urn:dev:ev_v2g:sim-b:", "", "urn:dev:other:", 7])
            if rng.random() < 0.5:
                record["bt"] = _value(rng, 1.8e9)
            if rng.random() < 0.3:
                record[rng.choice(["bv", "bu", "bs", "bver"])] = _value(rng, 1.0)
        records.append(record)
    if rng.random() < 0.1:
        return {"records": records}
    return records


def coap_body(rng: random.Random, resource: str) -> bytes:
    """A hostile body for one of a station's resources (`current`, `energy`, `vehicle`, ...)."""
    roll = rng.random()
    if roll < 0.15:
        return _garbage(rng)
    if resource == "current":
        plausible = {"current": 16.0, "voltage": 230.0, "power": 3680.0}
        document: Any = _senml(rng, CURRENT_NAMES, plausible)
    elif resource == "energy":
        plausible = {"energy_import": 1500.0, "energy_export": 10.0, "boot": 3.0}
        document = _senml(rng, ENERGY_NAMES, plausible)
    elif resource == "vehicle":
        document = {
            "plugged": rng.choice([True, False, "yes", None, 1]),
            "soc": _value(rng, 50.0),
            "v2g": rng.choice([True, False, "true", None, 0]),
        }
    elif resource == "regulator":
        document = {
            key: _value(rng, typical)
            for key, typical in (
                ("setpoint_ma", 16000.0),
                ("until", 1.8e9),
                ("min_ma", 6000.0),
                ("max_ma", 32000.0),
                ("max_discharge_ma", 16000.0),
                ("fallback_ma", 0.0),
            )
            if rng.random() < 0.85
        }
    else:
        document = {"value": rng.choice([True, False, "on", 1, None, _Raw("NaN")])}
    body = _dump(document)
    return _mangle(rng, body) if roll > 0.9 else body


OCPP_16_CALLS = (
    "BootNotification",
    "Heartbeat",
    "StatusNotification",
    "MeterValues",
    "StartTransaction",
    "StopTransaction",
    "Authorize",
    "DataTransfer",
    "FirmwareStatusNotification",
    "DiagnosticsStatusNotification",
)
OCPP_201_CALLS = (
    "BootNotification",
    "Heartbeat",
    "StatusNotification",
    "MeterValues",
    "TransactionEvent",
    "Authorize",
    "DataTransfer",
    "NotifyReport",
    "FirmwareStatusNotification",
    "NotifyEvent",
)
MEASURANDS = (
    "Energy.Active.Import.Register",
    "Energy.Active.Export.Register",
    "Power.Active.Import",
    "Current.Import",
    "Current.Offered",
    "Voltage",
    "SoC",
    "Temperature",
)


def _sampled_values(rng: random.Random, version: str) -> list[dict[str, Any]]:
    values = []
    for _ in range(rng.choice([0, 1, 3, 40])):
        measurand = rng.choice(MEASURANDS)
        number = _value(rng, 2000.0 if measurand.startswith("Energy") else 16.0)
        sample: dict[str, Any] = {"measurand": measurand}
        if version == "ocpp1.6":
            if isinstance(number, float | int) and not isinstance(number, bool):
                number = repr(number) if rng.random() < 0.8 else number
            sample["value"] = number
            sample["unit"] = rng.choice(["Wh", "kWh", "W", "kW", "A", "V", "Percent", "x"])
        else:
            sample["value"] = number
            sample["unitOfMeasure"] = {"unit": rng.choice(["Wh", "kWh", "W", "A", "V", "x"])}
        if rng.random() < 0.3:
            sample["phase"] = rng.choice(["L1", "L2", "L3", "N", "L1-N", "bogus"])
        if rng.random() < 0.2:
            sample["context"] = rng.choice(["Sample.Periodic", "Transaction.End", "?"])
        values.append(sample)
    return values


def _meter_value(rng: random.Random, version: str) -> dict[str, Any]:
    timestamp = rng.choice(
        ["2026-12-03T10:00:00Z", "1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "yesterday", 5]
    )
    return {"timestamp": timestamp, "sampledValue": _sampled_values(rng, version)}


def _connector(rng: random.Random) -> Any:
    return rng.choice([0, 1, 1, 2, 3, 99, -1, 2**31, "1", None, 1.5])


def _payload(rng: random.Random, action: str, version: str) -> dict[str, Any]:
    tag = rng.choice(["CARD-ALICE", "EV_V2G", "ev_v2g", "", "X" * 40, "unknown"])
    if action == "MeterValues":
        key = "connectorId" if version == "ocpp1.6" else "evseId"
        payload: dict[str, Any] = {
            key: _connector(rng),
            "meterValue": [_meter_value(rng, version) for _ in range(rng.choice([0, 1, 2, 20]))],
        }
        if rng.random() < 0.5:
            payload["transactionId"] = rng.choice([1, 0, -5, 2**40, "abc", None])
        return payload
    if action == "StartTransaction":
        return {
            "connectorId": _connector(rng),
            "idTag": tag,
            "meterStart": rng.choice([0, -1, 2**62, 1000, "10"]),
            "timestamp": "2026-12-03T10:00:00Z",
        }
    if action == "StopTransaction":
        return {
            "transactionId": rng.choice([1, 2, -1, 2**40, None]),
            "meterStop": rng.choice([0, -1, 2**62, 5000, 10**30]),
            "timestamp": "2026-12-03T10:00:00Z",
            "transactionData": [_meter_value(rng, version)],
        }
    if action == "TransactionEvent":
        return {
            "eventType": rng.choice(["Started", "Updated", "Ended", "Weird"]),
            "timestamp": "2026-12-03T10:00:00Z",
            "triggerReason": rng.choice(["Authorized", "MeterValuePeriodic", "?"]),
            "seqNo": rng.choice([0, 1, -1, 2**40]),
            "transactionInfo": {"transactionId": rng.choice(["t1", "", "x" * 40, 5])},
            "evse": {"id": _connector(rng), "connectorId": _connector(rng)},
            "idToken": {"idToken": tag, "type": rng.choice(["ISO14443", "Central", "?"])},
            "meterValue": [_meter_value(rng, version)],
        }
    if action == "StatusNotification":
        return {
            "connectorId": _connector(rng),
            "evseId": _connector(rng),
            "status": rng.choice(["Available", "Charging", "Faulted", "Occupied", "?", 5]),
            "connectorStatus": rng.choice(["Available", "Occupied", "?"]),
            "errorCode": rng.choice(["NoError", "OtherError", "?"]),
            "timestamp": "2026-12-03T10:00:00Z",
        }
    if action == "BootNotification":
        return {
            "chargePointVendor": rng.choice(["Acme", "", "V" * 100]),
            "chargePointModel": rng.choice(["Wallbox", None, 5]),
            "chargingStation": {"model": "M", "vendorName": "V" * rng.choice([1, 100])},
            "reason": rng.choice(["PowerUp", "?"]),
        }
    if action == "Authorize":
        return {"idTag": tag, "idToken": {"idToken": tag, "type": "ISO14443"}}
    if action == "DataTransfer":
        return {"vendorId": "x" * rng.choice([1, 300]), "data": "y" * rng.choice([0, 2000])}
    return {"n": _value(rng, 1.0)}


def ocpp_frame(rng: random.Random, version: str) -> str:
    """A hostile OCPP-J frame: a CALL with a broken payload, or a broken frame."""
    roll = rng.random()
    unique_id = rng.choice([f"h{rng.randrange(10**6)}", "", "x" * 100, "-1"])
    if roll < 0.1:
        return _garbage(rng).decode("utf-8", "replace")
    if roll < 0.2:
        return rng.choice(
            [
                json.dumps([3, unique_id, {"status": "Accepted"}]),
                json.dumps([4, unique_id, "GenericError", "", {}]),
                json.dumps([rng.choice([0, 5, -1, "2", None]), unique_id, "Heartbeat", {}]),
                json.dumps([2, unique_id, "Heartbeat"]),
                json.dumps([2, unique_id, rng.choice(["", "Reset", "x" * 200, "__init__"]), {}]),
            ]
        )
    calls = OCPP_16_CALLS if version == "ocpp1.6" else OCPP_201_CALLS
    action = rng.choice(calls)
    text = _dump([2, unique_id, action, _payload(rng, action, version)]).decode()
    return _mangle(rng, text.encode()).decode() if roll > 0.95 else text
