"""Fixtures of the transport tests: a simulated station on loopback UDP and a client endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from custom_components.ev_v2g.transport.coap.client import CoapStationClient, create_endpoint
from custom_components.ev_v2g.transport.coap.endpoint import CoapEndpoint
from hardware.station_sim import SimulatedStation, StationServer, free_udp_port


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the package-wide fixture, which would start Home Assistant for every test."""


@pytest.fixture
async def sim_server(loopback: None, sim_station: SimulatedStation) -> AsyncIterator[StationServer]:
    """The quick simulated station (tests/conftest.py), served on 127.0.0.1 without Home Assistant."""
    server = StationServer(sim_station, host="127.0.0.1", port=free_udp_port())
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def endpoint(loopback: None) -> AsyncIterator[CoapEndpoint]:
    """A client endpoint as Home Assistant opens it."""
    opened = await create_endpoint()
    yield opened
    await opened.shutdown()


@pytest.fixture
def client(endpoint: CoapEndpoint, sim_server: StationServer) -> CoapStationClient:
    """A client of the simulated station with a short command timeout."""
    return CoapStationClient(endpoint, sim_server.host, sim_server.port, timeout=2.0)
