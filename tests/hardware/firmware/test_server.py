"""The firmware over real CoAP/UDP on loopback, as aiocoap and the integration see it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import itertools
import json
import socket
from typing import Any

from aiocoap.numbers.codes import Code
import pytest

from custom_components.ev_v2g.transport.coap import (
    CoapStationClient,
    StationRefusedError,
    create_context,
    probe_station,
)
from custom_components.ev_v2g.transport.observer import StationObserver
from custom_components.ev_v2g.transport.payloads import (
    REQUIRED_RESOURCE_TYPES,
    decode_regulator,
    decode_senml,
    decode_switch,
    decode_vehicle,
    resource_types,
)
from hardware.firmware.app import Firmware
from hardware.firmware.hal_sim import SimulatedHal
from tests.hardware.conftest import CoapClient

from .conftest import serving

DISCOVERY = (
    '</switch>;rt="ev_v2g.switch";obs,</regulator>;rt="ev_v2g.regulator";obs,'
    '</current>;rt="ev_v2g.current";obs;ct=110,</energy>;rt="ev_v2g.energy";obs;ct=110,'
    '</vehicle>;rt="ev_v2g.vehicle";obs;ct=50,</ct>;rt="ev_v2g.ct";ct=50'
)


async def test_discovery_lists_the_contract(client: CoapClient) -> None:
    """Link format with every rt the integration requires, filterable by rt and href."""
    response = await client.get("/.well-known/core")
    assert (response.code, response.opt.content_format) == (Code.CONTENT, 40)
    assert response.payload.decode() == DISCOVERY
    assert resource_types(response.payload.decode()) >= REQUIRED_RESOURCE_TYPES
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
    context = await create_context()
    try:
        station = CoapStationClient(context, "127.0.0.1", port, timeout=3)
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
        await context.shutdown()


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
    context = await create_context()
    found = asyncio.Event()
    lost: list[str] = []
    seen: dict[str, int] = {}

    def notified(resource: str, response: object) -> None:
        seen[resource] = seen.get(resource, 0) + 1

    client = CoapStationClient(context, "127.0.0.1", firmware.settings["port"], timeout=3)
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
        await context.shutdown()


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


async def eventually(predicate: Callable[[], bool], within_s: float) -> None:
    """Wait until `predicate()` holds, checking every 20 ms; fail after `within_s`."""
    for _ in range(int(within_s / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


class RawPeer:
    """A bare UDP socket speaking hand-made datagrams to the firmware (blocking, in a thread)."""

    def __init__(self, port: int) -> None:
        """Open a socket for talking to `port` on loopback."""
        self.port = port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(1.0)

    def _exchange(self, datagram: bytes) -> bytes:
        if datagram:
            self.sock.sendto(datagram, ("127.0.0.1", self.port))
        return self.sock.recvfrom(2048)[0]

    async def exchange(self, datagram: bytes) -> bytes:
        """Send a datagram (unless empty) and return the next datagram that comes back."""
        return await asyncio.to_thread(self._exchange, datagram)

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()


async def _raw_async(datagram: bytes, port: int) -> bytes:
    peer = RawPeer(port)
    try:
        return await peer.exchange(datagram)
    finally:
        peer.close()


async def test_ping_and_malformed_messages_get_reset(firmware: Firmware) -> None:
    """An empty CON is a ping (RST back); a broken CON is rejected with RST, same message id."""
    port = firmware.settings["port"]
    reply = await _raw_async(bytes([0x40, 0x00, 0x12, 0x34]), port)
    assert reply == bytes([0x70, 0x00, 0x12, 0x34])
    broken = bytes([0x40, 0x01, 0x00, 0x07, 0xFF])  # payload marker with no payload
    assert await _raw_async(broken, port) == bytes([0x70, 0x00, 0x00, 0x07])


async def test_duplicate_request_gets_the_same_answer_once_executed(
    firmware: Firmware, hal: SimulatedHal
) -> None:
    """A retransmitted CON PUT is answered from the cache, not executed twice."""
    port = firmware.settings["port"]
    # CON PUT /switch, mid 0x0101, token 0xAB, Uri-Path "switch", payload "on"
    request = bytes([0x41, 0x03, 0x01, 0x01, 0xAB, 0xB6]) + b"switch" + b"\xffon"
    peer = RawPeer(port)
    try:
        first = await peer.exchange(request)
        firmware.station.set_switch(False)
        second = await peer.exchange(request)
    finally:
        peer.close()
    assert first == second
    assert first[:2] == bytes([0x61, 0x44])  # ACK, 2.04 Changed
    assert not firmware.station.switch_on


async def test_unknown_critical_option_is_bad_option(firmware: Firmware) -> None:
    """A critical option the server does not know (here 2049) answers 4.02."""
    port = firmware.settings["port"]
    request = bytes([0x40, 0x01, 0x00, 0x09, 0xB6]) + b"switch" + bytes([0xE0, 0x06, 0xE9])
    reply = await _raw_async(request, port)
    assert reply[1] == 0x82


OBSERVE_CURRENT = bytes([0x42, 0x01, 0x02, 0x02, 0xC0, 0xDE, 0x60, 0x57]) + b"current"
"""CON GET /current with token C0DE and Observe: 0 (option 6, then Uri-Path as delta 5)."""


async def test_silent_observer_is_dropped_after_retransmissions(firmware: Firmware) -> None:
    """A client that never ACKs a notification loses its observation (RFC 7641 4.5)."""
    firmware.server.observers.ack_timeout_ms = 10
    peer = RawPeer(firmware.settings["port"])
    try:
        registered = await peer.exchange(OBSERVE_CURRENT)
        assert registered[:2] == bytes([0x62, 0x45])  # ACK, 2.05, token length 2
        first = await peer.exchange(b"")  # the next datagram: a CON notification
        assert first[0] >> 4 & 0x03 == 0  # confirmable
        assert len(firmware.server.observers.observations) == 1
        await eventually(lambda: not firmware.server.observers.observations, within_s=3)
        assert any("gave no ACK" in line for line in firmware.hal.logs)
    finally:
        peer.close()


async def test_reset_ends_an_observation(firmware: Firmware) -> None:
    """An RST to a notification forgets the observer at once."""
    peer = RawPeer(firmware.settings["port"])
    try:
        await peer.exchange(OBSERVE_CURRENT)
        notification = await peer.exchange(b"")
        reset = bytes([0x70, 0x00]) + notification[2:4]
        await asyncio.to_thread(peer.sock.sendto, reset, ("127.0.0.1", peer.port))
        await eventually(lambda: not firmware.server.observers.observations, within_s=1)
    finally:
        peer.close()
