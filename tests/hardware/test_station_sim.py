"""The simulated station over real CoAP/UDP on loopback, as the integration will see it."""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import socket
import time
from typing import Any

from aiocoap.error import NetworkError
from aiocoap.numbers.codes import Code
import pytest

from hardware.station_sim import (
    SimulatedStation,
    StationServer,
    Vehicle,
    free_udp_port,
    run_stations,
)

from .coap_tools import DISCOVERY
from .conftest import CoapClient, coap_client, v2g_car


def senml_values(payload: bytes) -> dict[str, Any]:
    """Map SenML record names to values."""
    return {record["n"]: record["v"] for record in json.loads(payload)}


async def charge(client: CoapClient, setpoint_ma: int) -> None:
    """Set a setpoint and switch on."""
    assert (await client.put("/regulator", {"setpoint_ma": setpoint_ma})).code == Code.CHANGED
    assert (await client.put("/switch", {"value": True})).code == Code.CHANGED


async def test_discovery_lists_every_resource_type(client: CoapClient) -> None:
    """/.well-known/core lists the five resources with rt, obs and ct, as link format."""
    response = await client.get("/.well-known/core")
    assert response.code == Code.CONTENT
    assert response.opt.content_format == 40
    assert response.payload.decode() == DISCOVERY
    filtered = await client.get("/.well-known/core?rt=ev_v2g.current")
    assert filtered.payload.decode() == '</current>;rt="ev_v2g.current";obs;ct=110'
    assert (await client.get("/.well-known/core?rt=ev_v2g.*")).payload.decode() == DISCOVERY


async def test_switch_speaks_json_and_legacy_text(
    client: CoapClient, station: SimulatedStation
) -> None:
    """GET is JSON; PUT/POST take JSON or on/off/1/0 and answer 2.04 with the new state."""
    response = await client.get("/switch")
    assert (response.code, response.opt.content_format) == (Code.CONTENT, 50)
    assert json.loads(response.payload) == {"value": False}

    changed = await client.put("/switch", {"value": True})
    assert (changed.code, changed.opt.content_format) == (Code.CHANGED, 50)
    assert json.loads(changed.payload) == {"value": True}
    assert station.switch_on

    for word, expected in (("off", False), ("1", True), ("0", False), ("on", True)):
        changed = await client.put("/switch", word, content_format=0 if word in "01" else None)
        assert changed.code == Code.CHANGED
        assert json.loads(changed.payload) == {"value": expected}
    assert station.switch_on


@pytest.mark.parametrize(
    ("payload", "content_format", "code"),
    [
        ("maybe", None, Code.BAD_REQUEST),
        ({"value": "on"}, 50, Code.BAD_REQUEST),
        ("{not json", 50, Code.BAD_REQUEST),
        ("on", 60, Code.UNSUPPORTED_CONTENT_FORMAT),
    ],
)
async def test_switch_refuses_nonsense(
    client: CoapClient,
    station: SimulatedStation,
    payload: Any,
    content_format: int | None,
    code: Code,
) -> None:
    """Bad bodies get 4.00 with a diagnostic; other content formats 4.15."""
    response = await client.put("/switch", payload, content_format)
    assert response.code == code
    assert response.payload
    assert not station.switch_on


async def test_regulator_accepts_and_reports(client: CoapClient, station: SimulatedStation) -> None:
    """PUT (or POST) a setpoint: 2.04 with the same body a GET returns."""
    until = int(time.time()) + 3600
    changed = await client.put("/regulator", {"setpoint_ma": 16000, "until": until})
    assert (changed.code, changed.opt.content_format) == (Code.CHANGED, 50)
    expected = {
        "setpoint_ma": 16000,
        "until": until,
        "min_ma": 6000,
        "max_ma": 32000,
        "max_discharge_ma": 16000,
        "fallback_ma": 0,
    }
    assert json.loads(changed.payload) == expected
    assert await client.json("/regulator") == expected
    assert (station.setpoint_ma, station.until) == (16000, until)

    from aiocoap import POST, Message

    post = Message(code=POST, uri=client.base + "/regulator", payload=b'{"setpoint_ma": 0}')
    response = await client.context.request(post).response
    assert response.code == Code.CHANGED
    assert station.setpoint_ma == 0
    assert station.until is None


@pytest.mark.parametrize(
    ("payload", "content_format", "code"),
    [
        ({"setpoint_ma": 5000}, 50, Code.BAD_REQUEST),
        ({"setpoint_ma": 33000}, 50, Code.BAD_REQUEST),
        ({"setpoint_ma": -17000}, 50, Code.BAD_REQUEST),
        ({"setpoint_ma": 16000, "until": 1_000_000_000}, 50, Code.BAD_REQUEST),
        ("garbage", 50, Code.BAD_REQUEST),
        ({"until": 2_000_000_000}, 50, Code.BAD_REQUEST),
        ({"setpoint_ma": 16000}, 60, Code.UNSUPPORTED_CONTENT_FORMAT),
        ("16000", 0, Code.UNSUPPORTED_CONTENT_FORMAT),
    ],
)
async def test_regulator_validation(
    client: CoapClient,
    station: SimulatedStation,
    payload: Any,
    content_format: int | None,
    code: Code,
) -> None:
    """Out of range, past until and garbage are 4.00; other content formats 4.15."""
    station.plug(v2g_car())
    response = await client.put("/regulator", payload, content_format)
    assert response.code == code
    assert response.payload
    assert station.setpoint_ma == 0


async def test_discharge_is_forbidden_without_v2g(
    client: CoapClient, station: SimulatedStation
) -> None:
    """A non-V2G vehicle, or a station without discharge hardware, answers 4.03."""
    station.plug(Vehicle(soc=60, v2g=False))
    response = await client.put("/regulator", {"setpoint_ma": -8000})
    assert response.code == Code.FORBIDDEN
    assert b"vehicle" in response.payload

    station.plug(v2g_car())
    station.max_discharge_ma = 0
    assert (await client.json("/regulator"))["max_discharge_ma"] == 0
    response = await client.put("/regulator", {"setpoint_ma": -8000})
    assert response.code == Code.FORBIDDEN
    assert b"station" in response.payload


async def test_until_falls_back_by_itself_and_notifies(
    client: CoapClient, station: SimulatedStation
) -> None:
    """When until passes, the setpoint returns to fallback_ma and observers hear of it."""
    station.fallback_ma = 6000
    observer = await client.observe("/regulator")
    until = int(time.time()) + 1
    await client.put("/regulator", {"setpoint_ma": 16000, "until": until})
    await observer.wait_for(lambda body: body["setpoint_ma"] == 16000)
    fallen = await observer.wait_for(lambda body: body["until"] is None)
    assert fallen["setpoint_ma"] == 6000
    assert time.time() >= until


async def test_current_follows_the_regulator_with_a_ramp(
    client: CoapClient, station: SimulatedStation
) -> None:
    """The current climbs at the ramp rate to the setpoint; GETs carry Max-Age."""
    station.ramp_a_per_s = 40.0
    station.plug(v2g_car())
    observer = await client.observe("/current")
    await charge(client, 16000)
    await observer.wait_for(lambda body: body[0]["v"] == 16.0)
    currents = [body[0]["v"] for body in observer.payloads()]
    assert any(0 < current < 16 for current in currents), currents
    assert currents == sorted(currents)

    response = await client.get("/current")
    assert (response.code, response.opt.content_format) == (Code.CONTENT, 110)
    assert response.opt.max_age == 1
    records = json.loads(response.payload)
    assert records[0]["bn"] == "urn:dev:ev_v2g:sim-t:"
    assert records[0]["bt"] == pytest.approx(time.time(), abs=5)
    values = senml_values(response.payload)
    assert values["current"] == 16.0
    assert values["power"] == pytest.approx(16.0 * values["voltage"], abs=0.1)
    assert [record["u"] for record in records] == ["A", "V", "W"]


async def test_discharge_flows_with_a_v2g_vehicle(
    client: CoapClient, station: SimulatedStation
) -> None:
    """A negative setpoint makes current and power negative and feeds energy_export."""
    station.plug(v2g_car(soc=80))
    observer = await client.observe("/current")
    await charge(client, -10000)
    await observer.wait_for(lambda body: body[0]["v"] == -10.0)
    values = senml_values((await client.get("/current")).payload)
    assert values["power"] < -2000
    await asyncio.sleep(0.3)
    energy = senml_values((await client.get("/energy")).payload)
    assert energy["energy_export"] > 0
    assert energy["energy_import"] == 0


async def test_energy_only_increases_and_integrates_power(
    client: CoapClient, station: SimulatedStation
) -> None:
    """Counters grow by roughly power x time and never go down."""
    station.plug(v2g_car())
    await charge(client, 32000)
    await asyncio.sleep(0.2)
    readings = []
    started = time.monotonic()
    for _ in range(6):
        readings.append(senml_values((await client.get("/energy")).payload))
        await asyncio.sleep(0.1)
    elapsed = time.monotonic() - started
    imports = [reading["energy_import"] for reading in readings]
    assert imports == sorted(imports)
    assert imports[-1] > imports[0]
    expected_wh = 32 * 228.4 * elapsed / 3600
    assert imports[-1] - imports[0] == pytest.approx(expected_wh, rel=0.5)
    assert all(reading["energy_export"] == 0 for reading in readings)


async def test_soc_moves_and_vehicle_changes_notify(
    client: CoapClient, station: SimulatedStation
) -> None:
    """Charging raises the reported soc; plugging and unplugging notify /vehicle observers."""
    observer = await client.observe("/vehicle")
    assert json.loads(observer.first.payload) == {"plugged": False, "v2g": False}
    station.plug(Vehicle(capacity_kwh=0.05, soc=50, v2g=True))
    await observer.wait_for(lambda body: body == {"plugged": True, "soc": 50, "v2g": True})
    await charge(client, 32000)
    await observer.wait_for(lambda body: body.get("soc", 0) >= 53)
    station.unplug()
    await observer.wait_for(lambda body: body == {"plugged": False, "v2g": False})
    assert station.current_a == 0.0


async def test_meters_notify_with_max_age_at_least_every_half_max_age(
    client: CoapClient, station: SimulatedStation
) -> None:
    """Even when nothing changes, /current and /energy notify every max_age/2, with Max-Age."""
    current = await client.observe("/current")
    energy = await client.observe("/energy")
    assert current.first.opt.observe is not None
    assert current.first.opt.max_age == 1
    await asyncio.sleep(1.6)
    for observer in (current, energy):
        times = [at for at, _ in observer.received]
        assert len(times) >= 2
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        assert max(gaps, default=0) <= station.max_age / 2 + 0.15
        assert all(message.opt.max_age == 1 for _, message in observer.received)


async def test_unchanged_switch_stays_quiet(client: CoapClient, station: SimulatedStation) -> None:
    """/switch notifies on change only."""
    observer = await client.observe("/switch")
    await asyncio.sleep(0.6)
    assert observer.received == []
    station.set_switch(True)
    await observer.wait_for(lambda body: body == {"value": True})
    assert len(observer.received) == 1


async def test_freeze_goes_silent_and_resume_answers_again(
    server: StationServer, client: CoapClient, station: SimulatedStation
) -> None:
    """Frozen: no notifications, no answers, state kept. Resumed: answers on the same port."""
    station.plug(v2g_car())
    station.set_switch(True)
    observer = await client.observe("/current")
    await server.freeze()
    assert server.frozen
    count = len(observer.received)
    with pytest.raises(TimeoutError):
        await client.get("/switch", within_s=0.6)
    await asyncio.sleep(0.6)
    assert len(observer.received) == count

    await server.resume()
    assert (server.running, server.frozen) == (True, False)
    # A fresh client: aiocoap's first client keeps retransmitting the timed-out GET and (NSTART=1)
    # holds further requests to this station back until that exchange ends.
    async with coap_client(server.uri) as fresh:
        assert json.loads((await fresh.get("/switch")).payload) == {"value": True}
        renewed = await fresh.observe("/current")
        await asyncio.sleep(0.7)
        assert renewed.received
    assert len(observer.received) == count


async def test_freeze_can_refuse_instead_of_hanging(
    server: StationServer, client: CoapClient
) -> None:
    """freeze(refuse=True) releases the port: requests fail fast instead of timing out."""
    await server.freeze(refuse=True)
    with pytest.raises(NetworkError) as caught:
        await client.get("/switch", within_s=2.0)
    assert isinstance(caught.value.__cause__, ConnectionRefusedError)
    await server.resume()
    assert (await client.get("/switch")).code == Code.CONTENT


async def test_restart_resets_state_and_drops_observations(
    server: StationServer, client: CoapClient, station: SimulatedStation
) -> None:
    """A reboot zeroes the counters, switches off, returns to fallback and forgets observers."""
    station.fallback_ma = 6000
    station.plug(v2g_car())
    await charge(client, 32000)
    await asyncio.sleep(0.3)
    assert senml_values((await client.get("/energy")).payload)["energy_import"] > 0
    observer = await client.observe("/energy")

    await server.restart()
    count = len(observer.received)
    energy = senml_values((await client.get("/energy")).payload)
    assert energy == {"energy_import": 0.0, "energy_export": 0.0, "boot": 2}
    assert await client.json("/switch") == {"value": False}
    regulator = await client.json("/regulator")
    assert (regulator["setpoint_ma"], regulator["until"]) == (6000, None)
    await asyncio.sleep(0.7)
    assert len(observer.received) == count
    assert server.port == int(server.uri.rsplit(":", 1)[1])


@pytest.mark.parametrize(
    "fault",
    ["malformed_senml", "non_numeric", "nan_values", "energy_backwards", "unknown_content_format"],
)
async def test_fault_switches_spoil_the_next_answers(
    client: CoapClient, station: SimulatedStation, fault: str
) -> None:
    """Each fault reaches GETs and observers of the SenML resources at once."""
    station.energy_import_wh = 10.0
    observer = await client.observe("/energy")
    setattr(station.faults, fault, True)
    current, energy = await client.get("/current"), await client.get("/energy")
    await observer.wait_count(1)
    notified = observer.received[0][1]
    assert notified.payload == energy.payload

    if fault == "malformed_senml":
        for response in (current, energy):
            assert response.opt.content_format == 110
            with pytest.raises(ValueError, match=r"Expecting|Unterminated"):
                json.loads(response.payload)
    elif fault == "non_numeric":
        assert json.loads(current.payload)[0]["v"] == "abc"
        assert json.loads(energy.payload)[0]["v"] == "abc"
    elif fault == "nan_values":
        assert b"NaN" in current.payload
        assert b"Infinity" in current.payload
        assert not all(math.isfinite(value) for value in senml_values(energy.payload).values())
    elif fault == "energy_backwards":
        assert senml_values(energy.payload)["energy_import"] < 10.0
        assert station.energy_import_wh == 10.0
    else:
        assert current.opt.content_format == 0
        assert energy.opt.content_format == 0
        assert current.payload.startswith(b"current=")


async def test_missing_resources_answer_not_found(
    client: CoapClient, station: SimulatedStation
) -> None:
    """A missing resource answers 4.04, ends its observations and leaves discovery."""
    observer = await client.observe("/energy")
    station.faults.missing.add("energy")
    assert (await client.get("/energy")).code == Code.NOT_FOUND
    discovery = (await client.get("/.well-known/core")).payload.decode()
    assert "</energy>" not in discovery
    assert "</current>" in discovery
    await observer.wait_count(1)
    assert observer.received[-1][1].code == Code.NOT_FOUND
    station.faults.missing.clear()
    assert (await client.get("/energy")).code == Code.CONTENT
    assert (await client.get("/nothing-here")).code == Code.NOT_FOUND


async def test_ipv6_loopback(loopback_sockets: None) -> None:
    """A station on ::1 answers a client over IPv6."""
    station = SimulatedStation(station_id="sim-6", max_age=1, tick=0.05)
    async with StationServer(station, host="::1", port=free_udp_port("::1")) as server:
        assert server.uri.startswith("coap://[::1]:")
        async with coap_client(server.uri) as client:
            assert (await client.get("/.well-known/core")).payload.decode() == DISCOVERY
            assert (await client.put("/switch", "on")).code == Code.CHANGED
    assert station.switch_on


async def test_run_stations_serves_consecutive_ports(loopback_sockets: None) -> None:
    """run_stations brings up sim-1..sim-N on base_port.. and takes them down again."""
    base = free_udp_port()
    async with run_stations(count=3, base_port=base, host="127.0.0.1", max_age=1, tick=0.05) as s:
        assert [server.port for server in s] == [base, base + 1, base + 2]
        for index, server in enumerate(s, start=1):
            async with coap_client(server.uri) as client:
                records = json.loads((await client.get("/current")).payload)
                assert records[0]["bn"] == f"urn:dev:ev_v2g:sim-{index}:"
    assert not any(server.running for server in s)


async def test_stop_leaves_nothing_behind(loopback_sockets: None) -> None:
    """After stop(): no tasks, no armed timers, and the port is free again."""
    loop = asyncio.get_running_loop()
    tasks_before = asyncio.all_tasks()
    timers_before = set(getattr(loop, "_scheduled", ()))
    port = free_udp_port()
    station = SimulatedStation(max_age=1, tick=0.05)
    server = StationServer(station, port=port)
    await server.start()
    async with coap_client(server.uri) as client:
        await client.observe("/current")
        await client.put("/switch", "on")
        await client.get("/.well-known/core")
        await server.restart()
        await client.get("/energy")
        await server.freeze()
        await server.resume()
        await client.get("/energy")
    await server.stop()
    await asyncio.sleep(0)
    assert asyncio.all_tasks() - tasks_before == set()
    armed = [h for h in set(getattr(loop, "_scheduled", ())) - timers_before if not h.cancelled()]
    assert armed == []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", port))  # no SO_REUSEPORT: fails if anything still holds it
