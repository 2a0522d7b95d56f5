"""Bodies the simulated station renders and parses, without the network."""

from __future__ import annotations

import json
import math

import pytest

from hardware.station_sim import SimulatedStation, Vehicle
from hardware.station_sim.payloads import (
    InvalidBodyError,
    UnsupportedFormatError,
    current_body,
    energy_body,
    parse_regulator,
    parse_switch,
    regulator_body,
    switch_body,
    vehicle_body,
)


@pytest.mark.parametrize(
    ("data", "content_format", "expected"),
    [
        (b'{"value": true}', 50, True),
        (b'{"value": false}', 50, False),
        (b"on", None, True),
        (b"off", 0, False),
        (b" ON\n", 0, True),
        (b"1", None, True),
        (b"0", 0, False),
    ],
)
def test_switch_reads_json_and_legacy_text(
    data: bytes, content_format: int | None, expected: bool
) -> None:
    """JSON {"value": bool} and the words on/off/1/0 are understood."""
    assert parse_switch(data, content_format) is expected


@pytest.mark.parametrize(
    ("data", "content_format"),
    [
        (b'{"value": "on"}', 50),
        (b'{"value": 1}', 50),
        (b"{}", 50),
        (b"on", 50),
        (b"[true]", 50),
        (b"yes", 0),
        (b"", None),
        (b"\xff", 0),
    ],
)
def test_switch_refuses_anything_else(data: bytes, content_format: int | None) -> None:
    """Everything else is an InvalidBodyError (CoAP 4.00)."""
    with pytest.raises(InvalidBodyError):
        parse_switch(data, content_format)


def test_switch_refuses_other_content_formats() -> None:
    """CBOR is not read: UnsupportedFormatError (CoAP 4.15)."""
    with pytest.raises(UnsupportedFormatError):
        parse_switch(b"\xf5", 60)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"setpoint_ma": 16000}', (16000, None)),
        (b'{"setpoint_ma": -8000, "until": 1767225600}', (-8000, 1767225600)),
        (b'{"setpoint_ma": 0, "until": null}', (0, None)),
    ],
)
def test_regulator_reads_setpoint_and_until(data: bytes, expected: tuple[int, int | None]) -> None:
    """setpoint_ma is required, until optional."""
    assert parse_regulator(data, 50) == expected
    assert parse_regulator(data, None) == expected


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"garbage",
        b"[16000]",
        b"{}",
        b'{"setpoint_ma": "16000"}',
        b'{"setpoint_ma": 16000.5}',
        b'{"setpoint_ma": true}',
        b'{"setpoint_ma": NaN}',
        b'{"setpoint_ma": 16000, "until": "tomorrow"}',
        b'{"setpoint_ma": 16000, "until": 1.5}',
    ],
)
def test_regulator_refuses_garbage(data: bytes) -> None:
    """Missing, mistyped or non-JSON bodies are an InvalidBodyError."""
    with pytest.raises(InvalidBodyError):
        parse_regulator(data, 50)


@pytest.mark.parametrize("content_format", [0, 60, 110])
def test_regulator_refuses_other_content_formats(content_format: int) -> None:
    """Only JSON (or no content format) is read."""
    with pytest.raises(UnsupportedFormatError):
        parse_regulator(b'{"setpoint_ma": 0}', content_format)


def test_json_bodies() -> None:
    """Switch, regulator and vehicle bodies are content format 50 with the contract's keys."""
    station = SimulatedStation(station_id="x", fallback_ma=6000)
    assert json.loads(switch_body(station).data) == {"value": False}
    assert json.loads(regulator_body(station).data) == {
        "setpoint_ma": 6000,
        "until": None,
        "min_ma": 6000,
        "max_ma": 32000,
        "max_discharge_ma": 16000,
        "fallback_ma": 6000,
    }
    assert json.loads(vehicle_body(station).data) == {"plugged": False, "v2g": False}
    station.plug(Vehicle(soc=54, v2g=True))
    assert json.loads(vehicle_body(station).data) == {"plugged": True, "soc": 54, "v2g": True}
    assert {switch_body(station).content_format, vehicle_body(station).content_format} == {50}


def test_senml_bodies() -> None:
    """/current and /energy are SenML JSON (110) with a base name and signed values."""
    station = SimulatedStation(station_id="x", clock=lambda: 1_800_000_000.25)
    station.current_a = -10.0
    station.energy_import_wh, station.energy_export_wh = 12.5, 3.25
    current = current_body(station)
    assert current.content_format == 110
    assert json.loads(current.data) == [
        {"bn": "urn:dev:ev_v2g:x:", "bt": 1_800_000_000.25, "n": "current", "u": "A", "v": -10.0},
        {"n": "voltage", "u": "V", "v": 230.5},
        {"n": "power", "u": "W", "v": -2305.0},
    ]
    energy = energy_body(station)
    assert energy.content_format == 110
    assert json.loads(energy.data) == [
        {"bn": "urn:dev:ev_v2g:x:", "n": "energy_import", "u": "Wh", "v": 12.5},
        {"n": "energy_export", "u": "Wh", "v": 3.25},
        {"n": "boot", "v": 1},
    ]


def test_faults_spoil_senml_bodies() -> None:
    """Each fault switch produces the bad body it promises."""
    station = SimulatedStation(station_id="x")
    station.energy_import_wh = 5.0
    faults = station.faults

    faults.malformed_senml = True
    with pytest.raises(ValueError, match=r"Expecting|Unterminated"):
        json.loads(current_body(station).data)
    faults.malformed_senml = False

    faults.non_numeric = True
    assert {record["v"] for record in json.loads(energy_body(station).data)} == {"abc"}
    faults.non_numeric = False

    faults.nan_values = True
    values = [record["v"] for record in json.loads(current_body(station).data)]
    assert math.isnan(values[0])
    assert all(math.isinf(value) for value in values[1:])
    faults.nan_values = False

    faults.energy_backwards = True
    assert json.loads(energy_body(station).data)[0]["v"] == 5.0 - 1000.0
    faults.energy_backwards = False

    faults.unknown_content_format = True
    body = current_body(station)
    assert body.content_format == 0
    assert body.data.decode().startswith("current=0.0 A")
