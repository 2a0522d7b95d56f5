"""Fixtures of the OCPP transport tests: a central system on loopback and test clients."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from custom_components.ev_v2g.transport.ocpp import CentralSystem
from custom_components.ev_v2g.transport.ocpp.passwords import hash_password

from .client import PASSWORD, OcppClient, Recorder

ConnectFactory = Callable[..., Awaitable[OcppClient]]


@pytest.fixture
def recorder() -> Recorder:
    """The central system's listener."""
    return Recorder()


@pytest.fixture
async def central(loopback: None, recorder: Recorder) -> AsyncIterator[CentralSystem]:
    """A central system on a free loopback port that knows CP1..CP3 and accepts tag TAG1."""
    system = CentralSystem(port=0, host="127.0.0.1", heartbeat_interval=30, call_timeout=1.0)
    system.listener = recorder
    system.password_hashes = {f"CP{number}": hash_password(PASSWORD) for number in (1, 2, 3)}
    system.accepted_tags = frozenset({"tag1", "04a2b3c4"})  # casefolded, as the site gives them
    await system.start()
    yield system
    await system.stop()


@pytest.fixture
async def connect(central: CentralSystem) -> AsyncIterator[ConnectFactory]:
    """Open test clients to the central system; they are closed after the test."""
    clients: list[OcppClient] = []

    async def factory(charge_point_id: str = "CP1", **kwargs: Any) -> OcppClient:
        client = await OcppClient.connect(central, charge_point_id, **kwargs)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.close()


@pytest.fixture
async def cp16(connect: ConnectFactory) -> OcppClient:
    """CP1 connected with OCPP 1.6."""
    return await connect("CP1", protocols=("ocpp1.6",))


@pytest.fixture
async def cp201(connect: ConnectFactory) -> OcppClient:
    """CP2 connected with OCPP 2.0.1."""
    return await connect("CP2", protocols=("ocpp2.0.1",))
