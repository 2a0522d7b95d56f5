"""The CoAP client against the simulated station over real UDP on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import time
from typing import Any

import pytest

from custom_components.ev_v2g.transport.coap.client import (
    COMMAND_TIMEOUT,
    DEFAULT_PORT,
    CoapStationClient,
    NotAStationError,
    Response,
    base_uri,
    probe_station,
    to_response,
)
from custom_components.ev_v2g.transport.coap.endpoint import CoapEndpoint
from custom_components.ev_v2g.transport.coap.message import (
    Code,
    Message,
    MessageType,
    Option,
    uint_option,
)
from custom_components.ev_v2g.transport.coap.payloads import (
    CF_JSON,
    CF_SENML_JSON,
    CF_TEXT,
    STATION_PATHS,
    RegulatorState,
    decode_senml,
)
from custom_components.ev_v2g.transport.errors import StationRefusedError, StationUnreachableError
from hardware.station_sim import SimulatedStation, StationServer, Vehicle, free_udp_port

SIM_REGULATOR = RegulatorState(
    setpoint_a=0.0, until=None, min_a=6.0, max_a=32.0, max_discharge_a=16.0, fallback_a=0.0
)


@pytest.mark.parametrize(
    ("host", "port", "uri"),
    [
        ("127.0.0.1", 5683, "coap://127.0.0.1:5683"),
        ("192.168.1.20", 5684, "coap://192.168.1.20:5684"),
        ("::1", 5683, "coap://[::1]:5683"),
        ("fd00::1:2", 61616, "coap://[fd00::1:2]:61616"),
        ("::ffff:192.168.1.20", 5683, "coap://[::ffff:192.168.1.20]:5683"),
        ("station-1.local", 5683, "coap://station-1.local:5683"),
        ("garage", 1, "coap://garage:1"),
    ],
)
def test_base_uri(host: str, port: int, uri: str) -> None:
    """IPv6 literals go in brackets; IPv4 and names do not."""
    assert base_uri(host, port) == uri


def test_client_defaults() -> None:
    """The standard CoAP port and the command timeout, unless told otherwise."""
    client = CoapStationClient(object(), "::1")
    assert client.port == DEFAULT_PORT == 5683
    assert client.uri == "coap://[::1]:5683"
    assert client.timeout == COMMAND_TIMEOUT


def test_refused_error_text() -> None:
    """The message names the resource and the code, with the diagnostic when there is one."""
    with_text = StationRefusedError("regulator", "4.00", "setpoint out of range")
    assert str(with_text) == "regulator answered 4.00: setpoint out of range"
    assert (with_text.resource, with_text.code, with_text.diagnostic) == (
        "regulator",
        "4.00",
        "setpoint out of range",
    )
    assert str(StationRefusedError("energy", "4.04", "")) == "energy answered 4.04"


def test_to_response() -> None:
    """Successful messages keep payload, content format and Max-Age (60 s by default)."""
    message = Message(
        MessageType.ACK,
        Code.CONTENT,
        1,
        options=((Option.CONTENT_FORMAT, uint_option(CF_SENML_JSON)), (Option.MAX_AGE, b"\x0a")),
        payload=b"[]",
    )
    assert to_response(message, "current") == Response(
        payload=b"[]", content_format=CF_SENML_JSON, max_age=10
    )
    bare = to_response(Message(MessageType.ACK, Code.CHANGED, 2), "switch")
    assert bare == Response(payload=b"", content_format=None, max_age=60)


def test_to_response_refused() -> None:
    """An error code becomes StationRefusedError with the diagnostic, cut to 200 characters."""
    message = Message(MessageType.ACK, 131, 3, payload=b"\xffno" + b"!" * 300)
    with pytest.raises(StationRefusedError) as caught:
        to_response(message, "regulator")
    assert caught.value.code == "4.03"
    assert caught.value.resource == "regulator"
    assert caught.value.diagnostic.startswith("\ufffdno!")
    assert len(caught.value.diagnostic) == 200


# --- against the simulated station -------------------------------------------------------------


async def test_probe_station(sim_server: StationServer) -> None:
    """A station is found and its limits read."""
    assert await probe_station("127.0.0.1", sim_server.port, answer_within=2.0) == SIM_REGULATOR


async def test_probe_station_over_ipv6(loopback: None, sim_station: SimulatedStation) -> None:
    """The client endpoint speaks IPv6 too."""
    server = StationServer(sim_station, host="::1", port=free_udp_port("::1"))
    async with server:
        assert await probe_station("::1", server.port, answer_within=2.0) == SIM_REGULATOR


@pytest.mark.parametrize(
    ("missing", "lacking"),
    [
        ({"energy"}, ("/energy",)),
        ({"switch", "vehicle"}, ("/switch", "/vehicle")),
    ],
)
async def test_probe_station_lacking_resources(
    sim_server: StationServer, missing: set[str], lacking: tuple[str, ...]
) -> None:
    """Something that answers CoAP but lacks our resources is not a station; it says which."""
    sim_server.station.faults.missing = missing
    with pytest.raises(NotAStationError, match=f"lacks {', '.join(lacking)}$") as refused:
        await probe_station("127.0.0.1", sim_server.port, answer_within=2.0)
    assert refused.value.missing == lacking


async def test_probe_a_station_that_follows_only_the_contract(
    loopback: None, sim_station: SimulatedStation
) -> None:
    """No `rt` values, discharge said as `min_ma` < 0: a station, and one that discharges."""
    sim_station.rt_prefix = None
    sim_station.discharge_as_min_ma = True
    server = StationServer(sim_station, port=free_udp_port())
    async with server:
        regulator = await probe_station("127.0.0.1", server.port, answer_within=2.0)
    assert regulator.max_discharge_a == sim_station.max_discharge_ma / 1000
    assert regulator.min_a == 0.0


async def test_probe_station_without_discovery(sim_server: StationServer) -> None:
    """No /.well-known/core (4.04) is not a station either."""
    sim_server.station.faults.missing = {".well-known/core"}
    with pytest.raises(NotAStationError, match=r"4\.04"):
        await probe_station("127.0.0.1", sim_server.port, answer_within=2.0)


async def test_probe_frozen_station(sim_server: StationServer) -> None:
    """A station that swallows requests is unreachable, after the timeout and no later."""
    await sim_server.freeze()
    start = time.monotonic()
    with pytest.raises(StationUnreachableError, match="no answer"):
        await probe_station("127.0.0.1", sim_server.port, answer_within=1.0)
    assert 0.9 <= time.monotonic() - start < 2.0


async def test_probe_closed_port(sim_server: StationServer) -> None:
    """A port nobody listens on (ICMP port unreachable) fails fast as unreachable."""
    await sim_server.freeze(refuse=True)
    start = time.monotonic()
    with pytest.raises(StationUnreachableError):
        await probe_station("127.0.0.1", sim_server.port, answer_within=3.0)
    assert time.monotonic() - start < 3.5


async def test_resource_paths(client: CoapStationClient) -> None:
    """The simulator lists the contract's five paths, and its discovery resource."""
    assert await client.resource_paths() == set(STATION_PATHS)


async def test_get_current(client: CoapStationClient, sim_server: StationServer) -> None:
    """A plain GET of /current: SenML with the station's Max-Age."""
    response = await client.request("current")
    assert response.content_format == CF_SENML_JSON
    assert response.max_age == sim_server.station.max_age
    assert set(decode_senml(response.payload, response.content_format)) == {
        "current",
        "voltage",
        "power",
    }


async def test_get_missing_resource(client: CoapStationClient, sim_server: StationServer) -> None:
    """A 4.04 is a refusal, not an unreachable station."""
    sim_server.station.faults.missing = {"vehicle"}
    with pytest.raises(StationRefusedError) as caught:
        await client.request("vehicle")
    assert (caught.value.resource, caught.value.code) == ("vehicle", "4.04")


async def test_set_switch(client: CoapStationClient, sim_server: StationServer) -> None:
    """The relay follows and the station's answer is what we return."""
    assert await client.set_switch(True) is True
    assert sim_server.station.switch_on
    assert await client.set_switch(False) is False
    assert not sim_server.station.switch_on


async def test_set_setpoint(client: CoapStationClient, sim_server: StationServer) -> None:
    """The station takes the setpoint and its expiry and answers with its regulator."""
    until = int(time.time()) + 60
    state = await client.set_setpoint(10.0, until)
    assert state == RegulatorState(
        setpoint_a=10.0, until=until, min_a=6.0, max_a=32.0, max_discharge_a=16.0, fallback_a=0.0
    )
    assert (sim_server.station.setpoint_ma, sim_server.station.until) == (10000, until)
    assert await client.get_regulator() == state


async def test_set_discharge(client: CoapStationClient, sim_server: StationServer) -> None:
    """A negative setpoint is a discharge, accepted with a V2G car on a V2G station."""
    state = await client.set_setpoint(-12.5, None)
    assert state is not None
    assert state.setpoint_a == -12.5
    assert state.until is None
    assert sim_server.station.setpoint_ma == -12500


@pytest.mark.parametrize("setpoint_a", [3.0, 32.5, -17.0, -3.0])
async def test_setpoint_out_of_range(
    client: CoapStationClient, sim_server: StationServer, setpoint_a: float
) -> None:
    """4.00 with the station's reason; the previous setpoint stays."""
    with pytest.raises(StationRefusedError) as caught:
        await client.set_setpoint(setpoint_a, None)
    assert (caught.value.resource, caught.value.code) == ("regulator", "4.00")
    assert "within" in caught.value.diagnostic
    assert sim_server.station.setpoint_ma == 0


async def test_setpoint_expired(client: CoapStationClient) -> None:
    """An expiry in the past is refused as a bad request."""
    with pytest.raises(StationRefusedError, match=r"4\.00: until is not in the future"):
        await client.set_setpoint(10.0, int(time.time()) - 1)


async def test_discharge_with_a_car_that_cannot(
    client: CoapStationClient, sim_server: StationServer
) -> None:
    """4.03 when the plugged vehicle is not V2G-capable."""
    sim_server.station.plug(Vehicle(v2g=False))
    with pytest.raises(StationRefusedError) as caught:
        await client.set_setpoint(-10.0, None)
    assert (caught.value.resource, caught.value.code) == ("regulator", "4.03")
    assert caught.value.diagnostic == "the plugged vehicle cannot discharge"


@pytest.fixture
async def charge_only_server(loopback: None) -> AsyncIterator[StationServer]:
    """A station without discharge hardware."""
    station = SimulatedStation(station_id="sim-ac", max_discharge_ma=0, max_age=1, tick=0.05)
    async with StationServer(station, port=free_udp_port()) as server:
        yield server


async def test_discharge_on_a_station_that_cannot(
    endpoint: CoapEndpoint, charge_only_server: StationServer
) -> None:
    """4.03 when the station has no discharge hardware."""
    client = CoapStationClient(endpoint, "127.0.0.1", charge_only_server.port, timeout=2.0)
    with pytest.raises(StationRefusedError, match=r"4\.03: this station cannot discharge"):
        await client.set_setpoint(-10.0, None)
    assert (await client.get_regulator()).max_discharge_a == 0.0


async def test_command_to_a_frozen_station(
    endpoint: CoapEndpoint, sim_server: StationServer
) -> None:
    """A command gives up after the client's timeout."""
    client = CoapStationClient(endpoint, "127.0.0.1", sim_server.port, timeout=0.5)
    await sim_server.freeze()
    start = time.monotonic()
    with pytest.raises(StationUnreachableError, match="/switch: no answer"):
        await client.set_switch(True)
    assert time.monotonic() - start < 1.5
    await sim_server.resume()
    assert await client.set_switch(True) is True


# --- answers the simulator never gives ---------------------------------------------------------


def canned(client: CoapStationClient, monkeypatch: pytest.MonkeyPatch, answer: Response) -> None:
    """Make every request of `client` get `answer`."""

    async def request(*_args: object, **_kwargs: object) -> Response:
        return answer

    monkeypatch.setattr(client, "request", request)


@pytest.mark.parametrize(
    ("answer", "on"),
    [
        (Response(payload=b"", content_format=None, max_age=60), True),
        (Response(payload=b"sure", content_format=CF_TEXT, max_age=60), True),
        (Response(payload=b"off", content_format=CF_TEXT, max_age=60), False),
    ],
)
async def test_set_switch_odd_answers(
    monkeypatch: pytest.MonkeyPatch, answer: Response, on: bool
) -> None:
    """An empty or unreadable acknowledgement means the command was taken as sent."""
    client = CoapStationClient(object(), "127.0.0.1")
    canned(client, monkeypatch, answer)
    assert await client.set_switch(True) is on


async def test_set_setpoint_unreadable_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """A setpoint acknowledged without a readable regulator gives None."""
    client = CoapStationClient(object(), "127.0.0.1")
    canned(client, monkeypatch, Response(payload=b"", content_format=None, max_age=60))
    assert await client.set_setpoint(10.0, None) is None


async def test_get_regulator_unreadable(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unreadable /regulator on a read means this is not one of our stations."""
    client = CoapStationClient(object(), "127.0.0.1")
    canned(client, monkeypatch, Response(payload=b"{}", content_format=CF_JSON, max_age=60))
    with pytest.raises(NotAStationError, match="regulator: setpoint_ma is not a number"):
        await client.get_regulator()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_the_address_is_resolved_once(
    endpoint: CoapEndpoint,
    sim_server: StationServer,
    monkeypatch: pytest.MonkeyPatch,
    host: str,
) -> None:
    """Ten requests, one resolution: later ones go where the station last answered from."""
    loop = asyncio.get_running_loop()
    resolve = loop.getaddrinfo
    resolved: list[object] = []

    async def counting(*args: Any, **kwargs: Any) -> Any:
        resolved.append(args[0])
        return await resolve(*args, **kwargs)

    monkeypatch.setattr(loop, "getaddrinfo", counting)
    client = CoapStationClient(endpoint, host, sim_server.port, timeout=2.0)
    for _ in range(10):
        await client.get_regulator()
    assert len(resolved) == (host == "localhost")  # a literal is not looked up at all


async def test_a_station_that_went_silent_is_resolved_again(
    endpoint: CoapEndpoint, sim_server: StationServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No answer: the next request resolves the address anew, and reaches the station back."""
    client = CoapStationClient(endpoint, "127.0.0.1", sim_server.port, timeout=1.0)
    await client.get_regulator()
    await sim_server.freeze()
    with pytest.raises(StationUnreachableError):
        await client.get_regulator()
    assert client._remote is None
    await sim_server.resume()
    assert await client.get_regulator() == SIM_REGULATOR
