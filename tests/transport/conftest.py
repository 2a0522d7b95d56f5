"""Fixtures of the transport tests: a simulated station on loopback UDP and a client context."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiocoap
import pytest

from custom_components.ev_v2g.transport.coap.client import CoapStationClient, create_context
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
async def context(loopback: None) -> AsyncIterator[aiocoap.Context]:
    """A client context as a site creates it."""
    client_context = await create_context()
    yield client_context
    await client_context.shutdown()


@pytest.fixture
def client(context: aiocoap.Context, sim_server: StationServer) -> CoapStationClient:
    """A client of the simulated station with a short command timeout."""
    return CoapStationClient(context, sim_server.host, sim_server.port, timeout=2.0)
