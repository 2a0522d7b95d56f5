"""Bad input from charge points: the answer due, a logged reason, a connection that stays up."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import pytest

from custom_components.ev_v2g.transport.ocpp import (
    CentralSystem,
    CommandRejectedError,
    CommandTimeoutError,
    NotConnectedError,
)
from custom_components.ev_v2g.transport.ocpp.record import ChargePointRecord
from tests.common import eventually

from .client import OcppClient, Recorder
from .conftest import ConnectFactory

BOOT_16 = {"chargePointVendor": "Acme", "chargePointModel": "Wallbox"}


async def still_up(client: OcppClient) -> None:
    """The connection still answers."""
    assert "currentTime" in await client.result("Heartbeat", {})
    assert client.unmatched.empty()


def warnings(caplog: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    """The log records that mention ``text``."""
    return [record for record in caplog.records if text in record.getMessage()]


BAD_FRAMES: list[tuple[str, str, list[Any] | None, list[Any] | None]] = [
    # (case, frame, 1.6 answer, 2.0.1 answer); answers as [type, id, code]
    ("not JSON", "hello", None, [4, "-1", "RpcFrameworkError"]),
    (
        "broken JSON, id readable",
        '[2, "m9", "Heartbeat", {',
        [4, "m9", "FormationViolation"],
        [4, "m9", "RpcFrameworkError"],
    ),
    ("not an array", '{"a": 1}', None, [4, "-1", "RpcFrameworkError"]),
    ("empty array", "[]", None, [4, "-1", "RpcFrameworkError"]),
    ("type not a number", '["2", "m9", "Heartbeat", {}]', None, [4, "m9", "RpcFrameworkError"]),
    ("id not a string", '[2, 9, "Heartbeat", {}]', None, [4, "-1", "RpcFrameworkError"]),
    (
        "CALL without payload",
        '[2, "m9", "Heartbeat"]',
        [4, "m9", "FormationViolation"],
        [4, "m9", "RpcFrameworkError"],
    ),
    (
        "payload not an object",
        '[2, "m9", "Heartbeat", []]',
        [4, "m9", "FormationViolation"],
        [4, "m9", "RpcFrameworkError"],
    ),
    ("unknown message type", '[7, "m9", {}]', None, [4, "m9", "MessageTypeNotSupported"]),
    ("broken CALLRESULT", '[3, "m9"]', None, None),
    ("broken CALLERROR", '[4, "m9"]', None, None),
    ("stray CALLRESULT", '[3, "m9", {}]', None, None),
    ("stray CALLERROR", '[4, "m9", "GenericError", "x", {}]', None, None),
    # Refused before parsing: the parser's recursion would raise (and drop the connection).
    ("nested 20,000 deep", "[" * 20_000 + "]" * 20_000, None, [4, "-1", "RpcFrameworkError"]),
    (
        "a CALL nested 40 deep",
        '[2, "m9", "Heartbeat", ' + '{"a": ' * 40 + "1" + "}" * 40 + "]",
        None,
        [4, "-1", "RpcFrameworkError"],
    ),
]


@pytest.mark.parametrize(("case", "frame", "answer_16", "answer_201"), BAD_FRAMES)
@pytest.mark.parametrize("protocol", ["ocpp1.6", "ocpp2.0.1"])
async def test_bad_frames(
    connect: ConnectFactory,
    caplog: pytest.LogCaptureFixture,
    protocol: str,
    case: str,
    frame: str,
    answer_16: list[Any] | None,
    answer_201: list[Any] | None,
) -> None:
    """Each bad frame gets the CALLERROR its version wants (or none) and the socket stays up."""
    client = await connect("CP1", protocols=(protocol,))
    await client.send_raw(frame)
    expected = answer_16 if protocol == "ocpp1.6" else answer_201
    if expected is not None:
        answer = await client.next_unmatched()
        assert answer[:3] == expected, case
        assert isinstance(answer[3], str)
        assert isinstance(answer[4], dict)
    await still_up(client)
    if not case.startswith("stray"):
        (record,) = warnings(caplog, "CP1 sent a")
        assert record.levelno == logging.WARNING
        assert not record.exc_info  # a reason, not a stack trace


async def test_binary_frame(cp16: OcppClient, caplog: pytest.LogCaptureFixture) -> None:
    """OCPP-J is text: a binary frame is logged and dropped."""
    await cp16.ws.send_bytes(b"[2]")
    await still_up(cp16)
    assert warnings(caplog, "CP1 sent a binary frame")


async def test_bad_frames_are_logged_once_a_minute(
    central: CentralSystem, cp16: OcppClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A charge point sending garbage all the time costs one log line a minute."""
    for _ in range(50):
        await cp16.send_raw("garbage")
    await still_up(cp16)
    assert len(warnings(caplog, "not valid JSON")) == 1


@pytest.mark.parametrize(
    ("protocol", "action", "payload", "code"),
    [
        ("ocpp1.6", "BootNotification", {**BOOT_16, "colour": "red"}, "FormationViolation"),
        ("ocpp1.6", "BootNotification", {"chargePointVendor": "Acme"}, "ProtocolError"),
        ("ocpp1.6", "Authorize", {"idTag": 5}, "TypeConstraintViolation"),
        ("ocpp1.6", "Authorize", {"idTag": "X" * 21}, "TypeConstraintViolation"),
        (
            "ocpp1.6",
            "StatusNotification",
            {"connectorId": 1, "errorCode": "NoError", "status": "Sleeping"},
            "FormationViolation",
        ),
        ("ocpp2.0.1", "Heartbeat", {"colour": "red"}, "FormatViolation"),
        ("ocpp2.0.1", "Authorize", {}, "ProtocolError"),
        (
            "ocpp2.0.1",
            "StatusNotification",
            {"timestamp": "x", "connectorStatus": "Charging", "evseId": 1, "connectorId": 1},
            "FormatViolation",
        ),
    ],
)
async def test_schema_invalid_payload(
    connect: ConnectFactory,
    caplog: pytest.LogCaptureFixture,
    protocol: str,
    action: str,
    payload: dict[str, Any],
    code: str,
) -> None:
    """Schema violations: the library's error code in the version's spelling; still up."""
    client = await connect("CP1", protocols=(protocol,))
    answer = await client.call(action, payload)
    assert answer[0] == 4
    assert answer[2] == code
    assert answer[4]["cause"]
    assert len(answer[3]) <= 255
    await still_up(client)
    assert warnings(caplog, f"CP1 sent an invalid {action}")


@pytest.mark.parametrize(
    ("protocol", "action", "code"),
    [
        ("ocpp1.6", "FlyToTheMoon", "NotImplemented"),
        ("ocpp1.6", "TransactionEvent", "NotImplemented"),  # 2.0.1's, unknown in 1.6
        ("ocpp1.6", "Reset", "NotSupported"),  # a 1.6 action, not one we handle
        ("ocpp2.0.1", "FlyToTheMoon", "NotImplemented"),
        ("ocpp2.0.1", "Get15118EVCertificate", "NotSupported"),
    ],
)
async def test_unknown_action(
    connect: ConnectFactory, protocol: str, action: str, code: str
) -> None:
    """OCPP-J: NotImplemented = action not known, NotSupported = known but not supported."""
    client = await connect("CP1", protocols=(protocol,))
    answer = await client.call(action, {})
    assert answer[:3] == [4, answer[1], code]
    assert action in answer[3]
    await still_up(client)


async def test_handler_failure_is_internal_error(
    cp16: OcppClient, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug of ours in a handler: InternalError to the charge point, one logged traceback."""

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(ChargePointRecord, "set_status", broken)
    status = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
    for _ in range(3):
        answer = await cp16.call("StatusNotification", status)
        assert answer[2] == "InternalError"
    await still_up(cp16)
    records = warnings(caplog, "Error while handling StatusNotification from CP1")
    assert len(records) == 1
    assert records[0].levelno == logging.ERROR
    assert records[0].exc_info is not None


async def test_flood_does_not_starve_others(
    central: CentralSystem, connect: ConnectFactory
) -> None:
    """1000 frames/s for 5 s from one charge point; another's Heartbeat round trip stays short."""
    flooder = await connect("CP1")
    other = await connect("CP3")
    meter = json.dumps(
        {
            "connectorId": 1,
            "meterValue": [
                {
                    "timestamp": "2026-03-01T10:00:00Z",
                    "sampledValue": [
                        {"value": "1000", "measurand": "Energy.Active.Import.Register"}
                    ],
                }
            ],
        }
    )
    rate, seconds = 1000, 5.0
    sent = 0
    stop = asyncio.Event()

    async def flood() -> None:
        nonlocal sent
        start = time.monotonic()
        while (elapsed := time.monotonic() - start) < seconds:
            while sent < elapsed * rate:
                await flooder.send_raw(f'[2,"f{sent}","MeterValues",{meter}]')
                sent += 1
            await asyncio.sleep(0.005)
        stop.set()

    latencies: list[float] = []

    async def probe() -> None:
        while not stop.is_set():
            started = time.monotonic()
            await other.result("Heartbeat", {})
            latencies.append(time.monotonic() - started)
            await asyncio.sleep(0.02)

    await asyncio.gather(flood(), probe())
    assert sent >= rate * seconds * 0.9
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95)]
    assert len(latencies) > 50
    assert p95 < 0.5, f"p95 {p95:.3f} s"
    await eventually(lambda: flooder.unmatched.qsize() >= sent, within=30)
    assert flooder.unmatched.qsize() == sent  # every frame answered, none lost
    assert central.states["CP1"].connectors[1].energy_import_wh == 1000.0


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (TimeoutError(), CommandTimeoutError),
        (ConnectionResetError(), NotConnectedError),
        (TypeError("unexpected keyword"), CommandRejectedError),
    ],
)
async def test_library_call_failures(
    central: CentralSystem,
    cp16: OcppClient,
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
    expected: type[Exception],
) -> None:
    """What the library's call() may raise is mapped onto our errors."""
    connection = central._connections["CP1"]

    async def failing(*_: object, **__: object) -> None:
        raise error

    monkeypatch.setattr(connection, "call", failing)
    with pytest.raises(expected):
        await central.charge_point("CP1").reset()


async def test_send_fails_while_answering(
    central: CentralSystem, recorder: Recorder, cp16: OcppClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The socket breaking under an answer ends the connection: offline, told."""
    connection = central._connections["CP1"]

    async def broken(_: str) -> None:
        raise ConnectionResetError

    monkeypatch.setattr(connection._ws, "send_str", broken)
    await cp16.send_raw('[2,"x","Heartbeat",{}]')
    await eventually(lambda: not central.states["CP1"].online)
    assert recorder.changes[-1] == ("CP1", None)
    with pytest.raises(NotConnectedError):
        await connection._send("[]")
