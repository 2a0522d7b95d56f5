"""Commands to an OCPP 2.0.1 charging station; the test client answers them."""

from __future__ import annotations

import pytest

from custom_components.ev_v2g.transport.ocpp import CentralSystem, CommandRejectedError
from custom_components.ev_v2g.transport.ocpp.commands_v201 import component_variable, id_token
from custom_components.ev_v2g.transport.ocpp.model import ProfilePurpose
from custom_components.ev_v2g.transport.ocpp.timefmt import parse_timestamp

from .client import VALID_TO, OcppClient, Recorder, answered

T0 = "2026-03-01T10:00:00Z"


async def started(client: OcppClient, transaction_id: str = "tx-1", **info: object) -> None:
    """The station reports a transaction on EVSE 1."""
    await client.result(
        "TransactionEvent",
        {
            "eventType": "Started",
            "timestamp": T0,
            "triggerReason": "Authorized",
            "seqNo": 0,
            "transactionInfo": {"transactionId": transaction_id, **info},
            "evse": {"id": 1, "connectorId": 1},
            "idToken": {"idToken": "TAG1", "type": "ISO14443"},
        },
    )


@pytest.mark.parametrize(
    ("tag", "kind"),
    [("TAG1", "Central"), ("04A2B3C4", "ISO14443"), ("04A2B3C4D5E6F7", "ISO14443")],
)
def test_id_token_type(tag: str, kind: str) -> None:
    """A card UID in hex is ISO14443, anything else Central."""
    assert id_token(tag) == {"id_token": tag, "type": kind}


@pytest.mark.parametrize("key", ["HeartbeatInterval", ".Variable", "Component."])
def test_keys_are_component_variable(key: str) -> None:
    """2.0.1 keys must be Component.Variable."""
    with pytest.raises(ValueError, match=r"Component\.Variable"):
        component_variable(key)


async def test_remote_start(central: CentralSystem, cp201: OcppClient) -> None:
    """RequestStartTransaction; the Started event with our remoteStartId is marked remote."""
    request, _ = await answered(
        central.charge_point("CP2").remote_start(1, "TAG1"),
        cp201,
        "RequestStartTransaction",
        {"status": "Accepted"},
    )
    assert request["idToken"] == {"idToken": "TAG1", "type": "Central"}
    assert request["evseId"] == 1
    assert isinstance(request["remoteStartId"], int)
    await started(cp201, remoteStartId=request["remoteStartId"])
    transaction = central.states["CP2"].connectors[1].transaction
    assert transaction is not None
    assert transaction.remote


async def test_remote_start_of_running_transaction(
    central: CentralSystem, recorder: Recorder, cp201: OcppClient
) -> None:
    """The station answers with the transaction that already runs: it becomes remote."""
    await started(cp201, "tx-5")
    recorder.changes.clear()
    await answered(
        central.charge_point("CP2").remote_start(1, "TAG1"),
        cp201,
        "RequestStartTransaction",
        {"status": "Accepted", "transactionId": "tx-5"},
    )
    assert central.states["CP2"].connectors[1].transaction.remote  # type: ignore[union-attr]
    assert recorder.changes == [("CP2", 1)]


async def test_remote_start_rejected(central: CentralSystem, cp201: OcppClient) -> None:
    """Rejected with a reason: the refusal carries it."""
    with pytest.raises(CommandRejectedError) as err:
        await answered(
            central.charge_point("CP2").remote_start(1, "TAG1"),
            cp201,
            "RequestStartTransaction",
            {
                "status": "Rejected",
                "statusInfo": {"reasonCode": "Occupied", "additionalInfo": "busy"},
            },
        )
    assert (err.value.resource, err.value.code, err.value.diagnostic) == (
        "RequestStartTransaction",
        "Rejected",
        "Occupied busy",
    )


async def test_remote_stop(central: CentralSystem, cp201: OcppClient) -> None:
    """RequestStopTransaction with the EVSE's transaction id."""
    await started(cp201)
    request, _ = await answered(
        central.charge_point("CP2").remote_stop(1),
        cp201,
        "RequestStopTransaction",
        {"status": "Accepted"},
    )
    assert request == {"transactionId": "tx-1"}


async def test_set_limit(central: CentralSystem, recorder: Recorder, cp201: OcppClient) -> None:
    """A TxProfile for the running transaction: one schedule, one period, in A."""
    await started(cp201)
    recorder.changes.clear()
    request, _ = await answered(
        central.charge_point("CP2").set_limit(
            1, 13.0, ProfilePurpose.TX, valid_to=VALID_TO, phases=1
        ),
        cp201,
        "SetChargingProfile",
        {"status": "Accepted"},
    )
    assert request["evseId"] == 1
    profile = request["chargingProfile"]
    assert profile["chargingProfilePurpose"] == "TxProfile"
    assert profile["transactionId"] == "tx-1"
    assert parse_timestamp(profile["validTo"]) == VALID_TO
    (schedule,) = profile["chargingSchedule"]
    assert schedule["chargingRateUnit"] == "A"
    assert schedule["id"] == profile["id"]
    assert schedule["chargingSchedulePeriod"] == [
        {"startPeriod": 0, "limit": 13.0, "numberPhases": 1}
    ]
    assert central.states["CP2"].connectors[1].limit_a == 13.0
    assert recorder.changes == [("CP2", 1)]


async def test_set_limit_station_max(central: CentralSystem, cp201: OcppClient) -> None:
    """The site ceiling is a ChargingStationMaxProfile on EVSE 0."""
    request, _ = await answered(
        central.charge_point("CP2").set_limit(
            1, 40, ProfilePurpose.CHARGE_POINT_MAX, valid_to=None
        ),
        cp201,
        "SetChargingProfile",
        {"status": "Accepted"},
    )
    assert request["evseId"] == 0
    assert request["chargingProfile"]["chargingProfilePurpose"] == "ChargingStationMaxProfile"


async def test_clear_limit(central: CentralSystem, cp201: OcppClient) -> None:
    """ClearChargingProfile with criteria, or none to clear all."""
    commands = central.charge_point("CP2")
    request, _ = await answered(
        commands.clear_limit(1, ProfilePurpose.TX_DEFAULT),
        cp201,
        "ClearChargingProfile",
        {"status": "Unknown"},
    )
    assert request == {
        "chargingProfileCriteria": {"evseId": 1, "chargingProfilePurpose": "TxDefaultProfile"}
    }
    request, _ = await answered(
        commands.clear_limit(), cp201, "ClearChargingProfile", {"status": "Accepted"}
    )
    assert request == {}


async def test_change_availability(central: CentralSystem, cp201: OcppClient) -> None:
    """ChangeAvailability of an EVSE, or of the whole station (no evse)."""
    commands = central.charge_point("CP2")
    request, _ = await answered(
        commands.change_availability(1, False), cp201, "ChangeAvailability", {"status": "Accepted"}
    )
    assert request == {"operationalStatus": "Inoperative", "evse": {"id": 1}}
    request, _ = await answered(
        commands.change_availability(0, True), cp201, "ChangeAvailability", {"status": "Scheduled"}
    )
    assert request == {"operationalStatus": "Operative"}


@pytest.mark.parametrize(("hard", "kind"), [(True, "Immediate"), (False, "OnIdle")])
async def test_reset(central: CentralSystem, cp201: OcppClient, hard: bool, kind: str) -> None:
    """Reset Immediate or OnIdle; Scheduled counts as done."""
    request, _ = await answered(
        central.charge_point("CP2").reset(hard), cp201, "Reset", {"status": "Scheduled"}
    )
    assert request == {"type": kind}


async def test_trigger(central: CentralSystem, cp201: OcppClient) -> None:
    """TriggerMessage with an EVSE or without; messages 2.0.1 lacks are a ValueError."""
    commands = central.charge_point("CP2")
    request, _ = await answered(
        commands.trigger("StatusNotification", 1), cp201, "TriggerMessage", {"status": "Accepted"}
    )
    assert request == {"requestedMessage": "StatusNotification", "evse": {"id": 1}}
    request, _ = await answered(
        commands.trigger("BootNotification"), cp201, "TriggerMessage", {"status": "Accepted"}
    )
    assert request == {"requestedMessage": "BootNotification"}
    with pytest.raises(ValueError, match="cannot trigger DiagnosticsStatusNotification"):
        await commands.trigger("DiagnosticsStatusNotification")


async def test_get_configuration(central: CentralSystem, cp201: OcppClient) -> None:
    """GetVariables by Component.Variable; only Accepted results come back."""
    commands = central.charge_point("CP2")
    answer = {
        "getVariableResult": [
            {
                "attributeStatus": "Accepted",
                "attributeValue": "60",
                "component": {"name": "OCPPCommCtrlr"},
                "variable": {"name": "HeartbeatInterval"},
            },
            {
                "attributeStatus": "UnknownVariable",
                "component": {"name": "X"},
                "variable": {"name": "Y"},
            },
        ]
    }
    request, values = await answered(
        commands.get_configuration(["OCPPCommCtrlr.HeartbeatInterval", "X.Y"]),
        cp201,
        "GetVariables",
        answer,
    )
    assert request == {
        "getVariableData": [
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}},
            {"component": {"name": "X"}, "variable": {"name": "Y"}},
        ]
    }
    assert values == {"OCPPCommCtrlr.HeartbeatInterval": "60"}
    with pytest.raises(ValueError, match=r"needs the Component\.Variable keys"):
        await commands.get_configuration()


async def test_change_configuration(central: CentralSystem, cp201: OcppClient) -> None:
    """SetVariables; RebootRequired counts as done, Rejected is a refusal with its reason."""
    commands = central.charge_point("CP2")

    def result(status: str, **extra: object) -> dict[str, object]:
        return {
            "setVariableResult": [
                {
                    "attributeStatus": status,
                    "component": {"name": "SampledDataCtrlr"},
                    "variable": {"name": "TxUpdatedInterval"},
                    **extra,
                }
            ]
        }

    request, _ = await answered(
        commands.change_configuration("SampledDataCtrlr.TxUpdatedInterval", "10"),
        cp201,
        "SetVariables",
        result("RebootRequired"),
    )
    assert request == {
        "setVariableData": [
            {
                "attributeValue": "10",
                "component": {"name": "SampledDataCtrlr"},
                "variable": {"name": "TxUpdatedInterval"},
            }
        ]
    }
    with pytest.raises(CommandRejectedError) as err:
        await answered(
            commands.change_configuration("SampledDataCtrlr.TxUpdatedInterval", "-1"),
            cp201,
            "SetVariables",
            result("Rejected", attributeStatusInfo={"reasonCode": "OutOfRange"}),
        )
    assert (err.value.resource, err.value.code, err.value.diagnostic) == (
        "SetVariables",
        "Rejected",
        "OutOfRange",
    )


async def test_send_local_list(central: CentralSystem, cp201: OcppClient) -> None:
    """SendLocalList Full; an empty list clears (no list sent)."""
    commands = central.charge_point("CP2")
    request, _ = await answered(
        commands.send_local_list(["04A2B3C4"], 3), cp201, "SendLocalList", {"status": "Accepted"}
    )
    assert request == {
        "versionNumber": 3,
        "updateType": "Full",
        "localAuthorizationList": [
            {
                "idToken": {"idToken": "04A2B3C4", "type": "ISO14443"},
                "idTokenInfo": {"status": "Accepted"},
            }
        ],
    }
    request, _ = await answered(
        commands.send_local_list([], 4), cp201, "SendLocalList", {"status": "Accepted"}
    )
    assert request == {"versionNumber": 4, "updateType": "Full"}
