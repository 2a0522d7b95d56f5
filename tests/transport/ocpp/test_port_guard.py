"""Strangers at the OCPP port: half-open storms, slow heads and password guessing are bounded.

Real sockets on loopback; a charge point connected before the storm must keep working.
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from custom_components.ev_v2g.transport.ocpp import CentralSystem
from custom_components.ev_v2g.transport.ocpp.login_throttle import LoginThrottle
from tests.common import eventually

from .client import PASSWORD, Recorder, http_get, upgrade_headers
from .conftest import ConnectFactory

BOOT_16 = {"chargePointVendor": "Acme", "chargePointModel": "Wallbox"}


async def _closed_by_server(reader: asyncio.StreamReader, within: float) -> bool:
    """Whether the server closes a connection (EOF or reset) within ``within`` seconds."""
    try:
        async with asyncio.timeout(within):
            while await reader.read(4096):
                pass
    except TimeoutError:
        return False
    except ConnectionError:
        return True
    return True


async def test_a_half_open_storm_is_capped_and_a_connected_charger_keeps_talking(
    central: CentralSystem, connect: ConnectFactory
) -> None:
    """Past the cap new connections are closed at accept; the rest when their head is late."""
    central.server.max_pending = 8
    central.server.header_timeout = 0.5
    charger = await connect("CP1")
    assert (await charger.call("BootNotification", BOOT_16))[2]["status"] == "Accepted"
    storm = [await asyncio.open_connection("127.0.0.1", central.port) for _ in range(40)]
    await eventually(lambda: central.server.refused == 32, what="32 refused at accept")
    assert central.server.pending <= 8
    # The charger already in is not counted and still gets answers during the storm.
    assert (await charger.call("Heartbeat", {}))[2]["currentTime"]
    closed = await asyncio.gather(*(_closed_by_server(reader, 3.0) for reader, _ in storm))
    assert all(closed)
    assert central.server.timed_out == 8
    assert central.server.pending == 0
    for _, writer in storm:
        writer.close()
    status, _, _ = await http_get(central, "/CP2", upgrade_headers())
    assert status == 401  # a newcomer after the storm is served again


async def _storm_from_another_host(
    central: CentralSystem, per_address: int, refused: int
) -> list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """30 half-open connections from 127.0.0.2 to a port with 16 places; `refused` at accept."""
    central.server.max_pending = 16
    central.server.max_pending_per_address = per_address
    storm = [
        await asyncio.open_connection("127.0.0.1", central.port, local_addr=("127.0.0.2", 0))
        for _ in range(30)
    ]
    await eventually(lambda: central.server.refused == refused, what=f"{refused} refused")
    return storm


async def test_a_storm_from_one_host_leaves_room_for_a_charger_elsewhere(
    central: CentralSystem, connect: ConnectFactory
) -> None:
    """One host may hold 4 of the 16 places: a charger from another address gets in at once."""
    storm = await _storm_from_another_host(central, per_address=4, refused=26)
    assert central.server.pending == 4
    charger = await connect("CP1")  # from 127.0.0.1, during the storm
    assert (await charger.call("BootNotification", BOOT_16))[2]["status"] == "Accepted"
    for _, writer in storm:
        writer.close()


async def test_a_storm_from_one_host_fills_every_place_without_the_per_address_cap(
    central: CentralSystem,
) -> None:
    """The same storm with no per-address bound takes all 16 places: a newcomer is refused."""
    storm = await _storm_from_another_host(central, per_address=16, refused=14)
    reader, writer = await asyncio.open_connection("127.0.0.1", central.port)
    assert await _closed_by_server(reader, 1.0)
    writer.close()
    for _, other in storm:
        other.close()


async def test_a_slow_request_head_is_cut_off(central: CentralSystem) -> None:
    """A head sent a byte at a time (slowloris) is closed at the header timeout."""
    central.server.header_timeout = 0.4
    reader, writer = await asyncio.open_connection("127.0.0.1", central.port)
    writer.write(b"GET /CP1 HTTP/1.1\r\nHost: x\r\n")

    async def drip() -> None:
        for _ in range(40):
            writer.write(b"X")
            await writer.drain()
            await asyncio.sleep(0.05)

    dripping = asyncio.create_task(drip())
    try:
        assert await _closed_by_server(reader, 1.5)
    finally:
        dripping.cancel()
        writer.close()
    assert central.server.timed_out == 1


async def test_password_guessing_is_slowed_then_locked_out(
    central: CentralSystem, recorder: Recorder
) -> None:
    """Hundreds of wrong passwords: ten are checked, then the address is locked out."""
    central.login_throttle = LoginThrottle(base_delay_s=0.01, max_delay_s=0.02, lockout_after=10)
    wrong = upgrade_headers(auth=aiohttp.BasicAuth("CP1", "guess").encode())
    statuses: dict[int, int] = {}
    for _ in range(300):
        status, _, _ = await http_get(central, "/CP1", wrong)
        statuses[status] = statuses.get(status, 0) + 1
        if status == 403:
            break
    assert statuses.get(401) == 10  # only ten guesses were ever checked
    assert statuses.get(403) == 1
    assert recorder.locked_out == [("CP1", "127.0.0.1")]
    right = upgrade_headers(auth=aiohttp.BasicAuth("CP1", PASSWORD).encode())
    assert (await http_get(central, "/CP1", right))[0] == 403  # locked out: not even checked
    central.unlock("127.0.0.1")
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(
            f"ws://127.0.0.1:{central.port}/CP1",
            protocols=("ocpp1.6",),
            auth=aiohttp.BasicAuth("CP1", PASSWORD),
        ) as ws,
    ):
        assert ws.protocol == "ocpp1.6"


async def test_an_early_retry_waits_and_says_how_long(central: CentralSystem) -> None:
    """A try before the address's wait is over is answered 429 with Retry-After, unchecked."""
    central.login_throttle = LoginThrottle(base_delay_s=5.0)
    wrong = upgrade_headers(auth=aiohttp.BasicAuth("CP1", "guess").encode())
    assert (await http_get(central, "/CP1", wrong))[0] == 401
    status, headers, _ = await http_get(central, "/CP1", wrong)
    assert status == 429
    assert 1 <= int(headers["Retry-After"]) <= 5


@pytest.mark.parametrize("method", ["POST", "PUT"])
async def test_only_get_upgrades(central: CentralSystem, method: str) -> None:
    """Other methods are refused before anything else is looked at."""
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, f"http://127.0.0.1:{central.port}/CP1") as response,
    ):
        assert response.status == 405
