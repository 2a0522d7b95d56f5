"""The simulated OCPP charge point against a small central system on loopback, both versions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
import itertools
from pathlib import Path
import signal
import sys
from typing import Any

import aiohttp
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201
import pytest

from hardware.station_sim import (
    SimConnector,
    SimProfile,
    SimTransaction,
    SimulatedChargePoint,
    run_charge_points,
)
from hardware.station_sim.ocpp.fleet import read_passwords, status_line
from tests.common import eventually

from .ocpp_central import CentralSystem

VERSIONS = ["ocpp1.6", "ocpp2.0.1"]
PASSWORD = "s3cret-pass"
REPOSITORY = Path(__file__).resolve().parents[2]

type MakeCp = Callable[..., SimulatedChargePoint]


@pytest.fixture
async def central(loopback: None) -> AsyncIterator[CentralSystem]:
    """A central system on a free loopback port that knows cp-1 and cp-2."""
    system = CentralSystem(passwords={"cp-1": PASSWORD, "cp-2": PASSWORD})
    await system.start()
    yield system
    await system.stop()


@pytest.fixture
async def make_cp() -> AsyncIterator[MakeCp]:
    """Quick charge points (50 ms ticks, 0.2 s meters), stopped after the test."""
    made: list[SimulatedChargePoint] = []

    def make(version: str = "ocpp1.6", cp_id: str = "cp-1", **options: Any) -> SimulatedChargePoint:
        options.setdefault("password", PASSWORD)
        options.setdefault("tick", 0.05)
        options.setdefault("meter_interval", 0.2)
        cp = SimulatedChargePoint(cp_id, version=version, **options)
        made.append(cp)
        return cp

    yield make
    for cp in made:
        await cp.stop()


def v16(version: str) -> bool:
    """Whether the test runs OCPP 1.6."""
    return version == "ocpp1.6"


def ended(central: CentralSystem, version: str) -> list[dict[str, Any]]:
    """StopTransaction payloads, or 2.0.1 TransactionEvent Ended ones."""
    if v16(version):
        return central.calls("StopTransaction")
    return [p for p in central.calls("TransactionEvent") if p["eventType"] == "Ended"]


def started(central: CentralSystem, version: str) -> list[dict[str, Any]]:
    """StartTransaction payloads, or 2.0.1 TransactionEvent Started ones."""
    if v16(version):
        return central.calls("StartTransaction")
    return [p for p in central.calls("TransactionEvent") if p["eventType"] == "Started"]


def stop_reason(payload: dict[str, Any]) -> str:
    """The reason of a StopTransaction or an Ended event."""
    return str(payload.get("reason") or payload["transactionInfo"]["stoppedReason"])


def meter_samples(central: CentralSystem, version: str) -> list[dict[str, Any]]:
    """Every periodic meter value (MeterValues and TransactionEvent Updated) in arrival order."""
    samples = []
    for received in central.received:
        if received.action in ("MeterValues", "TransactionEvent"):
            samples.extend(
                {**value, "_payload": received.payload}
                for value in received.payload.get("meterValue", [])
                if value["sampledValue"][0].get("context") == "Sample.Periodic"
            )
    return samples


def reading(value: dict[str, Any], measurand: str) -> float:
    """A measurand's value in one meter value."""
    for sampled in value["sampledValue"]:
        if sampled.get("measurand") == measurand:
            return float(sampled["value"])
    raise KeyError(measurand)


def profile16(purpose: str, limit: float, **extra: Any) -> dict[str, Any]:
    """A 1.6 csChargingProfiles with one period."""
    schedule = {
        "chargingRateUnit": "A",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
    }
    return {
        "chargingProfileId": extra.pop("id", 1),
        "stackLevel": extra.pop("stack_level", 0),
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Absolute" if "validFrom" in extra else "Relative",
        "chargingSchedule": schedule,
        **extra,
    }


async def set_limit(
    central: CentralSystem, version: str, connector: int, purpose: str, limit: float, **extra: Any
) -> str:
    """Send SetChargingProfile in the test's version; return the status."""
    profile = profile16(purpose, limit, **extra)
    if v16(version):
        payload = call16.SetChargingProfile(connector_id=connector, cs_charging_profiles=profile)
    else:
        profile["id"] = profile.pop("chargingProfileId")
        profile["chargingProfilePurpose"] = purpose.replace("ChargePoint", "ChargingStation")
        profile["chargingSchedule"] = [{"id": 1, **profile["chargingSchedule"]}]
        payload = call201.SetChargingProfile(evse_id=connector, charging_profile=profile)
    result = await central.send("cp-1", payload)
    return str(result.status)


async def charging(cp: SimulatedChargePoint, connector: int = 1, **plug: Any) -> SimConnector:
    """Plug a car in and swipe the default card; the transaction runs."""
    await cp.plug(connector, **plug)
    assert await cp.swipe(connector)
    conn = cp.connectors[connector]
    await eventually(lambda: conn.transaction_id is not None)
    return conn


# -- boot, status, heartbeat, refusal --------------------------------------------------------


def test_every_current_drawn_is_logged_with_its_moment() -> None:
    """`drawn` lists each change of the current (and the first), in order, never a repeat."""
    conn = SimConnector(1, max_current_a=16.0)
    conn.plug(soc=50.0, capacity_kwh=60.0, max_current_a=32.0)
    conn.advance(1.0)
    conn.transaction = SimTransaction("CARD-1", datetime.now(UTC), 0.0)
    conn.advance(1.0)
    conn.advance(1.0)
    conn.unplug()
    assert [current for _, current in conn.drawn] == [0.0, 16.0, 0.0]
    moments = [at for at, _ in conn.drawn]
    assert moments == sorted(moments)


@pytest.mark.parametrize("version", VERSIONS)
async def test_boot_status_and_heartbeat(
    central: CentralSystem, make_cp: MakeCp, version: str
) -> None:
    """Boot, a status per connector, then heartbeats at the interval the boot answer gave."""
    central.heartbeat_interval = 1
    cp = make_cp(version, connectors=2, vendor="Acme", model="X1")
    await cp.connect(central.url)
    assert cp.connected
    assert cp.state.boot_status == "Accepted"
    assert cp.state.heartbeat_interval == 1
    boot = central.calls("BootNotification")[0]
    if v16(version):
        assert (boot["chargePointVendor"], boot["chargePointModel"]) == ("Acme", "X1")
        assert [s["connectorId"] for s in central.calls("StatusNotification")] == [1, 2]
        assert {s["status"] for s in central.calls("StatusNotification")} == {"Available"}
    else:
        assert boot["chargingStation"]["vendorName"] == "Acme"
        assert boot["reason"] == "PowerUp"
        assert [s["evseId"] for s in central.calls("StatusNotification")] == [1, 2]
        assert {s["connectorStatus"] for s in central.calls("StatusNotification")} == {"Available"}
    booted_at = asyncio.get_running_loop().time()
    await eventually(lambda: central.calls("Heartbeat"), within=2.0)
    heartbeat = next(r for r in central.received if r.action == "Heartbeat")
    assert 0.8 <= heartbeat.at - booted_at <= 1.6

    cp.state.send_heartbeats = False
    count = len(central.calls("Heartbeat"))
    await asyncio.sleep(1.3)
    assert len(central.calls("Heartbeat")) == count


async def test_wrong_password_is_refused(central: CentralSystem, make_cp: MakeCp) -> None:
    """A refusal surfaces as the handshake error with its HTTP status; nothing is sent."""
    cp = make_cp(password="wrong")
    with pytest.raises(aiohttp.WSServerHandshakeError) as refusal:
        await cp.connect(central.url)
    assert refusal.value.status == 401
    assert not cp.connected
    assert central.received == []


async def test_run_reconnects_and_stops(central: CentralSystem, make_cp: MakeCp) -> None:
    """run() comes back after the socket drops and returns once stop() is called."""
    cp = make_cp()
    runner = asyncio.create_task(cp.run(central.url, reconnect_delay=0.05))
    await eventually(lambda: cp.connected and central.connects == 1)
    await cp.disconnect()
    await eventually(lambda: cp.connected and len(central.calls("BootNotification")) == 2)
    assert central.connects == 2
    await cp.stop()
    async with asyncio.timeout(2):
        await runner
    assert not cp.connected


# -- transactions ----------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
async def test_remote_start_waits_for_the_car(
    central: CentralSystem, make_cp: MakeCp, version: str
) -> None:
    """A remote start before the car arrives begins the transaction when it is plugged in."""
    cp = make_cp(version)
    await cp.connect(central.url)
    if v16(version):
        request = call16.RemoteStartTransaction(id_tag="TAG-R", connector_id=1)
    else:
        token = {"idToken": "TAG-R", "type": "ISO14443"}
        request = call201.RequestStartTransaction(id_token=token, remote_start_id=7, evse_id=1)
    assert (await central.send("cp-1", request)).status == "Accepted"
    assert cp.state.received[-1][0] in ("RemoteStartTransaction", "RequestStartTransaction")
    await asyncio.sleep(0.2)
    assert started(central, version) == []

    await cp.plug(1, soc=40)
    start = (await eventually(lambda: started(central, version)))[0]
    conn = cp.connectors[1]
    if v16(version):
        assert (start["idTag"], start["connectorId"], start["meterStart"]) == ("TAG-R", 1, 0)
        assert conn.transaction_id == 1
    else:
        assert start["idToken"]["idToken"] == "TAG-R"
        assert start["transactionInfo"]["remoteStartId"] == 7
        assert start["triggerReason"] == "CablePluggedIn"
        assert start["transactionInfo"]["transactionId"] == conn.transaction_id
    assert conn.id_tag == "TAG-R"
    await eventually(lambda: conn.current_a == 32.0)

    cp.state.accept_remote_start = False
    assert (await central.send("cp-1", request)).status == "Rejected"


@pytest.mark.parametrize("version", VERSIONS)
async def test_remote_stop_and_unplug(
    central: CentralSystem, make_cp: MakeCp, version: str
) -> None:
    """RemoteStop ends the transaction (Remote); unplugging ends the next one (EVDisconnected)."""
    cp = make_cp(version)
    await cp.connect(central.url)
    conn = await charging(cp)
    tx_id = conn.transaction_id
    if v16(version):
        request: Any = call16.RemoteStopTransaction(transaction_id=tx_id)
    else:
        request = call201.RequestStopTransaction(transaction_id=tx_id)
    assert (await central.send("cp-1", request)).status == "Accepted"
    first = (await eventually(lambda: ended(central, version)))[0]
    assert stop_reason(first) == "Remote"
    assert conn.transaction is None
    assert conn.current_a == 0.0
    if v16(version):
        assert first["transactionId"] == tx_id
        await eventually(lambda: conn.status == "Finishing")
    assert (await central.send("cp-1", request)).status == "Rejected"

    assert await cp.swipe(1)
    await eventually(lambda: len(started(central, version)) == 2)
    await cp.unplug(1)
    second = (await eventually(lambda: ended(central, version)[1:]))[0]
    assert stop_reason(second) == "EVDisconnected"
    assert conn.status == "Available"
    statuses = central.calls("StatusNotification")
    last = statuses[-1].get("status") or statuses[-1]["connectorStatus"]
    assert last == "Available"


@pytest.mark.parametrize("version", VERSIONS)
async def test_invalid_card_does_not_start(
    central: CentralSystem, make_cp: MakeCp, version: str
) -> None:
    """An unknown card is not authorized; nothing starts; stop_local ends a running session."""
    central.invalid_tags.add("STOLEN")
    cp = make_cp(version)
    await cp.connect(central.url)
    await cp.plug(1)
    assert not await cp.swipe(1, "STOLEN")
    await asyncio.sleep(0.1)
    assert started(central, version) == []
    conn = await charging(cp)
    await cp.stop_local(1)
    assert stop_reason((await eventually(lambda: ended(central, version)))[0]) == "Local"
    assert conn.transaction is None


# -- profiles and physics ---------------------------------------------------------------------


def test_effective_limit_follows_the_profile_rules() -> None:
    """TxProfile over TxDefaultProfile, connector over connector 0, stack levels, cap, validTo."""
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    station: dict[tuple[str, int], SimProfile] = {}
    conn = SimConnector(1, max_current_a=32.0, clock=lambda: now, station_profiles=station)

    def profile(purpose: str, level: int, limit: float, **extra: Any) -> SimProfile:
        return SimProfile(
            id=level * 10 + int(limit),
            connector=1,
            purpose=purpose,
            stack_level=level,
            periods=[(0.0, limit, None)],
            received_at=now,
            **extra,
        )

    assert conn.limit_a == 32.0
    station["TxDefaultProfile", 0] = profile("TxDefaultProfile", 0, 16.0)
    assert conn.limit_a == 16.0
    conn.install(profile("TxDefaultProfile", 0, 20.0))
    assert conn.limit_a == 20.0
    conn.install(profile("TxDefaultProfile", 3, 12.0, valid_to=now + timedelta(seconds=60)))
    assert conn.limit_a == 12.0
    conn.install(profile("TxProfile", 1, 8.0))
    assert conn.limit_a == 12.0  # no transaction: a TxProfile does not apply
    conn.transaction = SimTransaction("CARD-1", now, 0.0, id=5)
    assert conn.limit_a == 8.0
    conn.install(profile("TxProfile", 2, 40.0, transaction_id=6))
    assert conn.limit_a == 8.0  # another transaction's profile
    station["ChargePointMaxProfile", 0] = profile("ChargePointMaxProfile", 0, 6.0)
    assert conn.limit_a == 6.0
    del station["ChargePointMaxProfile", 0]
    conn.transaction = None
    now += timedelta(seconds=61)
    assert conn.limit_a == 20.0  # the stack level 3 profile expired

    watts = SimProfile(
        id=99, connector=1, purpose="TxDefaultProfile", stack_level=9, unit="W",
        periods=[(0.0, 2300.0, None), (3600.0, 4600.0, None)], start=now, duration=7200.0,
    )  # fmt: skip
    conn.install(watts)
    assert conn.limit_a == pytest.approx(10.0)
    now += timedelta(hours=1, seconds=1)
    assert conn.limit_a == pytest.approx(20.0)
    now += timedelta(hours=1)
    assert conn.limit_a == 20.0  # past the schedule's duration: the level 0 profile again


def test_physics_energy_soc_and_full_car() -> None:
    """Current is min(limit, car); below 6 A nothing flows; energy and SoC integrate; full stops."""
    conn = SimConnector(1, max_current_a=16.0, voltage_v=230.0, phases=3)
    conn.plug(soc=50.0, capacity_kwh=11.04, max_current_a=32.0)
    conn.advance(10.0)
    assert conn.current_a == 0.0  # no transaction
    conn.transaction = SimTransaction("CARD-1", datetime.now(UTC), 0.0)
    conn.advance(3600.0)
    assert conn.current_a == 16.0
    assert conn.power_w == 16.0 * 230.0 * 3
    assert conn.energy_import_wh == pytest.approx(11040.0)
    assert conn.soc == 100.0
    assert conn.status_16() == "Charging"
    conn.advance(1.0)
    assert conn.current_a == 0.0
    assert conn.status_16() == "SuspendedEV"
    assert conn.status_201() == ("Occupied", "SuspendedEV")
    conn.unplug()
    conn.plug(soc=10.0, capacity_kwh=60.0, max_current_a=5.0)
    conn.advance(1.0)
    assert conn.current_a == 0.0
    assert conn.status_16() == "SuspendedEVSE"


@pytest.mark.parametrize("version", VERSIONS)
async def test_profiles_steer_the_current(
    central: CentralSystem, make_cp: MakeCp, version: str
) -> None:
    """SetChargingProfile over the wire: rules, the resulting current, and expiry by validTo."""
    cp = make_cp(version)
    await cp.connect(central.url)
    assert await set_limit(central, version, 1, "TxProfile", 10.0) == "Rejected"
    max_purpose = "ChargePointMaxProfile"
    assert await set_limit(central, version, 1, max_purpose, 10.0) == "Rejected"
    assert await set_limit(central, version, 0, "TxDefaultProfile", 16.0, id=2) == "Accepted"
    conn = await charging(cp)
    await eventually(lambda: conn.current_a == 16.0)

    valid_to = (datetime.now(UTC) + timedelta(seconds=0.6)).isoformat()
    status = await set_limit(central, version, 1, "TxProfile", 10.0, id=3, validTo=valid_to)
    assert status == "Accepted"
    await eventually(lambda: conn.current_a == 10.0)
    assert await set_limit(central, version, 0, max_purpose, 8.0, id=4) == "Accepted"
    await eventually(lambda: conn.current_a == 8.0)
    clear: Any = (
        call16.ClearChargingProfile(id=4)
        if v16(version)
        else call201.ClearChargingProfile(charging_profile_id=4)
    )
    assert (await central.send("cp-1", clear)).status == "Accepted"
    assert (await central.send("cp-1", clear)).status == "Unknown"
    await eventually(lambda: conn.current_a == 16.0)  # TxProfile expired by now
    assert await set_limit(central, version, 1, "TxProfile", 4.0, id=5) == "Accepted"
    await eventually(lambda: conn.current_a == 0.0)
    if v16(version):
        await eventually(lambda: conn.status == "SuspendedEVSE")
    else:
        await eventually(lambda: conn.charging_state == "SuspendedEVSE")
    cp.state.accept_profiles = False
    assert await set_limit(central, version, 1, "TxProfile", 20.0, id=6) == "Rejected"


@pytest.mark.parametrize("version", VERSIONS)
async def test_meter_values_rise_at_the_limit(
    central: CentralSystem, make_cp: MakeCp, version: str
) -> None:
    """Periodic meter values: UTC timestamps, the measurands, energy rising at the current."""
    cp = make_cp(version, max_current_a=16.0)
    await cp.connect(central.url)
    conn = await charging(cp, soc=30.0, capacity_kwh=1.0)
    first_energy = conn.energy_import_wh
    await eventually(lambda: len(meter_samples(central, version)) >= 5, within=4.0)
    samples = meter_samples(central, version)
    stamps = [datetime.fromisoformat(s["timestamp"]) for s in samples]
    assert all(s["timestamp"].endswith("Z") for s in samples)
    assert all(stamp.utcoffset() == timedelta(0) for stamp in stamps)
    assert stamps == sorted(stamps)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(stamps[1:])]
    assert all(0.15 <= gap <= 0.35 for gap in gaps), gaps
    last = samples[-1]
    assert reading(last, "Current.Import") == 16.0
    assert reading(last, "Power.Active.Import") == 16.0 * 230.0
    assert reading(last, "Voltage") == 230.0
    assert 30.0 < reading(last, "SoC") < 100.0
    energies = [reading(s, "Energy.Active.Import.Register") for s in samples]
    assert energies == sorted(energies)
    assert energies[-1] > first_energy
    if v16(version):
        assert last["_payload"]["transactionId"] == conn.transaction_id
    else:
        assert last["_payload"]["triggerReason"] == "MeterValuePeriodic"
        seq = [
            p["seqNo"]
            for p in central.calls("TransactionEvent")
            if p["transactionInfo"]["transactionId"] == conn.transaction_id
        ]
        assert seq == list(range(len(seq)))
    elapsed_h = 0.5 / 3600
    before = conn.energy_import_wh
    await asyncio.sleep(0.5)
    assert conn.energy_import_wh - before == pytest.approx(16 * 230 * elapsed_h, rel=0.3)


@pytest.mark.parametrize("version", VERSIONS)
async def test_full_car_stops_drawing(
    central: CentralSystem, make_cp: MakeCp, version: str
) -> None:
    """A car that fills up stops drawing; 1.6 reports SuspendedEV."""
    cp = make_cp(version)
    await cp.connect(central.url)
    conn = await charging(cp, soc=99.9, capacity_kwh=0.05)
    await eventually(lambda: conn.soc == 100.0 and conn.current_a == 0.0)
    if v16(version):
        await eventually(lambda: conn.status == "SuspendedEV")
        await eventually(lambda: central.calls("StatusNotification")[-1]["status"] == "SuspendedEV")
    else:
        await eventually(
            lambda: any(
                p["transactionInfo"].get("chargingState") == "SuspendedEV"
                for p in central.calls("TransactionEvent")
            )
        )


# -- connection loss --------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
async def test_reconnect_resumes_transaction_and_sends_the_queue(
    central: CentralSystem, make_cp: MakeCp, version: str
) -> None:
    """Offline: charging goes on, transaction messages queue up; back online they arrive in order."""
    cp = make_cp(version)
    await cp.connect(central.url)
    conn = await charging(cp)
    tx_id = conn.transaction_id
    await cp.disconnect()
    assert not cp.connected
    energy_at_drop = conn.energy_import_wh
    dropped_at = datetime.now(UTC)
    count_at_drop = len(central.received)
    await asyncio.sleep(0.5)
    assert conn.energy_import_wh > energy_at_drop
    await cp.unplug(1)
    assert cp.queued >= 2  # meter values and the end of the transaction
    assert len(central.received) == count_at_drop

    await asyncio.sleep(0.1)
    back_at = datetime.now(UTC)
    await cp.connect(central.url)
    await eventually(lambda: ended(central, version))
    assert cp.queued == 0
    after = [r.action for r in central.received[count_at_drop:]]
    assert after[0] == "BootNotification"
    stop = ended(central, version)[0]
    assert stop_reason(stop) == "EVDisconnected"
    assert dropped_at < datetime.fromisoformat(stop["timestamp"]) < back_at
    offline_samples = [
        s
        for s in meter_samples(central, version)
        if dropped_at < datetime.fromisoformat(s["timestamp"]) < back_at
    ]
    assert offline_samples
    if v16(version):
        assert stop["transactionId"] == tx_id
        assert all(s["_payload"]["transactionId"] == tx_id for s in offline_samples)
        assert stop["meterStop"] == round(conn.energy_import_wh)
    else:
        assert stop["transactionInfo"]["transactionId"] == tx_id
        assert stop["offline"] is True
        assert all(s["_payload"].get("offline") is True for s in offline_samples)
    assert after.index("StatusNotification") > after.index(
        "StopTransaction" if v16(version) else "TransactionEvent"
    )


async def test_offline_start_from_local_list_is_deauthorized_later(
    central: CentralSystem, make_cp: MakeCp
) -> None:
    """1.6: a card in the local list starts offline; the late answer Invalid stops it (DeAuthorized)."""
    cp = make_cp()
    await cp.connect(central.url)
    local_list = call16.SendLocalList(
        list_version=3,
        update_type="Full",
        local_authorization_list=[{"idTag": "LOCAL-1", "idTagInfo": {"status": "Accepted"}}],
    )
    assert (await central.send("cp-1", local_list)).status == "Accepted"
    version = await central.send("cp-1", call16.GetLocalListVersion())
    assert version.list_version == 3
    central.invalid_tags.add("LOCAL-1")
    await cp.disconnect()
    await cp.plug(1)
    assert await cp.swipe(1, "LOCAL-1")
    assert not await cp.swipe(1, "NOT-LISTED")
    conn = cp.connectors[1]
    assert conn.transaction is not None
    assert conn.transaction_id is None  # the central system has not numbered it yet
    await asyncio.sleep(0.3)
    await cp.connect(central.url)
    stop = (await eventually(lambda: central.calls("StopTransaction")))[0]
    assert stop["reason"] == "DeAuthorized"
    assert stop["transactionId"] == 1  # the number the late StartTransaction answer gave
    assert conn.transaction is None


async def test_answer_calls_off_leaves_the_central_system_waiting(
    central: CentralSystem, make_cp: MakeCp
) -> None:
    """With answer_calls off a CALL is recorded but never answered."""
    cp = make_cp()
    await cp.connect(central.url)
    cp.state.answer_calls = False
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.4):
            await central.send("cp-1", call16.ClearCache())
    assert cp.state.received[-1] == ("ClearCache", {})
    cp.state.answer_calls = True
    assert (await central.send("cp-1", call16.ClearCache())).status == "Accepted"


# -- the other calls ----------------------------------------------------------------------------


async def test_v16_configuration_trigger_availability_and_more(
    central: CentralSystem, make_cp: MakeCp
) -> None:
    """1.6 GetConfiguration/ChangeConfiguration, TriggerMessage, ChangeAvailability, the rest."""
    cp = make_cp(connectors=2)
    await cp.connect(central.url)
    config = await central.send(
        "cp-1", call16.GetConfiguration(key=["HeartbeatInterval", "NumberOfConnectors", "Nope"])
    )
    values = {entry["key"]: entry["value"] for entry in config.configuration_key}
    assert values == {"HeartbeatInterval": "30", "NumberOfConnectors": "2"}
    assert config.unknown_key == ["Nope"]
    everything = await central.send("cp-1", call16.GetConfiguration())
    assert len(everything.configuration_key) > 10

    async def change(key: str, value: str) -> str:
        result = await central.send("cp-1", call16.ChangeConfiguration(key=key, value=value))
        return str(result.status)

    assert await change("MeterValueSampleInterval", "5") == "Accepted"
    assert cp.state.meter_interval == 5.0
    assert await change("MeterValueSampleInterval", "soon") == "Rejected"
    assert await change("NumberOfConnectors", "3") == "Rejected"
    assert await change("NoSuchKey", "1") == "NotSupported"
    assert await change("ConnectionTimeOut", "90") == "Accepted"

    before = len(central.calls("StatusNotification"))
    trigger = call16.TriggerMessage(requested_message="StatusNotification", connector_id=2)
    assert (await central.send("cp-1", trigger)).status == "Accepted"
    await eventually(lambda: len(central.calls("StatusNotification")) == before + 1)
    assert central.calls("StatusNotification")[-1]["connectorId"] == 2
    trigger = call16.TriggerMessage(requested_message="MeterValues", connector_id=1)
    assert (await central.send("cp-1", trigger)).status == "Accepted"
    await eventually(
        lambda: any(
            v["sampledValue"][0]["context"] == "Trigger"
            for p in central.calls("MeterValues")
            for v in p["meterValue"]
        )
    )
    trigger = call16.TriggerMessage(requested_message="DiagnosticsStatusNotification")
    assert (await central.send("cp-1", trigger)).status == "NotImplemented"

    conn = await charging(cp)
    inoperative = call16.ChangeAvailability(connector_id=0, type="Inoperative")
    assert (await central.send("cp-1", inoperative)).status == "Scheduled"
    await eventually(lambda: cp.connectors[2].status == "Unavailable")
    assert conn.status == "Charging"
    await cp.stop_local(1)
    await eventually(lambda: conn.status == "Unavailable")
    operative = call16.ChangeAvailability(connector_id=0, type="Operative")
    assert (await central.send("cp-1", operative)).status == "Accepted"
    await eventually(lambda: conn.status == "Finishing")

    unlock = await central.send("cp-1", call16.UnlockConnector(connector_id=1))
    assert unlock.status == "Unlocked"
    ours = await central.send("cp-1", call16.DataTransfer(vendor_id="ev_v2g", data="ping"))
    assert (ours.status, ours.data) == ("Accepted", "ping")
    theirs = await central.send("cp-1", call16.DataTransfer(vendor_id="other"))
    assert theirs.status == "UnknownVendorId"
    actions = [action for action, _ in cp.state.received]
    assert actions[:2] == ["GetConfiguration", "GetConfiguration"]


@pytest.mark.parametrize("version", VERSIONS)
async def test_reset_ends_transactions_and_boots_again(
    central: CentralSystem, make_cp: MakeCp, version: str
) -> None:
    """A reset ends the transaction, drops the connection and boots again."""
    cp = make_cp(version)
    await cp.connect(central.url)
    await charging(cp)
    request: Any = call16.Reset(type="Soft") if v16(version) else call201.Reset(type="Immediate")
    assert (await central.send("cp-1", request)).status == "Accepted"
    stop = (await eventually(lambda: ended(central, version)))[0]
    assert stop_reason(stop) == ("SoftReset" if v16(version) else "ImmediateReset")
    await eventually(lambda: len(central.calls("BootNotification")) == 2 and cp.connected)
    if not v16(version):
        assert central.calls("BootNotification")[1]["reason"] == "RemoteReset"


async def test_v201_variables_trigger_and_more(central: CentralSystem, make_cp: MakeCp) -> None:
    """2.0.1 GetVariables/SetVariables, TriggerMessage, ChangeAvailability, the rest."""
    cp = make_cp("ocpp2.0.1")
    await cp.connect(central.url)

    def variable(component: str, name: str, **extra: Any) -> dict[str, Any]:
        return {"component": {"name": component}, "variable": {"name": name}, **extra}

    got = await central.send(
        "cp-1",
        call201.GetVariables(
            get_variable_data=[
                variable("OCPPCommCtrlr", "HeartbeatInterval"),
                variable("OCPPCommCtrlr", "Nope"),
                variable("NoCtrlr", "Nope"),
            ]
        ),
    )
    statuses = [r["attribute_status"] for r in got.get_variable_result]
    assert statuses == ["Accepted", "UnknownVariable", "UnknownComponent"]
    assert got.get_variable_result[0]["attribute_value"] == "30"
    changed = await central.send(
        "cp-1",
        call201.SetVariables(
            set_variable_data=[
                variable("SampledDataCtrlr", "TxUpdatedInterval", attribute_value="7"),
                variable("SmartChargingCtrlr", "Enabled", attribute_value="false"),
            ]
        ),
    )
    assert [r["attribute_status"] for r in changed.set_variable_result] == ["Accepted", "Rejected"]
    assert cp.state.meter_interval == 7.0

    trigger = call201.TriggerMessage(requested_message="Heartbeat")
    assert (await central.send("cp-1", trigger)).status == "Accepted"
    await eventually(lambda: central.calls("Heartbeat"))
    trigger = call201.TriggerMessage(requested_message="MeterValues", evse={"id": 1})
    assert (await central.send("cp-1", trigger)).status == "Accepted"
    await eventually(lambda: central.calls("MeterValues"))
    off = call201.ChangeAvailability(operational_status="Inoperative", evse={"id": 1})
    assert (await central.send("cp-1", off)).status == "Accepted"
    await eventually(lambda: cp.connectors[1].status == "Unavailable")
    on = call201.ChangeAvailability(operational_status="Operative")
    assert (await central.send("cp-1", on)).status == "Accepted"
    await eventually(lambda: cp.connectors[1].status == "Available")

    local = call201.SendLocalList(
        version_number=2,
        update_type="Full",
        local_authorization_list=[
            {
                "idToken": {"idToken": "L1", "type": "ISO14443"},
                "idTokenInfo": {"status": "Accepted"},
            }
        ],
    )
    assert (await central.send("cp-1", local)).status == "Accepted"
    assert cp.state.local_list == {"L1": "Accepted"}
    assert (await central.send("cp-1", call201.GetLocalListVersion())).version_number == 2
    unlock = await central.send("cp-1", call201.UnlockConnector(evse_id=1, connector_id=1))
    assert unlock.status == "Unlocked"
    assert (await central.send("cp-1", call201.ClearCache())).status == "Accepted"


async def test_send_raw_reaches_the_central_system(central: CentralSystem, make_cp: MakeCp) -> None:
    """Any frame goes out as it is, and the connection survives a malformed one."""
    cp = make_cp()
    await cp.connect(central.url)
    await cp.send_raw('[2,"x1","Heartbeat",{}]')
    await cp.send_raw("not json")
    await eventually(lambda: ("cp-1", "not json") in central.raw)
    await cp.meter_now(1)
    await eventually(lambda: central.calls("MeterValues"))
    assert cp.connected


# -- fleet and command line --------------------------------------------------------------------


async def test_fleet_shares_a_session_and_reports(central: CentralSystem) -> None:
    """run_charge_points brings a demo fleet up with per-id passwords and takes it down."""
    passwords = {"cp-1": PASSWORD, "cp-2": PASSWORD}
    async with run_charge_points(
        central.url, 2, id_prefix="cp-", passwords=passwords, demo=True, demo_delay=0.05,
        tick=0.05, meter_interval=0.2,
    ) as cps:  # fmt: skip
        await eventually(lambda: len(central.calls("BootNotification")) == 2)
        await eventually(lambda: central.calls("StartTransaction", "cp-1"))
        await eventually(lambda: cps[1].connectors[1].plugged)
        assert cps[1].connectors[1].transaction is None  # plugged, waiting for a remote start
        assert "Charging" in status_line(cps[0]) or "Preparing" in status_line(cps[0])
        assert "online" in status_line(cps[1])
    assert not any(cp.connected for cp in cps)


def test_password_file_formats(tmp_path: Path) -> None:
    """One shared password, or `<id> <password>` lines."""
    shared = tmp_path / "shared"
    shared.write_text("only-one\n")
    assert read_passwords(shared) == "only-one"
    per_id = tmp_path / "per-id"
    per_id.write_text("# id password\ncp-1 aaa\ncp-2 bbb\n")
    assert read_passwords(per_id) == {"cp-1": "aaa", "cp-2": "bbb"}


async def test_cli_runs_ocpp_charge_points(central: CentralSystem, tmp_path: Path) -> None:
    """`python -m hardware.station_sim ocpp ...` dials in, runs the demo, reports, stops."""
    central.passwords = {"ocpp-sim-1": PASSWORD, "ocpp-sim-2": PASSWORD}
    password_file = tmp_path / "passwords"
    password_file.write_text(PASSWORD + "\n")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hardware.station_sim", "ocpp", "--url", central.url,
        "--count", "2", "--version", "2.0.1", "--password-file", str(password_file),
        "--tick", "0.1", "--meter-interval", "0.5", "--status-every", "0.3", "--demo-delay", "0.1",
        cwd=REPOSITORY,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        async with asyncio.timeout(15):
            first = (await process.stdout.readline()).decode().split()
            assert first == ["ocpp-sim-1", f"{central.url}/ocpp-sim-1", "ocpp2.0.1"]
            await process.stdout.readline()
            await eventually(lambda: len(central.calls("BootNotification")) == 2, within=10)
            await eventually(lambda: started(central, "ocpp2.0.1"), within=10)
            status = (await process.stdout.readline()).decode()
            assert status.split()[0] == "ocpp-sim-1"
            process.send_signal(signal.SIGTERM)
            rest, err = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode()
    assert rest.decode().rstrip().endswith("stopped")
