"""The firmware over real CoAP/UDP on loopback, as aiocoap and the integration see it."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

from aiocoap.numbers.codes import Code
import pytest

from custom_components.ev_v2g.transport.coap.client import (
    CoapStationClient,
    StationRefusedError,
    create_endpoint,
    probe_station,
)
from custom_components.ev_v2g.transport.coap.observer import StationObserver
from custom_components.ev_v2g.transport.coap.payloads import (
    STATION_PATHS,
    decode_regulator,
    decode_senml,
    decode_switch,
    decode_vehicle,
    resource_paths,
)
from hardware.firmware.app import Firmware
from hardware.firmware.hal_sim import SimulatedHal
from tests.hardware.coap_tools import FIRMWARE_DISCOVERY
from tests.hardware.conftest import CoapClient

from .conftest import serving


async def test_discovery_lists_the_contract(client: CoapClient) -> None:
    """Link format with the contract's five paths (and our rt values), filterable by rt and href."""
    response = await client.get("/.well-known/core")
    assert (response.code, response.opt.content_format) == (Code.CONTENT, 40)
    assert response.payload.decode() == FIRMWARE_DISCOVERY
    assert resource_paths(response.payload.decode()) >= set(STATION_PATHS)
    only = await client.get("/.well-known/core?rt=ev_v2g.current")
    assert only.payload.decode() == '</current>;rt="ev_v2g.current";obs;ct=110'
    assert (
        (await client.get("/.well-known/core?href=/sw*")).payload.decode().startswith("</switch>")
    )


async def test_integration_probes_and_commands(firmware: Firmware, hal: SimulatedHal) -> None:
    """probe_station accepts the firmware; CoapStationClient switches and sets setpoints."""
    port = firmware.settings["port"]
    limits = await probe_station("127.0.0.1", port, answer_within=3)
    assert (limits.min_a, limits.max_a, limits.max_discharge_a) == (6.0, 32.0, 16.0)
    endpoint = await create_endpoint()
    try:
        station = CoapStationClient(endpoint, "127.0.0.1", port, timeout=3)
        regulator = await station.set_setpoint(16.0, None)
        assert regulator is not None
        assert regulator.setpoint_a == 16.0
        assert await station.set_switch(True) is True
        assert hal.relay
        with pytest.raises(StationRefusedError, match=r"4\.00"):
            await station.set_setpoint(40.0, None)
        assert await station.set_switch(False) is False
        assert not hal.relay
    finally:
        await endpoint.shutdown()


async def test_every_payload_passes_the_integrations_decoders(
    client: CoapClient, hal: SimulatedHal
) -> None:
    """GETs decode with transport.payloads, with the right content formats and Max-Age."""
    hal.load_a = 12.0
    await client.put("/regulator", {"setpoint_ma": 12000})
    await client.put("/switch", {"value": True})
    await asyncio.sleep(0.2)
    current = await client.get("/current")
    assert current.opt.max_age == 1
    values = decode_senml(current.payload, current.opt.content_format)
    assert values["current"] == pytest.approx(12.0, rel=0.01)
    assert values["power"] == pytest.approx(2760, rel=0.01)
    assert values["voltage"] == 230.0
    energy = await client.get("/energy")
    counters = decode_senml(energy.payload, energy.opt.content_format)
    assert counters["energy_import"] > 0
    assert counters["energy_export"] == 0
    switch = await client.get("/switch")
    assert decode_switch(switch.payload, switch.opt.content_format) is True
    regulator = await client.get("/regulator")
    assert decode_regulator(regulator.payload, regulator.opt.content_format).setpoint_a == 12.0
    vehicle = await client.get("/vehicle")
    state = decode_vehicle(vehicle.payload, vehicle.opt.content_format)
    assert (state.plugged, state.soc, state.v2g) == (True, None, True)
    sensor = await client.json("/ct")
    assert sensor["current_a"] == pytest.approx(12.0, rel=0.01)
    assert sensor["reading"] > 0
    assert sensor["lifetime_import_wh"] == 0  # whole Wh only, and less than one so far


async def test_switch_reads_json_and_legacy_text(client: CoapClient, hal: SimulatedHal) -> None:
    """JSON and on/off/1/0 work; nonsense is 4.00 and an unknown format 4.15."""
    await client.put("/regulator", {"setpoint_ma": 8000})
    for payload, expected in (("on", True), ("0", False), ("1", True), ("off", False)):
        answer = await client.put("/switch", payload)
        assert answer.code == Code.CHANGED
        assert json.loads(answer.payload)["value"] is expected
        assert hal.relay is expected
    assert (await client.put("/switch", "maybe")).code == Code.BAD_REQUEST
    assert (await client.put("/switch", {"value": "on"})).code == Code.BAD_REQUEST
    assert (await client.put("/switch", b"\xff", content_format=0)).code == Code.BAD_REQUEST
    assert (
        await client.put("/switch", "on", content_format=60)
    ).code == Code.UNSUPPORTED_CONTENT_FORMAT


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"setpoint_ma": 40000}, Code.BAD_REQUEST),
        ({"setpoint_ma": "16A"}, Code.BAD_REQUEST),
        ({"setpoint_ma": True}, Code.BAD_REQUEST),
        ({"setpoint_ma": 8000, "until": 1}, Code.BAD_REQUEST),
        ({"setpoint_ma": 8000, "until": "soon"}, Code.BAD_REQUEST),
        ("[1, 2]", Code.BAD_REQUEST),
        ("not json", Code.BAD_REQUEST),
    ],
)
async def test_regulator_refusals(client: CoapClient, payload: Any, code: Code) -> None:
    """Bad setpoints are refused with a diagnostic; the setpoint does not move."""
    answer = await client.put("/regulator", payload, content_format=50)
    assert answer.code == code
    assert answer.payload
    assert (await client.json("/regulator"))["setpoint_ma"] == 0


async def test_discharge_refused_without_hardware(
    loopback_sockets: None, settings: dict[str, Any], hal: SimulatedHal
) -> None:
    """max_discharge_ma 0: a negative setpoint is 4.03, as the contract says."""
    async with serving(hal, settings, max_discharge_ma=0) as (_, client):
        answer = await client.put("/regulator", {"setpoint_ma": -8000})
        assert answer.code == Code.FORBIDDEN
        assert b"cannot discharge" in answer.payload


async def test_not_found_and_method_not_allowed(client: CoapClient) -> None:
    """Unknown paths are 4.04; writing a meter is 4.05."""
    assert (await client.get("/nothing")).code == Code.NOT_FOUND
    assert (await client.put("/current", "1")).code == Code.METHOD_NOT_ALLOWED


async def test_only_controllers_may_write(
    loopback_sockets: None, settings: dict[str, Any], hal: SimulatedHal
) -> None:
    """With controllers set, a PUT from elsewhere is 4.03 while reads still work."""
    async with serving(hal, settings, controllers=["192.0.2.10"]) as (_, client):
        assert (await client.put("/switch", "on")).code == Code.FORBIDDEN
        assert (await client.get("/switch")).code == Code.CONTENT
        assert not hal.relay


async def test_current_is_observable_with_max_age_and_changes(
    client: CoapClient, hal: SimulatedHal
) -> None:
    """Heartbeats at least every Max-Age / 2, and a notification when the current moves."""
    observer = await client.observe("/current")
    assert observer.first.opt.observe is not None
    assert observer.first.opt.max_age == 1
    hal.load_a = 10.0
    await client.put("/regulator", {"setpoint_ma": 10000})
    await client.put("/switch", {"value": True})

    def ten_amperes(records: list[dict[str, Any]]) -> bool:
        return abs(records[0]["v"] - 10.0) < 0.1

    await observer.wait_for(ten_amperes, within_s=2)
    times = [arrival for arrival, _ in observer.received]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert max(gaps) < 0.8


async def test_switch_and_regulator_notify_on_change(client: CoapClient) -> None:
    """A PUT is followed by a notification to observers of the same resource."""
    observer = await client.observe("/regulator")
    await client.put("/regulator", {"setpoint_ma": 7000})
    document = await observer.wait_for(lambda d: d["setpoint_ma"] == 7000, within_s=2)
    assert document["max_ma"] == 32000


async def test_station_observer_of_the_integration_finds_the_station(
    firmware: Firmware,
) -> None:
    """StationObserver registers all five observations and keeps getting heartbeats."""
    endpoint = await create_endpoint()
    found = asyncio.Event()
    lost: list[str] = []
    seen: dict[str, int] = {}

    def notified(resource: str, response: object) -> None:
        seen[resource] = seen.get(resource, 0) + 1

    client = CoapStationClient(endpoint, "127.0.0.1", firmware.settings["port"], timeout=3)
    observer = StationObserver(client, notified, found.set, lost.append)
    observer.start()
    try:
        async with asyncio.timeout(3):
            await found.wait()
        await asyncio.sleep(0.7)
        assert set(seen) == {"current", "energy", "vehicle", "switch", "regulator"}
        assert seen["current"] >= 2
        assert not lost
        assert len(firmware.server.observers.observations) == 5
    finally:
        await observer.stop()
        await endpoint.shutdown()


async def test_acks_of_notifications_keep_the_watchdog_quiet(
    loopback_sockets: None, settings: dict[str, Any], hal: SimulatedHal
) -> None:
    """An observing Home Assistant keeps the relay closed; when it goes silent the relay opens."""
    async with serving(hal, settings, watchdog_s=0.7) as (firmware, client):
        await client.put("/regulator", {"setpoint_ma": 8000})
        await client.put("/switch", {"value": True})
        observer = await client.observe("/current")
        await asyncio.sleep(0.9)  # only ACKs to CON notifications are heard meanwhile
        assert hal.relay
        assert not firmware.station.watchdog_tripped
        await observer.stop()
        # aiocoap may ACK one more notification, then answers RST, which does not count.
        await asyncio.sleep(1.5)
        assert firmware.station.watchdog_tripped
        assert not hal.relay
        assert any("watchdog" in line for line in hal.logs)
