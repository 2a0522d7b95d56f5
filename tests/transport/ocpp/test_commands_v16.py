"""Commands to an OCPP 1.6J charge point; the test client answers them."""

from __future__ import annotations

import asyncio

import pytest

from custom_components.ev_v2g.transport.errors import StationRefusedError
from custom_components.ev_v2g.transport.ocpp import (
    CentralSystem,
    CommandRejectedError,
    CommandTimeoutError,
    NotConnectedError,
)
from custom_components.ev_v2g.transport.ocpp.model import ProfilePurpose, Transaction
from custom_components.ev_v2g.transport.ocpp.timefmt import parse_timestamp

from .client import VALID_TO, OcppClient, Recorder, answered
from .conftest import ConnectFactory

T0 = "2026-03-01T10:00:00Z"


async def start(client: OcppClient, connector: int = 1, tag: str = "TAG1") -> int:
    """The charge point starts a transaction."""
    result = await client.result(
        "StartTransaction",
        {"connectorId": connector, "idTag": tag, "meterStart": 0, "timestamp": T0},
    )
    transaction_id: int = result["transactionId"]
    return transaction_id


async def test_remote_start(central: CentralSystem, cp16: OcppClient) -> None:
    """RemoteStartTransaction; the transaction then reported is marked remote."""
    commands = central.charge_point("CP1")
    request, _ = await answered(
        commands.remote_start(1, "TAG1"), cp16, "RemoteStartTransaction", {"status": "Accepted"}
    )
    assert request == {"connectorId": 1, "idTag": "TAG1"}
    await start(cp16)
    transaction = central.states["CP1"].connectors[1].transaction
    assert transaction is not None
    assert transaction.remote


async def test_remote_start_rejected(central: CentralSystem, cp16: OcppClient) -> None:
    """Rejected: CommandRejectedError, and a later transaction is not taken as remote."""
    commands = central.charge_point("CP1")
    with pytest.raises(CommandRejectedError) as err:
        await answered(
            commands.remote_start(1, "TAG1"), cp16, "RemoteStartTransaction", {"status": "Rejected"}
        )
    assert (err.value.resource, err.value.code) == ("RemoteStartTransaction", "Rejected")
    assert isinstance(err.value, StationRefusedError)
    await start(cp16)
    assert not central.states["CP1"].connectors[1].transaction.remote  # type: ignore[union-attr]


async def test_remote_stop(central: CentralSystem, cp16: OcppClient) -> None:
    """RemoteStopTransaction with the connector's running transaction."""
    transaction_id = await start(cp16)
    request, _ = await answered(
        central.charge_point("CP1").remote_stop(1),
        cp16,
        "RemoteStopTransaction",
        {"status": "Accepted"},
    )
    assert request == {"transactionId": transaction_id}


async def test_remote_stop_without_transaction(central: CentralSystem, cp16: OcppClient) -> None:
    """No transaction (or one that is no 1.6 id): refused without asking the charge point."""
    commands = central.charge_point("CP1")
    with pytest.raises(CommandRejectedError) as err:
        await commands.remote_stop(1)
    assert err.value.code == "NoTransaction"
    central.states["CP1"].connector(1).transaction = Transaction(
        id="a-uuid", id_tag=None, started_at=0.0
    )
    with pytest.raises(CommandRejectedError, match=r"not a 1\.6 transaction id"):
        await commands.remote_stop(1)
    with pytest.raises(CommandRejectedError, match=r"not a 1\.6 transaction id"):
        await commands.set_limit(1, 10, ProfilePurpose.TX, valid_to=None)
    assert cp16.calls.empty()


async def test_set_limit_tx_default(
    central: CentralSystem, recorder: Recorder, cp16: OcppClient
) -> None:
    """A TxDefaultProfile of one period, validTo in UTC; the accepted limit is kept and told."""
    recorder.changes.clear()
    request, _ = await answered(
        central.charge_point("CP1").set_limit(
            1, 16.04, ProfilePurpose.TX_DEFAULT, valid_to=VALID_TO, phases=3
        ),
        cp16,
        "SetChargingProfile",
        {"status": "Accepted"},
    )
    profile = request["csChargingProfiles"]
    assert request["connectorId"] == 1
    assert profile["chargingProfilePurpose"] == "TxDefaultProfile"
    assert profile["chargingProfileKind"] == "Absolute"
    assert profile["stackLevel"] == 1
    assert parse_timestamp(profile["validTo"]) == VALID_TO
    assert profile["validTo"].endswith("Z")
    assert "transactionId" not in profile
    schedule = profile["chargingSchedule"]
    assert schedule["chargingRateUnit"] == "A"
    assert parse_timestamp(schedule["startSchedule"]) is not None
    assert schedule["chargingSchedulePeriod"] == [
        {"startPeriod": 0, "limit": 16.0, "numberPhases": 3}
    ]
    assert central.states["CP1"].connectors[1].limit_a == 16.04
    assert recorder.changes == [("CP1", 1)]


async def test_set_limit_purposes(central: CentralSystem, cp16: OcppClient) -> None:
    """ChargePointMaxProfile goes to connector 0; TxProfile names the transaction."""
    commands = central.charge_point("CP1")
    request, _ = await answered(
        commands.set_limit(2, 32, ProfilePurpose.CHARGE_POINT_MAX, valid_to=None),
        cp16,
        "SetChargingProfile",
        {"status": "Accepted"},
    )
    assert request["connectorId"] == 0
    assert "validTo" not in request["csChargingProfiles"]
    assert central.states["CP1"].connectors == {}
    with pytest.raises(CommandRejectedError) as err:
        await commands.set_limit(1, 10, ProfilePurpose.TX, valid_to=VALID_TO)
    assert (err.value.resource, err.value.code) == ("SetChargingProfile", "NoTransaction")
    transaction_id = await start(cp16)
    request, _ = await answered(
        commands.set_limit(1, 10, ProfilePurpose.TX, valid_to=VALID_TO, stack_level=2),
        cp16,
        "SetChargingProfile",
        {"status": "Accepted"},
    )
    profile = request["csChargingProfiles"]
    assert (profile["transactionId"], profile["stackLevel"]) == (transaction_id, 2)
    assert profile["chargingProfilePurpose"] == "TxProfile"


async def test_set_limit_rejected(central: CentralSystem, cp16: OcppClient) -> None:
    """A refused profile leaves the kept limit alone."""
    with pytest.raises(CommandRejectedError) as err:
        await answered(
            central.charge_point("CP1").set_limit(1, 8, ProfilePurpose.TX_DEFAULT, valid_to=None),
            cp16,
            "SetChargingProfile",
            {"status": "NotSupported"},
        )
    assert err.value.code == "NotSupported"
    assert central.states["CP1"].connector(1).limit_a is None


async def test_clear_limit(central: CentralSystem, recorder: Recorder, cp16: OcppClient) -> None:
    """ClearChargingProfile with the given criteria; Unknown counts as done; limits forgotten."""
    commands = central.charge_point("CP1")
    central.states["CP1"].connector(1).limit_a = 10.0
    central.states["CP1"].connector(2).limit_a = 12.0
    request, _ = await answered(
        commands.clear_limit(purpose=ProfilePurpose.CHARGE_POINT_MAX),
        cp16,
        "ClearChargingProfile",
        {"status": "Accepted"},
    )
    assert request == {"chargingProfilePurpose": "ChargePointMaxProfile"}
    assert central.states["CP1"].connectors[1].limit_a == 10.0
    recorder.changes.clear()
    request, _ = await answered(
        commands.clear_limit(2, ProfilePurpose.TX_DEFAULT, 1),
        cp16,
        "ClearChargingProfile",
        {"status": "Unknown"},
    )
    assert request == {
        "connectorId": 2,
        "chargingProfilePurpose": "TxDefaultProfile",
        "stackLevel": 1,
    }
    assert central.states["CP1"].connectors[2].limit_a is None
    assert central.states["CP1"].connectors[1].limit_a == 10.0
    assert recorder.changes == [("CP1", 2)]
    request, _ = await answered(
        commands.clear_limit(), cp16, "ClearChargingProfile", {"status": "Accepted"}
    )
    assert request == {}
    assert central.states["CP1"].connectors[1].limit_a is None


@pytest.mark.parametrize(("operative", "kind"), [(True, "Operative"), (False, "Inoperative")])
async def test_change_availability(
    central: CentralSystem, cp16: OcppClient, operative: bool, kind: str
) -> None:
    """ChangeAvailability; Scheduled counts as done."""
    request, _ = await answered(
        central.charge_point("CP1").change_availability(1, operative),
        cp16,
        "ChangeAvailability",
        {"status": "Scheduled"},
    )
    assert request == {"connectorId": 1, "type": kind}


@pytest.mark.parametrize(("hard", "kind"), [(True, "Hard"), (False, "Soft")])
async def test_reset(central: CentralSystem, cp16: OcppClient, hard: bool, kind: str) -> None:
    """Reset Hard or Soft."""
    request, _ = await answered(
        central.charge_point("CP1").reset(hard=hard), cp16, "Reset", {"status": "Accepted"}
    )
    assert request == {"type": kind}


async def test_trigger(central: CentralSystem, cp16: OcppClient) -> None:
    """TriggerMessage; an unknown message is a ValueError; NotImplemented is a refusal."""
    commands = central.charge_point("CP1")
    request, _ = await answered(
        commands.trigger("MeterValues", 1), cp16, "TriggerMessage", {"status": "Accepted"}
    )
    assert request == {"requestedMessage": "MeterValues", "connectorId": 1}
    with pytest.raises(ValueError, match="cannot trigger TransactionEvent"):
        await commands.trigger("TransactionEvent")
    with pytest.raises(CommandRejectedError) as err:
        await answered(
            commands.trigger("Heartbeat"), cp16, "TriggerMessage", {"status": "NotImplemented"}
        )
    assert err.value.code == "NotImplemented"


async def test_get_configuration(central: CentralSystem, cp16: OcppClient) -> None:
    """GetConfiguration: values by key; a key without value is empty; unknown keys left out."""
    commands = central.charge_point("CP1")
    answer = {
        "configurationKey": [
            {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
            {"key": "NoValue", "readonly": True},
        ],
        "unknownKey": ["Nope"],
    }
    request, values = await answered(
        commands.get_configuration(["HeartbeatInterval", "NoValue", "Nope"]),
        cp16,
        "GetConfiguration",
        answer,
    )
    assert request == {"key": ["HeartbeatInterval", "NoValue", "Nope"]}
    assert values == {"HeartbeatInterval": "300", "NoValue": ""}
    request, values = await answered(commands.get_configuration(), cp16, "GetConfiguration", {})
    assert (request, values) == ({}, {})


async def test_change_configuration(central: CentralSystem, cp16: OcppClient) -> None:
    """ChangeConfiguration; RebootRequired counts as done, Rejected does not."""
    commands = central.charge_point("CP1")
    request, _ = await answered(
        commands.change_configuration("MeterValueSampleInterval", "10"),
        cp16,
        "ChangeConfiguration",
        {"status": "RebootRequired"},
    )
    assert request == {"key": "MeterValueSampleInterval", "value": "10"}
    with pytest.raises(CommandRejectedError):
        await answered(
            commands.change_configuration("X", "1"),
            cp16,
            "ChangeConfiguration",
            {"status": "Rejected"},
        )


async def test_send_local_list(central: CentralSystem, cp16: OcppClient) -> None:
    """SendLocalList: a Full update, every tag Accepted."""
    request, _ = await answered(
        central.charge_point("CP1").send_local_list(["TAG1", "TAG2"], 7),
        cp16,
        "SendLocalList",
        {"status": "Accepted"},
    )
    assert request == {
        "listVersion": 7,
        "updateType": "Full",
        "localAuthorizationList": [
            {"idTag": "TAG1", "idTagInfo": {"status": "Accepted"}},
            {"idTag": "TAG2", "idTagInfo": {"status": "Accepted"}},
        ],
    }


@pytest.mark.parametrize("code", ["NotSupported", "SomethingElse"])
async def test_call_error_answer(central: CentralSystem, cp16: OcppClient, code: str) -> None:
    """A CALLERROR answer is a refusal with its code and text, even a code OCPP lacks."""
    task = asyncio.create_task(central.charge_point("CP1").reset())
    unique_id, action, _ = await cp16.next_call()
    assert action == "Reset"
    await cp16.answer_error(unique_id, code, "no resets here")
    with pytest.raises(CommandRejectedError) as err:
        await task
    assert (err.value.resource, err.value.code, err.value.diagnostic) == (
        "Reset",
        code,
        "no resets here",
    )


async def test_invalid_answer(central: CentralSystem, cp16: OcppClient) -> None:
    """An answer that breaks the schema is a refusal with code InvalidResponse."""
    with pytest.raises(CommandRejectedError) as err:
        await answered(central.charge_point("CP1").reset(), cp16, "Reset", {"status": "Maybe"})
    assert err.value.code == "InvalidResponse"


async def test_no_answer_times_out_and_releases(
    central: CentralSystem, connect: ConnectFactory
) -> None:
    """A charge point that never answers: CommandTimeoutError after call_timeout.

    The next command is sent at once, and a late answer to the first is ignored.
    """
    central.call_timeout = 0.2
    client = await connect("CP3")
    commands = central.charge_point("CP3")
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(CommandTimeoutError):
        await commands.reset()
    assert 0.15 < loop.time() - started < 1.0
    first_id, _, _ = await client.next_call()
    task = asyncio.create_task(commands.reset(hard=True))
    second_id, _, request = await client.next_call()
    assert request == {"type": "Hard"}
    await client.answer(first_id, {"status": "Rejected"})  # late: ignored
    await client.answer(second_id, {"status": "Accepted"})
    await task


async def test_commands_queue_behind_each_other(central: CentralSystem, cp16: OcppClient) -> None:
    """Two commands at once: one CALL at a time, both answered."""
    commands = central.charge_point("CP1")
    tasks = [asyncio.create_task(commands.reset()), asyncio.create_task(commands.reset(hard=True))]
    for _ in tasks:
        await cp16.respond("Reset", {"status": "Accepted"})
    await asyncio.gather(*tasks)


async def test_socket_closes_during_command(central: CentralSystem, cp16: OcppClient) -> None:
    """The charge point disconnecting while we wait: NotConnectedError at once."""
    commands = central.charge_point("CP1")
    task = asyncio.create_task(commands.reset())
    await cp16.next_call()
    loop = asyncio.get_running_loop()
    started = loop.time()
    await cp16.ws.close()
    with pytest.raises(NotConnectedError):
        await task
    assert loop.time() - started < 0.5
    with pytest.raises(NotConnectedError):
        await commands.reset()
    with pytest.raises(NotConnectedError):
        central.charge_point("CP1")


async def test_commands_of_a_replaced_connection(
    central: CentralSystem, cp16: OcppClient, connect: ConnectFactory
) -> None:
    """Commands taken before a reconnect fail; the new connection's commands work."""
    old = central.charge_point("CP1")
    client = await connect("CP1")
    with pytest.raises(NotConnectedError):
        await old.reset()
    await answered(central.charge_point("CP1").reset(), client, "Reset", {"status": "Accepted"})
