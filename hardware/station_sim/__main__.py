"""Command line: serve N simulated stations and print their status until Ctrl-C or SIGTERM.

Usage: python -m hardware.station_sim --count 4 --base-port 5683 [--host ::1] [--max-age 10] [--tick 1]
OCPP charge points instead: python -m hardware.station_sim ocpp --url ws://127.0.0.1:9000 --count 2
[--version 1.6|2.0.1] [--id-prefix ocpp-sim-] [--password-file FILE] (see ocpp/fleet.py)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from typing import Any

from .fleet import run_stations
from .model import SimulatedStation


def _parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m hardware.station_sim",
        description="Simulated ev_v2g CoAP charging stations on consecutive UDP ports.",
    )
    parser.add_argument("--count", type=int, default=4, help="number of stations (default 4)")
    parser.add_argument("--base-port", type=int, default=5683, help="port of sim-1 (default 5683)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--max-age", type=int, default=10, help="Max-Age of readings, s")
    parser.add_argument("--tick", type=float, default=1.0, help="simulation step, s (default 1)")
    parser.add_argument("--status-every", type=float, default=10.0, help="status line period, s")
    parser.add_argument("--verbose", action="store_true", help="log CoAP traffic")
    parser.add_argument(
        "--foreign",
        action="store_true",
        help="follow the contract only: no rt values, discharge as min_ma < 0, no v2g, no boot",
    )
    return parser.parse_args(argv)


def status_line(station: SimulatedStation) -> str:
    """One line about a station: switch, setpoint, current, energy and vehicle."""
    switch = "on " if station.switch_on else "off"
    until = f" until {station.until}" if station.until is not None else ""
    vehicle = station.vehicle
    if vehicle is None:
        plugged = "unplugged"
    else:
        plugged = f"soc {vehicle.soc:5.1f}%{' v2g' if vehicle.v2g else ''}"
    return (
        f"{station.station_id:>8} {switch} setpoint {station.setpoint_ma:+6d} mA{until}"
        f" | {station.current_a:+6.2f} A {station.power_w:+8.0f} W"
        f" | +{station.energy_import_wh:.1f} / -{station.energy_export_wh:.1f} Wh | {plugged}"
    )


async def _serve(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    foreign: dict[str, Any] = {}
    if args.foreign:
        foreign = {
            "rt_prefix": None,
            "discharge_as_min_ma": True,
            "reports_v2g": False,
            "boot_record": False,
        }
    async with run_stations(
        *(args.count, args.base_port, args.host),
        demo=True,
        max_age=args.max_age,
        tick=args.tick,
        **foreign,
    ) as servers:
        for server in servers:
            print(f"{server.station.station_id} {server.uri}", flush=True)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=args.status_every)
            if not stop.is_set():
                for server in servers:
                    print(status_line(server.station), flush=True)
    print("stopped", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Run the stations until interrupted."""
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["ocpp"]:
        from .ocpp.fleet import main as ocpp_main  # noqa: PLC0415 - only when asked for

        ocpp_main(arguments[1:])
        return
    args = _parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING)
    asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
