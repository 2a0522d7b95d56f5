"""Several simulated stations on consecutive ports, optionally with a varied demo fleet.

`run_stations` is what integration tests and the command line use to bring up a site's worth of
stations (`sim-1` … `sim-N`) and take them down again cleanly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import contextlib
from typing import Any

from .model import SimulatedStation, Vehicle
from .server import StationServer


def demo_station(index: int, **options: Any) -> SimulatedStation:
    """Station `sim-<index>` (1-based) with a vehicle that makes a demo interesting.

    The pattern repeats every four stations: a V2G vehicle half full; an ordinary vehicle that
    charges at the 6 A fallback once authorized; a V2G vehicle on a station without discharge
    hardware; nothing plugged. The relays start open: a session has to be authorized.
    """
    kind = (index - 1) % 4
    if kind == 1:
        options.setdefault("fallback_ma", 6000)
    if kind == 2:
        options.setdefault("max_discharge_ma", 0)
    station = SimulatedStation(station_id=f"sim-{index}", **options)
    if kind == 0:
        station.plug(Vehicle(capacity_kwh=60.0, soc=54.0, v2g=True))
    elif kind == 1:
        station.plug(Vehicle(capacity_kwh=40.0, soc=31.0, v2g=False, reports_soc=False))
    elif kind == 2:
        station.plug(Vehicle(capacity_kwh=77.0, soc=82.0, v2g=True))
    return station


@contextlib.asynccontextmanager
async def run_stations(
    count: int = 4,
    base_port: int = 5683,
    host: str = "127.0.0.1",
    *,
    demo: bool = False,
    **options: Any,
) -> AsyncIterator[list[StationServer]]:
    """Serve stations `sim-1` … `sim-<count>` on `host`, ports `base_port` … `base_port+count-1`.

    `options` go to every `SimulatedStation` (e.g. `max_age=2, tick=0.2`). Without `demo` the
    stations start empty and switched off; with it they get `demo_station`'s vehicles.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    servers: list[StationServer] = []
    try:
        for index in range(1, count + 1):
            if demo:
                station = demo_station(index, **options)
            else:
                station = SimulatedStation(station_id=f"sim-{index}", **options)
            server = StationServer(station, host=host, port=base_port + index - 1)
            await server.start()
            servers.append(server)
        yield servers
    finally:
        for server in reversed(servers):
            await server.stop()
