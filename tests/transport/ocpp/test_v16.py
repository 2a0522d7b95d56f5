"""OCPP 1.6J messages from a charge point, and what they change."""

from __future__ import annotations

import time

import pytest

from custom_components.ev_v2g.transport.ocpp import CentralSystem
from custom_components.ev_v2g.transport.ocpp.central import ID_EPOCH
from custom_components.ev_v2g.transport.ocpp.model import ConnectorStatus, StopReason, Transaction
from custom_components.ev_v2g.transport.ocpp.timefmt import parse_timestamp

from .client import OcppClient, Recorder

T0 = "2026-03-01T10:00:00Z"
T1 = "2026-03-01T10:00:10Z"
T2 = "2026-03-01T10:00:20Z"
T3 = "2026-03-01T10:00:30Z"


def sample(timestamp: str, *values: dict[str, str]) -> dict[str, object]:
    """A 1.6 meterValue element."""
    return {"timestamp": timestamp, "sampledValue": list(values)}


def energy(value: str, unit: str = "Wh", **extra: str) -> dict[str, str]:
    """An energy register sampled value."""
    return {"value": value, "measurand": "Energy.Active.Import.Register", "unit": unit, **extra}


async def start(client: OcppClient, connector: int = 1, tag: str = "TAG1", at: str = T0) -> int:
    """Start a transaction; returns its id."""
    result = await client.result(
        "StartTransaction",
        {"connectorId": connector, "idTag": tag, "meterStart": 1000, "timestamp": at},
    )
    transaction_id: int = result["transactionId"]
    return transaction_id


async def test_boot_notification(
    central: CentralSystem, recorder: Recorder, cp16: OcppClient
) -> None:
    """Accepted with our interval and the time; who the charge point is is kept and told."""
    recorder.changes.clear()
    result = await cp16.result(
        "BootNotification",
        {
            "chargePointVendor": "Acme",
            "chargePointModel": "Wallbox",
            "chargeBoxSerialNumber": "SN-1",
            "firmwareVersion": "1.2.3",
        },
    )
    assert result["status"] == "Accepted"
    assert result["interval"] == 30
    assert abs(parse_timestamp(result["currentTime"]) - time.time()) < 5  # type: ignore[operator]
    state = central.states["CP1"]
    assert state.booted
    assert (state.info.vendor, state.info.model) == ("Acme", "Wallbox")
    assert (state.info.serial_number, state.info.firmware_version) == ("SN-1", "1.2.3")
    assert recorder.changes == [("CP1", None)]


async def test_heartbeat(cp16: OcppClient, recorder: Recorder) -> None:
    """The time, and nothing to tell the site."""
    recorder.changes.clear()
    result = await cp16.result("Heartbeat", {})
    assert parse_timestamp(result["currentTime"]) is not None
    assert recorder.changes == []


async def test_status_notification(
    central: CentralSystem, recorder: Recorder, cp16: OcppClient
) -> None:
    """A connector's status and error code; NoError is none; connector 0 is not kept."""
    recorder.changes.clear()
    await cp16.result(
        "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Preparing"}
    )
    connector = central.states["CP1"].connectors[1]
    assert connector.status is ConnectorStatus.PREPARING
    assert connector.error_code is None
    assert connector.plugged
    await cp16.result(
        "StatusNotification", {"connectorId": 1, "errorCode": "GroundFailure", "status": "Faulted"}
    )
    assert connector.status is ConnectorStatus.FAULTED
    assert connector.error_code == "GroundFailure"
    await cp16.result(
        "StatusNotification", {"connectorId": 1, "errorCode": "GroundFailure", "status": "Faulted"}
    )
    await cp16.result(
        "StatusNotification", {"connectorId": 0, "errorCode": "NoError", "status": "Available"}
    )
    assert 0 not in central.states["CP1"].connectors
    assert recorder.changes == [("CP1", 1), ("CP1", 1)]  # the repeat changed nothing


@pytest.mark.parametrize(("tag", "status"), [("TAG1", "Accepted"), ("STRANGER", "Invalid")])
async def test_authorize(cp16: OcppClient, tag: str, status: str) -> None:
    """Our tags are Accepted, others Invalid."""
    result = await cp16.result("Authorize", {"idTag": tag})
    assert result == {"idTagInfo": {"status": status}}


async def test_start_transaction(
    central: CentralSystem, recorder: Recorder, cp16: OcppClient
) -> None:
    """The transaction gets an id from the clock rule; meterStart becomes the register."""
    recorder.changes.clear()
    before = int(time.time()) - ID_EPOCH
    result = await cp16.result(
        "StartTransaction", {"connectorId": 1, "idTag": "TAG1", "meterStart": 1000, "timestamp": T0}
    )
    assert result["idTagInfo"] == {"status": "Accepted"}
    assert result["transactionId"] >= before
    assert central.last_transaction_id == result["transactionId"]
    connector = central.states["CP1"].connectors[1]
    assert connector.transaction == Transaction(
        id=str(result["transactionId"]),
        id_tag="TAG1",
        started_at=parse_timestamp(T0),  # type: ignore[arg-type]
        meter_start_wh=1000.0,
    )
    assert connector.energy_import_wh == 1000.0
    assert connector.plugged
    assert recorder.changes == [("CP1", 1)]


async def test_transaction_ids_unique_and_seeded(central: CentralSystem, cp16: OcppClient) -> None:
    """Ids grow from the seed the site gives; an Invalid tag still gets one."""
    central.last_transaction_id = 10**9
    result = await cp16.result(
        "StartTransaction",
        {"connectorId": 2, "idTag": "STRANGER", "meterStart": 0, "timestamp": T0},
    )
    assert result == {"transactionId": 10**9 + 1, "idTagInfo": {"status": "Invalid"}}
    assert await start(cp16, connector=1) == 10**9 + 2


async def test_start_transaction_resent(central: CentralSystem, cp16: OcppClient) -> None:
    """The same StartTransaction again (no answer seen, resent) gets the same id."""
    first = await start(cp16)
    assert await start(cp16) == first
    assert central.states["CP1"].connectors[1].transaction.id == str(first)  # type: ignore[union-attr]


async def test_start_while_running_ends_the_old_one(
    central: CentralSystem, cp16: OcppClient
) -> None:
    """A new transaction on a busy connector: the old one ends (Other) rather than vanishing."""
    first = await start(cp16, at=T0)
    second = await start(cp16, at=T1)
    connector = central.states["CP1"].connectors[1]
    assert connector.transaction.id == str(second)  # type: ignore[union-attr]
    ended = connector.take_ended()
    assert ended is not None
    assert ended.transaction.id == str(first)
    assert ended.reason is StopReason.OTHER


async def test_stop_transaction(
    central: CentralSystem, recorder: Recorder, cp16: OcppClient
) -> None:
    """TransactionData is applied, then the transaction ends with meterStop and the reason."""
    transaction_id = await start(cp16)
    recorder.changes.clear()
    result = await cp16.result(
        "StopTransaction",
        {
            "transactionId": transaction_id,
            "meterStop": 5000,
            "timestamp": T2,
            "reason": "EVDisconnected",
            "idTag": "TAG1",
            "transactionData": [sample(T1, energy("4.5", "kWh"))],
        },
    )
    assert result == {"idTagInfo": {"status": "Accepted"}}
    connector = central.states["CP1"].connectors[1]
    assert connector.transaction is None
    assert connector.energy_import_wh == 5000.0
    assert connector.sample_at == parse_timestamp(T2)
    ended = connector.take_ended()
    assert ended is not None
    assert ended.transaction.id == str(transaction_id)
    assert ended.transaction.meter_start_wh == 1000.0
    assert (ended.meter_stop_wh, ended.reason) == (5000.0, StopReason.EV_DISCONNECTED)
    assert ended.ended_at == parse_timestamp(T2)
    assert recorder.changes == [("CP1", 1)]
    assert connector.take_ended() is None


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        (None, StopReason.LOCAL),
        ("Local", StopReason.LOCAL),
        ("Remote", StopReason.REMOTE),
        ("PowerLoss", StopReason.OTHER),
    ],
)
async def test_stop_reasons(
    central: CentralSystem, cp16: OcppClient, reason: str | None, expected: StopReason
) -> None:
    """Reason absent means Local; reasons we do not distinguish are Other."""
    transaction_id = await start(cp16)
    payload: dict[str, object] = {
        "transactionId": transaction_id,
        "meterStop": 2000,
        "timestamp": T1,
    }
    if reason is not None:
        payload["reason"] = reason
    assert await cp16.result("StopTransaction", payload) == {}
    ended = central.states["CP1"].connectors[1].ended
    assert ended is not None
    assert ended.reason is expected


async def test_stop_of_unknown_transaction(central: CentralSystem, cp16: OcppClient) -> None:
    """A transaction we do not know (HA restarted) still ends, as the message describes it."""
    await cp16.result(
        "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Finishing"}
    )
    await cp16.result(
        "StopTransaction",
        {
            "transactionId": 4242,
            "meterStop": 9000,
            "timestamp": T2,
            "idTag": "TAG1",
            "transactionData": [sample(T0, energy("8000"))],
        },
    )
    ended = central.states["CP1"].connectors[1].ended
    assert ended is not None
    assert ended.transaction == Transaction(
        id="4242",
        id_tag="TAG1",
        started_at=parse_timestamp(T0),  # type: ignore[arg-type]
    )
    assert ended.meter_stop_wh == 9000.0


async def test_stop_replayed_is_ended_once(
    central: CentralSystem, recorder: Recorder, cp16: OcppClient
) -> None:
    """A StopTransaction sent again after a reconnect does not end the transaction twice."""
    transaction_id = await start(cp16)
    stop = {"transactionId": transaction_id, "meterStop": 3000, "timestamp": T1}
    await cp16.result("StopTransaction", stop)
    connector = central.states["CP1"].connectors[1]
    assert connector.take_ended() is not None
    recorder.changes.clear()
    await cp16.result("StopTransaction", stop)
    assert connector.take_ended() is None
    assert recorder.changes == []


async def test_stop_finds_its_connector(central: CentralSystem, cp16: OcppClient) -> None:
    """StopTransaction carries no connector: the transaction's own is found."""
    await start(cp16, connector=1, at=T0)
    second = await start(cp16, connector=2, at=T0)
    await cp16.result(
        "StopTransaction", {"transactionId": second, "meterStop": 1500, "timestamp": T1}
    )
    connectors = central.states["CP1"].connectors
    assert connectors[1].transaction is not None
    assert connectors[2].transaction is None
    assert connectors[2].ended is not None


async def test_meter_values(central: CentralSystem, recorder: Recorder, cp16: OcppClient) -> None:
    """All measurands we keep, in their units; phases combined."""
    transaction_id = await start(cp16)
    recorder.changes.clear()
    await cp16.result(
        "MeterValues",
        {
            "connectorId": 1,
            "transactionId": transaction_id,
            "meterValue": [
                sample(
                    T1,
                    energy("2.5", "kWh"),
                    {"value": "120", "measurand": "Energy.Active.Export.Register", "unit": "Wh"},
                    {"value": "15.5", "measurand": "Current.Import", "unit": "A", "phase": "L1"},
                    {"value": "16.1", "measurand": "Current.Import", "unit": "A", "phase": "L2"},
                    {"value": "14.0", "measurand": "Current.Import", "unit": "A", "phase": "L3"},
                    {"value": "11", "measurand": "Power.Active.Import", "unit": "kW"},
                    {"value": "231.5", "measurand": "Voltage", "unit": "V", "phase": "L1-N"},
                    {"value": "55", "measurand": "SoC", "unit": "Percent", "location": "EV"},
                    {"value": "30", "measurand": "Temperature", "unit": "Celsius"},
                )
            ],
        },
    )
    connector = central.states["CP1"].connectors[1]
    assert connector.energy_import_wh == 2500.0
    assert connector.energy_export_wh == 120.0
    assert connector.current_a == 16.1
    assert connector.power_w == 11000.0
    assert connector.voltage_v == 231.5
    assert connector.soc == 55.0
    assert connector.sample_at == parse_timestamp(T1)
    assert recorder.changes == [("CP1", 1)]


async def test_meter_values_replayed_change_nothing(
    central: CentralSystem, recorder: Recorder, cp16: OcppClient
) -> None:
    """Samples at or before the newest one applied are ignored (a resend after reconnect)."""
    payload = {"connectorId": 1, "meterValue": [sample(T2, energy("3000"))]}
    await cp16.result("MeterValues", payload)
    recorder.changes.clear()
    await cp16.result("MeterValues", payload)
    await cp16.result("MeterValues", {"connectorId": 1, "meterValue": [sample(T1, energy("2000"))]})
    assert central.states["CP1"].connectors[1].energy_import_wh == 3000.0
    assert recorder.changes == []


async def test_energy_backwards_in_transaction_is_ignored(
    central: CentralSystem, cp16: OcppClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Within one transaction the register cannot step back; the value is dropped and logged."""
    transaction_id = await start(cp16)
    meter = {"connectorId": 1, "transactionId": transaction_id}
    await cp16.result("MeterValues", {**meter, "meterValue": [sample(T1, energy("4000"))]})
    await cp16.result(
        "MeterValues",
        {
            **meter,
            "meterValue": [
                sample(
                    T2, energy("3500"), {"value": "7", "measurand": "Current.Import", "unit": "A"}
                )
            ],
        },
    )
    connector = central.states["CP1"].connectors[1]
    assert connector.energy_import_wh == 4000.0
    assert connector.current_a == 7.0  # the rest of the sample is applied
    assert "ignored Energy.Active.Import.Register 3500.0 Wh, below 4000.0 Wh" in caplog.text


async def test_energy_backwards_outside_transaction_is_taken(
    central: CentralSystem, cp16: OcppClient
) -> None:
    """Without a transaction a lower register (meter replaced) is taken as it is."""
    await cp16.result("MeterValues", {"connectorId": 1, "meterValue": [sample(T1, energy("4000"))]})
    await cp16.result("MeterValues", {"connectorId": 1, "meterValue": [sample(T2, energy("10"))]})
    assert central.states["CP1"].connectors[1].energy_import_wh == 10.0


async def test_meter_values_adopt_unknown_transaction(
    central: CentralSystem, cp16: OcppClient
) -> None:
    """A transaction id we do not know on an idle connector (HA restarted) is adopted."""
    await cp16.result(
        "MeterValues",
        {"connectorId": 1, "transactionId": 777, "meterValue": [sample(T1, energy("4000"))]},
    )
    transaction = central.states["CP1"].connectors[1].transaction
    assert transaction is not None
    assert (transaction.id, transaction.id_tag) == ("777", None)
    assert transaction.started_at == parse_timestamp(T1)


async def test_meter_values_connector_0_and_bad_values(
    central: CentralSystem, cp16: OcppClient, caplog: pytest.LogCaptureFixture
) -> None:
    """The main meter (connector 0) is not kept; bad values are dropped with a reason."""
    await cp16.result("MeterValues", {"connectorId": 0, "meterValue": [sample(T1, energy("1"))]})
    assert 0 not in central.states["CP1"].connectors
    await cp16.result(
        "MeterValues",
        {
            "connectorId": 1,
            "meterValue": [
                sample(T1, energy("NaN"), {"value": "3", "measurand": "Voltage", "unit": "V"}),
                {"timestamp": "yesterday", "sampledValue": [energy("5")]},
            ],
        },
    )
    connector = central.states["CP1"].connectors[1]
    assert connector.energy_import_wh is None
    assert connector.voltage_v == 3.0
    assert "is not a finite number" in caplog.text
    assert "invalid timestamp 'yesterday'" in caplog.text


async def test_bad_timestamp_uses_arrival_time(
    central: CentralSystem, cp16: OcppClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A transaction whose timestamp cannot be read starts now (logged)."""
    await start(cp16, at="not a time")
    transaction = central.states["CP1"].connectors[1].transaction
    assert transaction is not None
    assert abs(transaction.started_at - time.time()) < 5
    assert "StartTransaction with timestamp 'not a time'" in caplog.text


@pytest.mark.parametrize(
    ("action", "payload", "result"),
    [
        ("DataTransfer", {"vendorId": "com.acme"}, {"status": "UnknownVendorId"}),
        ("FirmwareStatusNotification", {"status": "Installed"}, {}),
        ("DiagnosticsStatusNotification", {"status": "Uploaded"}, {}),
    ],
)
async def test_acknowledged(
    cp16: OcppClient,
    recorder: Recorder,
    action: str,
    payload: dict[str, str],
    result: dict[str, str],
) -> None:
    """Messages we only acknowledge."""
    recorder.changes.clear()
    assert await cp16.result(action, payload) == result
    assert recorder.changes == []
