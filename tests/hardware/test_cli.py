"""The command line: `python -m hardware.station_sim` starts, answers, reports and stops."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
import signal
import sys

from hardware.station_sim import free_udp_port
from hardware.station_sim.__main__ import status_line
from hardware.station_sim.fleet import demo_station

from .conftest import coap_client

REPOSITORY = Path(__file__).resolve().parents[2]


async def test_cli_serves_a_demo_fleet_and_stops_on_sigterm(loopback_sockets: None) -> None:
    """Two stations come up on consecutive ports, print a status line, stop cleanly."""
    base = free_udp_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hardware.station_sim",
        "--count",
        "2",
        "--base-port",
        str(base),
        "--max-age",
        "2",
        "--tick",
        "0.1",
        "--status-every",
        "0.3",
        cwd=REPOSITORY,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        async with asyncio.timeout(10):
            first = (await process.stdout.readline()).decode().split()
            second = (await process.stdout.readline()).decode().split()
            assert first == ["sim-1", f"coap://127.0.0.1:{base}"]
            assert second == ["sim-2", f"coap://127.0.0.1:{base + 1}"]
            async with coap_client(f"coap://127.0.0.1:{base + 1}") as client:
                vehicle = json.loads((await client.get("/vehicle")).payload)
            assert vehicle == {"plugged": True, "v2g": False}
            status = (await process.stdout.readline()).decode()
            assert status.split()[0] == "sim-1"
            process.send_signal(signal.SIGTERM)
            rest, err = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode()
    assert rest.decode().rstrip().endswith("stopped")


def test_demo_fleet_is_varied() -> None:
    """The demo cycles V2G, ordinary, no-discharge station and empty bay."""
    stations = [demo_station(index) for index in range(1, 6)]
    assert [s.vehicle is not None and s.vehicle.v2g for s in stations] == [
        True,
        False,
        True,
        False,
        True,
    ]
    assert stations[1].fallback_ma == 6000
    assert stations[2].max_discharge_ma == 0
    assert stations[3].vehicle is None
    assert "unplugged" in status_line(stations[3])
    assert "v2g" in status_line(stations[0])
