"""Decoding and encoding the payloads of the CoAP station contract (DESIGN.md section 5)."""

from __future__ import annotations

from collections.abc import Callable
import json
import math

from hypothesis import given, strategies as st
import pytest

from custom_components.ev_v2g.transport.coap.payloads import (
    CF_JSON,
    CF_SENML_JSON,
    CF_TEXT,
    STATION_PATHS,
    PayloadError,
    RegulatorState,
    VehicleState,
    decode_regulator,
    decode_senml,
    decode_switch,
    decode_vehicle,
    encode_setpoint,
    encode_switch,
    resource_paths,
)
from hardware.station_sim import SimulatedStation, Vehicle, payloads as sim

# --- SenML -------------------------------------------------------------------------------------

CURRENT_PACK = (
    b'[{"bn":"urn:dev:ev_v2g:sim-1:","bt":1767225600.0,"n":"current","u":"A","v":-12.5},'
    b'{"n":"voltage","u":"V","v":230.6},{"n":"power","u":"W","v":-2882.5}]'
)


def test_senml_pack() -> None:
    """Names without their base name, values as floats, signs kept."""
    assert decode_senml(CURRENT_PACK, CF_SENML_JSON) == {
        "current": -12.5,
        "voltage": 230.6,
        "power": -2882.5,
    }


def test_senml_integers_become_floats() -> None:
    """An integer reading is a float like any other."""
    values = decode_senml(b'[{"n":"energy_import","v":1200}]', CF_SENML_JSON)
    assert values == {"energy_import": 1200.0}
    assert isinstance(values["energy_import"], float)


def test_senml_from_the_simulator() -> None:
    """What the simulated station renders decodes to its readings."""
    station = SimulatedStation()
    station.current_a = 16.0
    station.energy_import_wh = 1234.5
    station.energy_export_wh = 67.0
    current = sim.current_body(station)
    energy = sim.energy_body(station)
    assert decode_senml(current.data, current.content_format) == {
        "current": 16.0,
        "voltage": station.voltage,
        "power": round(station.power_w, 1),
    }
    assert decode_senml(energy.data, energy.content_format) == {
        "energy_import": 1234.5,
        "energy_export": 67.0,
        "boot": 1.0,
    }


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"[]", "not a non-empty array"),
        (b'{"n":"current","v":1}', "not a non-empty array"),
        (b"42", "not a non-empty array"),
        (b'"current"', "not a non-empty array"),
        (b'[{"n":"current","v":1},[1]]', "record is not an object"),
        (b'["current"]', "record is not an object"),
        (b"[null]", "record is not an object"),
        (b'[{"v":1}]', "without a name"),
        (b'[{"bn":"urn:dev:ev_v2g:sim-1:","v":1}]', "without a name"),
        (b'[{"n":"","v":1}]', "without a name"),
        (b'[{"n":7,"v":1}]', "without a name"),
        (b'[{"n":"current"}]', "not a number"),
        (b'[{"n":"current","v":null}]', "not a number"),
        (b'[{"n":"current","v":"abc"}]', "not a number"),
        (b'[{"n":"current","v":"12"}]', "not a number"),
        (b'[{"n":"current","v":true}]', "not a number"),
        (b'[{"n":"current","v":false}]', "not a number"),
        (b'[{"n":"current","v":[1]}]', "not a number"),
        (b'[{"n":"current","v":NaN}]', "non-finite number NaN"),
        (b'[{"n":"current","v":Infinity}]', "non-finite number Infinity"),
        (b'[{"n":"current","v":-Infinity}]', "non-finite number -Infinity"),
        (b'[{"n":"current","v":1e400}]', "not finite"),
        (b'[{"n":"current","v":-1e400}]', "not finite"),
        (b'[{"n":"current","v":1', "not valid JSON"),
        (b"", "not valid JSON"),
        (b"current=1 A", "not valid JSON"),
        (b'[{"n":"current","v":1}]\xff', "not valid JSON"),
        (b'[{"n":"\xff\xfe","v":1}]', "not valid JSON"),
    ],
)
def test_senml_refused(payload: bytes, reason: str) -> None:
    """Anything but an array of named numeric records is refused with a reason."""
    with pytest.raises(PayloadError, match=reason):
        decode_senml(payload, CF_SENML_JSON)


@pytest.mark.parametrize("content_format", [None, CF_TEXT, CF_JSON, 40, 112])
def test_senml_wrong_content_format(content_format: int | None) -> None:
    """A good pack in the wrong content format is still refused."""
    with pytest.raises(PayloadError, match="unexpected content format"):
        decode_senml(CURRENT_PACK, content_format)


@pytest.mark.parametrize(
    "faults",
    [
        {"malformed_senml": True},
        {"non_numeric": True},
        {"nan_values": True},
        {"unknown_content_format": True},
    ],
)
def test_senml_faults_of_the_simulator_are_refused(faults: dict[str, bool]) -> None:
    """Every SenML misbehaviour the simulator can show is caught here."""
    station = SimulatedStation()
    for name, value in faults.items():
        setattr(station.faults, name, value)
    for body in (sim.current_body(station), sim.energy_body(station)):
        with pytest.raises(PayloadError):
            decode_senml(body.data, body.content_format)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=12,
    )
)
def test_senml_never_lets_junk_through(document: object) -> None:
    """Any JSON document decodes to finite floats or raises PayloadError, nothing else."""
    payload = json.dumps(document).encode()
    try:
        values = decode_senml(payload, CF_SENML_JSON)
    except PayloadError:
        return
    assert values
    assert all(isinstance(v, float) and math.isfinite(v) for v in values.values())


# --- /switch -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "content_format", "on"),
    [
        (b'{"value": true}', CF_JSON, True),
        (b'{"value":false}', CF_JSON, False),
        (b"on", CF_TEXT, True),
        (b"off", CF_TEXT, False),
        (b"1", CF_TEXT, True),
        (b"0", CF_TEXT, False),
        (b"ON\n", CF_TEXT, True),
        (b" Off ", CF_TEXT, False),
        (b"on", None, True),
        (b"off", None, False),
        (b"1", None, True),
        (b"0", None, False),
    ],
)
def test_switch(payload: bytes, content_format: int | None, on: bool) -> None:
    """JSON, and the legacy text form with or without a content format."""
    assert decode_switch(payload, content_format) is on


@pytest.mark.parametrize(
    ("payload", "content_format"),
    [
        (b"yes", CF_TEXT),
        (b"", CF_TEXT),
        (b"\xff", None),
        (b"true", None),
        (b'{"value": true}', None),
        (b'{"value": 1}', CF_JSON),
        (b'{"value": "on"}', CF_JSON),
        (b'{"value": null}', CF_JSON),
        (b"{}", CF_JSON),
        (b"[true]", CF_JSON),
        (b"true", CF_JSON),
        (b"on", CF_JSON),
        (b'{"value": true}', CF_SENML_JSON),
    ],
)
def test_switch_refused(payload: bytes, content_format: int | None) -> None:
    """Garbage, mistyped values and unknown content formats."""
    with pytest.raises(PayloadError):
        decode_switch(payload, content_format)


@pytest.mark.parametrize("on", [True, False])
def test_switch_round_trip(on: bool) -> None:
    """What we send is what the station reads, and what it answers is what we read."""
    assert sim.parse_switch(encode_switch(on), CF_JSON) is on
    station = SimulatedStation()
    station.set_switch(on)
    body = sim.switch_body(station)
    assert decode_switch(body.data, body.content_format) is on


# --- /regulator --------------------------------------------------------------------------------


def test_regulator_in_amperes() -> None:
    """Milliamperes on the wire, amperes here; negative setpoints are discharge."""
    payload = json.dumps(
        {
            "setpoint_ma": -16000,
            "until": 1767225600,
            "min_ma": 6000,
            "max_ma": 32000,
            "max_discharge_ma": 16000,
            "fallback_ma": 6500,
        }
    ).encode()
    assert decode_regulator(payload, CF_JSON) == RegulatorState(
        setpoint_a=-16.0,
        until=1767225600,
        min_a=6.0,
        max_a=32.0,
        max_discharge_a=16.0,
        fallback_a=6.5,
    )


def test_regulator_optional_keys() -> None:
    """No expiry, no discharge limit and no fallback: None, 0 and 0."""
    state = decode_regulator(b'{"setpoint_ma":10000,"min_ma":6000,"max_ma":16000}', CF_JSON)
    assert state.until is None
    assert state.max_discharge_a == 0.0
    assert state.fallback_a == 0.0
    assert (
        decode_regulator(
            b'{"setpoint_ma":0,"until":null,"min_ma":6000,"max_ma":16000}', CF_JSON
        ).until
        is None
    )


@pytest.mark.parametrize(
    ("limits", "min_a", "discharge_a"),
    [
        ({"min_ma": -16000}, 0.0, 16.0),
        ({"min_ma": -10000, "max_discharge_ma": 16000}, 0.0, 16.0),
        ({"min_ma": -16000, "max_discharge_ma": 10000}, 0.0, 16.0),
        ({"min_ma": 6000, "max_discharge_ma": 16000}, 6.0, 16.0),
        ({"min_ma": 6000}, 6.0, 0.0),
    ],
    ids=["the contract's way", "alias larger", "min_ma larger", "alias only", "no discharge"],
)
def test_discharge_said_as_a_negative_minimum(
    limits: dict[str, int], min_a: float, discharge_a: float
) -> None:
    """`min_ma` < 0: the station discharges down to it (no charging minimum of its own)."""
    payload = json.dumps({"setpoint_ma": 0, "max_ma": 32000} | limits).encode()
    state = decode_regulator(payload, CF_JSON)
    assert (state.min_a, state.max_discharge_a) == (min_a, discharge_a)


def test_regulator_until_is_whole_seconds() -> None:
    """A fractional expiry is truncated to unix seconds."""
    payload = b'{"setpoint_ma":0,"until":1767225600.75,"min_ma":6000,"max_ma":16000}'
    until = decode_regulator(payload, CF_JSON).until
    assert until == 1767225600
    assert isinstance(until, int)


def test_regulator_from_the_simulator() -> None:
    """The simulator's /regulator decodes to its limits."""
    station = SimulatedStation(max_discharge_ma=0, fallback_ma=6000)
    station.set_regulator(8000, until=None)
    body = sim.regulator_body(station)
    assert decode_regulator(body.data, body.content_format) == RegulatorState(
        setpoint_a=8.0, until=None, min_a=6.0, max_a=32.0, max_discharge_a=0.0, fallback_a=6.0
    )


@pytest.mark.parametrize(
    ("payload", "content_format", "reason"),
    [
        (b'{"min_ma":6000,"max_ma":32000}', CF_JSON, "setpoint_ma is not a number"),
        (b'{"setpoint_ma":0,"max_ma":32000}', CF_JSON, "min_ma is not a number"),
        (b'{"setpoint_ma":0,"min_ma":6000}', CF_JSON, "max_ma is not a number"),
        (b'{"setpoint_ma":"6A","min_ma":6000,"max_ma":1}', CF_JSON, "setpoint_ma is not"),
        (b'{"setpoint_ma":true,"min_ma":6000,"max_ma":1}', CF_JSON, "setpoint_ma is not"),
        (b'{"setpoint_ma":NaN,"min_ma":6000,"max_ma":1}', CF_JSON, "non-finite"),
        (b'{"setpoint_ma":0,"min_ma":6000,"max_ma":1,"until":"soon"}', CF_JSON, "until is not"),
        (b'{"setpoint_ma":0,"min_ma":6000,"max_ma":1,"until":true}', CF_JSON, "until is not"),
        (b'{"setpoint_ma":0,"min_ma":6,"max_ma":1,"fallback_ma":null}', CF_JSON, "fallback_ma"),
        (b"[6000]", CF_JSON, "not an object"),
        (b"setpoint=6000", CF_JSON, "not valid JSON"),
        (b'{"setpoint_ma":0,"min_ma":6000,"max_ma":1}', CF_TEXT, "unexpected content format"),
        (b'{"setpoint_ma":0,"min_ma":6000,"max_ma":1}', None, "unexpected content format"),
    ],
)
def test_regulator_refused(payload: bytes, content_format: int | None, reason: str) -> None:
    """Missing limits, mistyped or non-finite values, and anything but a JSON object."""
    with pytest.raises(PayloadError, match=reason):
        decode_regulator(payload, content_format)


@pytest.mark.parametrize(
    ("setpoint_a", "until", "expected"),
    [
        (16.0, None, {"setpoint_ma": 16000}),
        (-8.5, 1767225600, {"setpoint_ma": -8500, "until": 1767225600}),
        (0.0, None, {"setpoint_ma": 0}),
        (6.0004, None, {"setpoint_ma": 6000}),
        (10.0006, None, {"setpoint_ma": 10001}),
    ],
)
def test_encode_setpoint(setpoint_a: float, until: int | None, expected: dict[str, int]) -> None:
    """Whole milliamperes, the expiry only when there is one."""
    payload = encode_setpoint(setpoint_a, until)
    assert json.loads(payload) == expected
    assert sim.parse_regulator(payload, CF_JSON) == (expected["setpoint_ma"], until)


@given(
    setpoint_ma=st.integers(min_value=-32000, max_value=32000),
    until=st.none() | st.integers(min_value=0, max_value=2**40),
)
def test_setpoint_round_trip(setpoint_ma: int, until: int | None) -> None:
    """A setpoint in whole milliamperes survives encoding and the station's parser exactly."""
    payload = encode_setpoint(setpoint_ma / 1000, until)
    assert sim.parse_regulator(payload, CF_JSON) == (setpoint_ma, until)


# --- /vehicle ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b'{"plugged":true,"soc":54,"v2g":true}', VehicleState(plugged=True, soc=54, v2g=True)),
        (b'{"plugged":true,"soc":54}', VehicleState(plugged=True, soc=54, v2g=None)),
        (b'{"plugged":true}', VehicleState(plugged=True, soc=None, v2g=None)),
        (b'{"plugged":true,"soc":null}', VehicleState(plugged=True, soc=None, v2g=None)),
        (b'{"plugged":false,"v2g":false}', VehicleState(plugged=False, soc=None, v2g=False)),
        (b'{"plugged":true,"soc":0}', VehicleState(plugged=True, soc=0, v2g=None)),
        (b'{"plugged":true,"soc":100}', VehicleState(plugged=True, soc=100, v2g=None)),
        (b'{"plugged":true,"soc":54.6}', VehicleState(plugged=True, soc=55, v2g=None)),
        (b'{"plugged":true,"v2g":"yes"}', VehicleState(plugged=True, soc=None, v2g=None)),
    ],
)
def test_vehicle(payload: bytes, expected: VehicleState) -> None:
    """Plugged or not, the state of charge when known (whole percent), V2G only if true."""
    assert decode_vehicle(payload, CF_JSON) == expected


@pytest.mark.parametrize(
    ("payload", "content_format", "reason"),
    [
        (b'{"plugged":true,"soc":-1}', CF_JSON, "soc out of range"),
        (b'{"plugged":true,"soc":100.5}', CF_JSON, "soc out of range"),
        (b'{"plugged":true,"soc":250}', CF_JSON, "soc out of range"),
        (b'{"plugged":true,"soc":"54"}', CF_JSON, "soc is not a number"),
        (b'{"plugged":true,"soc":true}', CF_JSON, "soc is not a number"),
        (b'{"plugged":true,"soc":NaN}', CF_JSON, "non-finite"),
        (b'{"plugged":true,"soc":1e999}', CF_JSON, "soc is not finite"),
        (b'{"plugged":"yes"}', CF_JSON, "lacks a boolean 'plugged'"),
        (b'{"plugged":1}', CF_JSON, "lacks a boolean 'plugged'"),
        (b'{"soc":54}', CF_JSON, "lacks a boolean 'plugged'"),
        (b"[true]", CF_JSON, "lacks a boolean 'plugged'"),
        (b'{"plugged":true', CF_JSON, "not valid JSON"),
        (b'{"plugged":true}', CF_TEXT, "unexpected content format"),
    ],
)
def test_vehicle_refused(payload: bytes, content_format: int | None, reason: str) -> None:
    """A state of charge outside 0..100 or not a number; no boolean plugged; not JSON."""
    with pytest.raises(PayloadError, match=reason):
        decode_vehicle(payload, content_format)


@pytest.mark.parametrize("reports_soc", [True, False])
def test_vehicle_from_the_simulator(reports_soc: bool) -> None:
    """The simulator's /vehicle decodes; an unreported state of charge is None."""
    station = SimulatedStation()
    body = sim.vehicle_body(station)
    assert decode_vehicle(body.data, body.content_format) == VehicleState(
        plugged=False, soc=None, v2g=False
    )
    station.plug(Vehicle(soc=42.4, v2g=True, reports_soc=reports_soc))
    body = sim.vehicle_body(station)
    assert decode_vehicle(body.data, body.content_format) == VehicleState(
        plugged=True, soc=42 if reports_soc else None, v2g=True
    )


# --- numbers too large for a float -------------------------------------------------------------

HUGE = b"1" + b"0" * 400


@pytest.mark.parametrize(
    ("decode", "payload", "content_format"),
    [
        (decode_senml, b'[{"n":"current","v":' + HUGE + b"}]", CF_SENML_JSON),
        (decode_vehicle, b'{"plugged":true,"soc":' + HUGE + b"}", CF_JSON),
        (decode_regulator, b'{"setpoint_ma":' + HUGE + b',"min_ma":6,"max_ma":7}', CF_JSON),
        (
            decode_regulator,
            b'{"setpoint_ma":0,"min_ma":6,"max_ma":7,"until":' + HUGE + b"}",
            CF_JSON,
        ),
    ],
)
def test_huge_integer_is_a_payload_error(
    decode: Callable[[bytes, int | None], object], payload: bytes, content_format: int
) -> None:
    """A 400-digit integer fits in one datagram; it is a PayloadError, not an OverflowError."""
    with pytest.raises(PayloadError):
        decode(payload, content_format)


@pytest.mark.parametrize(
    "payload",
    [
        b'[{"n":"current","v":' + b"1" * 5000 + b"}]",  # beyond int's 4300-digit conversion limit
        b"[" * 100_000,  # nesting beyond the recursion limit
    ],
    ids=["too-many-digits", "too-deep"],
)
def test_pathological_json_is_a_payload_error(payload: bytes) -> None:
    """Large block-wise payloads can carry these: PayloadError, not ValueError/RecursionError."""
    with pytest.raises(PayloadError):
        decode_senml(payload, CF_SENML_JSON)


# --- discovery ---------------------------------------------------------------------------------

LINK_FORMAT = (
    '</.well-known/core>;ct=40,</switch>;rt="ev_v2g.switch";obs,'
    '</regulator>;rt="ev_v2g.regulator";obs,'
    '</current>;rt="ev_v2g.current";obs;ct=110,'
    '</energy>; rt="ev_v2g.energy core.s" ;obs;ct=110,'
    "</vehicle>;rt=ev_v2g.vehicle;obs;ct=50,"
    '</fw>;if="core.p";title="Firmware, v1;2"'
)


def test_resource_paths_of_a_link_format() -> None:
    """Every target listed, whatever its attributes (quoted, spaced, none)."""
    found = resource_paths(LINK_FORMAT)
    assert found >= set(STATION_PATHS)
    assert "fw" in found
    assert ".well-known/core" in found


@pytest.mark.parametrize(
    "text",
    [
        "</switch>,</regulator>,</current>,</energy>,</vehicle>",
        '<switch>;rt="acme:relay",<regulator>,<current>;ct=110,<energy>,<vehicle>',
        (
            "<coap://[::1]:5683/switch>,<coap://10.0.0.7/regulator>,</current/>,</energy?x=1>,"
            " </vehicle> "
        ),
    ],
    ids=["absolute, no rt", "relative, other rt", "whole URIs, slash and query"],
)
def test_the_five_paths_however_they_are_written(text: str) -> None:
    """A station by someone else: its targets name the paths, its `rt` values are its own."""
    assert resource_paths(text) == set(STATION_PATHS)


@pytest.mark.parametrize("text", ["", "garbage", "switch,regulator", "<>,</>"])
def test_no_paths(text: str) -> None:
    """Nothing in angle brackets, no paths."""
    assert resource_paths(text) == set()
