"""Interoperability: libcoap's coap-client (a C implementation) talks to the simulated station."""

from __future__ import annotations

import json

import pytest

from hardware.station_sim import SimulatedStation, StationServer, Vehicle

from .coap_tools import COAP_CLIENT, DISCOVERY, coap_client_run

pytestmark = pytest.mark.skipif(
    COAP_CLIENT is None,
    reason="libcoap's coap-client is not installed (apt-get install libcoap3-bin)",
)


async def test_libcoap_discovers_and_switches(
    server: StationServer, station: SimulatedStation
) -> None:
    """coap-client GETs /.well-known/core and switches on with legacy text."""
    out, _ = await coap_client_run("-m", "get", f"{server.uri}/.well-known/core")
    assert out.strip() == DISCOVERY

    out, _ = await coap_client_run("-m", "put", "-e", "on", f"{server.uri}/switch")
    assert json.loads(out) == {"value": True}
    assert station.switch_on


async def test_libcoap_sets_setpoints_and_sees_refusals(
    server: StationServer, station: SimulatedStation
) -> None:
    """JSON PUTs with content format 50 work; a forbidden discharge reports 4.03."""
    station.plug(Vehicle(soc=40, v2g=False))
    body = '{"setpoint_ma": 16000}'
    out, _ = await coap_client_run("-m", "put", "-t", "50", "-e", body, f"{server.uri}/regulator")
    assert json.loads(out)["setpoint_ma"] == 16000
    body = '{"setpoint_ma": -8000}'
    _, err = await coap_client_run("-m", "put", "-t", "50", "-e", body, f"{server.uri}/regulator")
    assert "4.03" in err
    assert station.setpoint_ma == 16000


async def test_libcoap_observes_current(server: StationServer) -> None:
    """coap-client -s subscribes to /current and gets heartbeat notifications (Max-Age 1 s)."""
    out, _ = await coap_client_run("-s", "2", "-m", "get", f"{server.uri}/current")
    notifications = out.count('"bn":')
    assert notifications >= 4, out
