"""OCPP 2.0.1 messages from a charging station, and what they change."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.ev_v2g.transport.ocpp import CentralSystem
from custom_components.ev_v2g.transport.ocpp.model import ConnectorStatus, StopReason, Transaction
from custom_components.ev_v2g.transport.ocpp.timefmt import parse_timestamp

from .client import OcppClient, Recorder

T0 = "2026-03-01T10:00:00Z"
T1 = "2026-03-01T10:00:10Z"
T2 = "2026-03-01T10:00:20Z"
T3 = "2026-03-01T10:00:30Z"


def energy(timestamp: str, value: float, unit: str = "Wh", multiplier: int = 0) -> dict[str, Any]:
    """A 2.0.1 meterValue element with an energy register."""
    return {
        "timestamp": timestamp,
        "sampledValue": [
            {
                "value": value,
                "measurand": "Energy.Active.Import.Register",
                "unitOfMeasure": {"unit": unit, "multiplier": multiplier},
            }
        ],
    }


def event(
    event_type: str,
    timestamp: str,
    transaction_id: str = "tx-1",
    *,
    seq_no: int = 0,
    trigger: str = "Authorized",
    evse: int | None = 1,
    token: str | None = None,
    meter: list[dict[str, Any]] | None = None,
    **info: Any,
) -> dict[str, Any]:
    """A TransactionEvent request."""
    payload: dict[str, Any] = {
        "eventType": event_type,
        "timestamp": timestamp,
        "triggerReason": trigger,
        "seqNo": seq_no,
        "transactionInfo": {"transactionId": transaction_id, **info},
    }
    if evse is not None:
        payload["evse"] = {"id": evse, "connectorId": 1}
    if token is not None:
        payload["idToken"] = {"idToken": token, "type": "ISO14443"}
    if meter is not None:
        payload["meterValue"] = meter
    return payload


async def test_boot_notification(
    central: CentralSystem, recorder: Recorder, cp201: OcppClient
) -> None:
    """Accepted with our interval; the station's identity is kept."""
    recorder.changes.clear()
    result = await cp201.result(
        "BootNotification",
        {
            "reason": "PowerUp",
            "chargingStation": {
                "model": "Wallbox 2",
                "vendorName": "Acme",
                "serialNumber": "SN-2",
                "firmwareVersion": "2.0",
            },
        },
    )
    assert result["status"] == "Accepted"
    assert result["interval"] == 30
    info = central.states["CP2"].info
    assert (info.vendor, info.model, info.serial_number, info.firmware_version) == (
        "Acme",
        "Wallbox 2",
        "SN-2",
        "2.0",
    )
    assert central.states["CP2"].booted
    assert recorder.changes == [("CP2", None)]


async def test_heartbeat(cp201: OcppClient) -> None:
    """The time."""
    assert parse_timestamp((await cp201.result("Heartbeat", {}))["currentTime"]) is not None


@pytest.mark.parametrize(
    ("reported", "status"),
    [
        ("Available", ConnectorStatus.AVAILABLE),
        ("Occupied", ConnectorStatus.OCCUPIED),
        ("Reserved", ConnectorStatus.RESERVED),
        ("Unavailable", ConnectorStatus.UNAVAILABLE),
        ("Faulted", ConnectorStatus.FAULTED),
    ],
)
async def test_status_notification(
    central: CentralSystem, cp201: OcppClient, reported: str, status: ConnectorStatus
) -> None:
    """ConnectorStatus maps onto ConnectorStatus, per EVSE; EVSE 0 is not kept."""
    await cp201.result(
        "StatusNotification",
        {"timestamp": T0, "connectorStatus": reported, "evseId": 2, "connectorId": 1},
    )
    assert central.states["CP2"].connectors[2].status is status
    await cp201.result(
        "StatusNotification",
        {"timestamp": T0, "connectorStatus": reported, "evseId": 0, "connectorId": 0},
    )
    assert 0 not in central.states["CP2"].connectors


@pytest.mark.parametrize(("token", "status"), [("TAG1", "Accepted"), ("NOPE", "Invalid")])
async def test_authorize(cp201: OcppClient, token: str, status: str) -> None:
    """Our tokens are Accepted, others Invalid."""
    result = await cp201.result("Authorize", {"idToken": {"idToken": token, "type": "ISO14443"}})
    assert result == {"idTokenInfo": {"status": status}}


async def test_transaction_life(
    central: CentralSystem, recorder: Recorder, cp201: OcppClient
) -> None:
    """Started, Updated with meter values and charging state, Ended with the stop reason."""
    recorder.changes.clear()
    result = await cp201.result(
        "TransactionEvent",
        event(
            "Started", T0, token="TAG1", meter=[energy(T0, 1.5, "kWh")], chargingState="EVConnected"
        ),
    )
    assert result == {"idTokenInfo": {"status": "Accepted"}}
    connector = central.states["CP2"].connectors[1]
    assert connector.transaction == Transaction(
        id="tx-1",
        id_tag="TAG1",
        started_at=parse_timestamp(T0),  # type: ignore[arg-type]
        meter_start_wh=1500.0,
    )
    assert connector.status is ConnectorStatus.OCCUPIED
    assert recorder.changes == [("CP2", 1)]

    result = await cp201.result(
        "TransactionEvent",
        event(
            "Updated",
            T1,
            seq_no=1,
            trigger="MeterValuePeriodic",
            evse=None,
            meter=[energy(T1, 2500)],
            chargingState="Charging",
        ),
    )
    assert result == {}
    assert connector.energy_import_wh == 2500.0
    assert connector.status is ConnectorStatus.CHARGING
    await cp201.result(  # Occupied does not hide that it is charging
        "StatusNotification",
        {"timestamp": T1, "connectorStatus": "Occupied", "evseId": 1, "connectorId": 1},
    )
    assert connector.status is ConnectorStatus.CHARGING

    await cp201.result(
        "TransactionEvent",
        event(
            "Ended",
            T2,
            seq_no=2,
            trigger="EVCommunicationLost",
            meter=[energy(T2, 3, "kWh")],
            stoppedReason="EVDisconnected",
        ),
    )
    assert connector.transaction is None
    assert connector.status is ConnectorStatus.OCCUPIED
    ended = connector.take_ended()
    assert ended is not None
    assert ended.transaction.id == "tx-1"
    assert (ended.meter_stop_wh, ended.reason) == (3000.0, StopReason.EV_DISCONNECTED)
    assert ended.ended_at == parse_timestamp(T2)


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ("SuspendedEV", ConnectorStatus.SUSPENDED_EV),
        ("SuspendedEVSE", ConnectorStatus.SUSPENDED_EVSE),
    ],
)
async def test_charging_states(
    central: CentralSystem, cp201: OcppClient, state: str, status: ConnectorStatus
) -> None:
    """ChargingState refines the status; Idle takes a refined status back to Occupied."""
    await cp201.result("TransactionEvent", event("Started", T0, chargingState=state))
    connector = central.states["CP2"].connectors[1]
    assert connector.status is status
    await cp201.result("TransactionEvent", event("Updated", T1, chargingState="Idle"))
    assert connector.status is ConnectorStatus.OCCUPIED


async def test_charging_state_does_not_override_faulted(
    central: CentralSystem, cp201: OcppClient
) -> None:
    """A Faulted EVSE stays Faulted whatever a transaction says."""
    await cp201.result(
        "StatusNotification",
        {"timestamp": T0, "connectorStatus": "Faulted", "evseId": 1, "connectorId": 1},
    )
    await cp201.result("TransactionEvent", event("Started", T1, chargingState="Charging"))
    assert central.states["CP2"].connectors[1].status is ConnectorStatus.FAULTED


async def test_updated_unknown_transaction_is_adopted(
    central: CentralSystem, cp201: OcppClient
) -> None:
    """HA restarted mid-transaction: an Updated for an unknown id becomes the transaction."""
    await cp201.result(
        "TransactionEvent",
        event("Updated", T1, "tx-9", trigger="MeterValuePeriodic", meter=[energy(T1, 800)]),
    )
    transaction = central.states["CP2"].connectors[1].transaction
    assert transaction is not None
    assert (transaction.id, transaction.id_tag, transaction.started_at) == (
        "tx-9",
        None,
        parse_timestamp(T1),
    )
    await cp201.result("TransactionEvent", event("Updated", T2, "tx-9", token="TAG1"))
    assert transaction.id_tag == "TAG1"  # the token, when it comes, is kept


async def test_ended_unknown_transaction(central: CentralSystem, cp201: OcppClient) -> None:
    """An Ended we never saw start still ends, from what it says; a replay ends nothing."""
    payload = event(
        "Ended", T2, "tx-7", evse=2, token="TAG1", meter=[energy(T1, 500), energy(T2, 900)]
    )
    result = await cp201.result("TransactionEvent", payload)
    assert result == {"idTokenInfo": {"status": "Accepted"}}
    connector = central.states["CP2"].connectors[2]
    ended = connector.take_ended()
    assert ended is not None
    assert ended.transaction == Transaction(
        id="tx-7",
        id_tag="TAG1",
        started_at=parse_timestamp(T1),  # type: ignore[arg-type]
    )
    assert (ended.meter_stop_wh, ended.reason) == (900.0, StopReason.LOCAL)
    await cp201.result("TransactionEvent", payload)
    await cp201.result("TransactionEvent", event("Updated", T3, "tx-7", evse=2))
    assert connector.take_ended() is None
    assert connector.transaction is None


@pytest.mark.parametrize(
    ("reason", "expected"),
    [("Remote", StopReason.REMOTE), ("Local", StopReason.LOCAL), ("PowerLoss", StopReason.OTHER)],
)
async def test_stop_reasons(
    central: CentralSystem, cp201: OcppClient, reason: str, expected: StopReason
) -> None:
    """StoppedReason maps onto StopReason."""
    await cp201.result("TransactionEvent", event("Started", T0))
    await cp201.result("TransactionEvent", event("Ended", T1, stoppedReason=reason))
    ended = central.states["CP2"].connectors[1].ended
    assert ended is not None
    assert ended.reason is expected


async def test_meter_values(central: CentralSystem, cp201: OcppClient) -> None:
    """MeterValues per EVSE: numbers, multipliers, signed current and power; EVSE 0 dropped."""
    await cp201.result(
        "MeterValues",
        {
            "evseId": 1,
            "meterValue": [
                {
                    "timestamp": T1,
                    "sampledValue": [
                        {
                            "value": 12.5,
                            "measurand": "Energy.Active.Import.Register",
                            "unitOfMeasure": {"unit": "Wh", "multiplier": 3},
                        },
                        {
                            "value": 2,
                            "measurand": "Energy.Active.Export.Register",
                            "unitOfMeasure": {"unit": "kWh"},
                        },
                        {"value": 0, "measurand": "Current.Import", "phase": "L1"},
                        {"value": 10, "measurand": "Current.Export", "phase": "L1"},
                        {
                            "value": 3.5,
                            "measurand": "Power.Active.Export",
                            "unitOfMeasure": {"unit": "kW"},
                        },
                        {"value": 230, "measurand": "Voltage"},
                        {"value": 60, "measurand": "SoC", "location": "EV"},
                    ],
                }
            ],
        },
    )
    connector = central.states["CP2"].connectors[1]
    assert connector.energy_import_wh == 12500.0
    assert connector.energy_export_wh == 2000.0
    assert connector.current_a == -10.0
    assert connector.power_w == -3500.0
    assert (connector.voltage_v, connector.soc) == (230.0, 60.0)
    await cp201.result("MeterValues", {"evseId": 0, "meterValue": [energy(T2, 1)]})
    assert 0 not in central.states["CP2"].connectors


@pytest.mark.parametrize(
    ("action", "payload", "result"),
    [
        (
            "NotifyEvent",
            {
                "generatedAt": T0,
                "seqNo": 0,
                "eventData": [
                    {
                        "eventId": 1,
                        "timestamp": T0,
                        "trigger": "Alerting",
                        "actualValue": "x",
                        "eventNotificationType": "HardWiredNotification",
                        "component": {"name": "EVSE"},
                        "variable": {"name": "Problem"},
                    }
                ],
            },
            {},
        ),
        ("NotifyReport", {"requestId": 1, "generatedAt": T0, "seqNo": 0}, {}),
        ("FirmwareStatusNotification", {"status": "Installed"}, {}),
        ("LogStatusNotification", {"status": "Uploaded"}, {}),
        ("SecurityEventNotification", {"type": "StartupOfTheDevice", "timestamp": T0}, {}),
        ("DataTransfer", {"vendorId": "com.acme"}, {"status": "UnknownVendorId"}),
    ],
)
async def test_acknowledged(
    cp201: OcppClient,
    recorder: Recorder,
    action: str,
    payload: dict[str, Any],
    result: dict[str, Any],
) -> None:
    """Messages we only acknowledge."""
    recorder.changes.clear()
    assert await cp201.result(action, payload) == result
    assert recorder.changes == []
