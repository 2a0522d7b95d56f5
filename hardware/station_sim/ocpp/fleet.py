"""Many simulated OCPP charge points in one process: a demo fleet and its command line.

Usage: python -m hardware.station_sim ocpp --url ws://127.0.0.1:9000 --count 2 --version 1.6
[--id-prefix ocpp-sim-] [--first 1] [--password-file FILE] [--connectors 1] [--tick 1]
[--status-every 10]

The password file holds either one password for every charge point, or lines `<id> <password>`.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Mapping
import contextlib
import logging
from pathlib import Path
import random
import signal
import ssl as ssl_module
from typing import Any

import aiohttp

from .charge_point import SimulatedChargePoint


def read_passwords(path: Path) -> str | dict[str, str]:
    """One shared password, or a map of id → password, from a password file."""
    lines = [line.strip() for line in path.read_text().splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    if len(lines) == 1 and len(lines[0].split()) == 1:
        return lines[0]
    passwords: dict[str, str] = {}
    for line in lines:
        cp_id, _, password = line.partition(" ")
        passwords[cp_id] = password.strip()
    return passwords


async def demo_session(cp: SimulatedChargePoint, index: int, delay: float = 3.0) -> None:
    """What happens at charge point `index` (1-based) in the demo.

    The pattern repeats every three: a car plugged in and a card swiped a few seconds later; a car
    plugged in waiting for a remote start; an empty bay.
    """
    kind = (index - 1) % 3
    if kind == 2:
        return
    await asyncio.sleep(delay * random.uniform(0.5, 1.5))
    await cp.plug(1, soc=random.uniform(20, 70), capacity_kwh=random.choice((40.0, 60.0, 77.0)))
    if kind == 0:
        await asyncio.sleep(delay * random.uniform(0.5, 1.5))
        await cp.swipe(1)


@contextlib.asynccontextmanager
async def run_charge_points(
    url: str,
    count: int = 1,
    *,
    id_prefix: str = "ocpp-sim-",
    first: int = 1,
    passwords: str | Mapping[str, str] | None = None,
    ssl: ssl_module.SSLContext | None = None,
    demo: bool = False,
    demo_delay: float = 3.0,
    reconnect_delay: float = 1.0,
    **options: Any,
) -> AsyncIterator[list[SimulatedChargePoint]]:
    """Run charge points `<id_prefix><first>` … (`count` of them) against `url` until the block ends.

    They share one aiohttp session and keep reconnecting (start()); `options` go to every
    SimulatedChargePoint (e.g. version="ocpp2.0.1", tick=0.2). With `demo`, cars arrive and cards
    are swiped as in demo_session.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    cps: list[SimulatedChargePoint] = []
    tasks: list[asyncio.Task[None]] = []
    try:
        for index in range(first, first + count):
            cp_id = f"{id_prefix}{index}"
            password = passwords if isinstance(passwords, str) or passwords is None else None
            if isinstance(passwords, Mapping):
                password = passwords.get(cp_id)
            cp = SimulatedChargePoint(cp_id, password=password, session=session, **options)
            cps.append(cp)
            cp.start(url, ssl=ssl, reconnect_delay=reconnect_delay)
            if demo:
                tasks.append(asyncio.create_task(demo_session(cp, index, demo_delay)))
        yield cps
    finally:
        await asyncio.gather(*(cp.stop() for cp in cps), return_exceptions=True)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await session.close()


def status_line(cp: SimulatedChargePoint) -> str:
    """One line per connector: link, status, transaction, current against limit, energy, car."""
    parts = []
    for number, conn in cp.connectors.items():
        car = f"soc {conn.soc:5.1f}%" if conn.soc is not None else "unplugged"
        tx = conn.transaction_id if conn.transaction is not None else "-"
        parts.append(
            f"#{number} {conn.status:<13} tx {str(tx)[:8]:<8}"
            f" | {conn.current_a:5.1f} A of {conn.limit_a:4.1f} A {conn.power_w:7.0f} W"
            f" | {conn.energy_import_wh:9.1f} Wh | {car}"
        )
    link = "online " if cp.connected else "offline"
    return f"{cp.id:>14} {link} " + " || ".join(parts)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m hardware.station_sim ocpp",
        description="Simulated OCPP charge points dialling a central system.",
    )
    parser.add_argument("--url", default="ws://127.0.0.1:9000", help="central system URL")
    parser.add_argument("--count", type=int, default=2, help="charge points (default 2)")
    parser.add_argument("--version", default="1.6", choices=("1.6", "2.0.1"), help="OCPP version")
    parser.add_argument("--id-prefix", default="ocpp-sim-", help="ids are <prefix>1 … <prefix>N")
    parser.add_argument("--first", type=int, default=1, help="number of the first id (default 1)")
    parser.add_argument("--password-file", type=Path, help="one password, or lines '<id> <pw>'")
    parser.add_argument("--cafile", type=Path, help="CA certificate for a wss:// URL")
    parser.add_argument("--connectors", type=int, default=1, help="connectors per charge point")
    parser.add_argument("--phases", type=int, default=1, choices=(1, 3))
    parser.add_argument("--max-current", type=float, default=32.0, help="A per phase")
    parser.add_argument("--meter-interval", type=float, default=10.0, help="s between meters")
    parser.add_argument("--tick", type=float, default=1.0, help="simulation step, s (default 1)")
    parser.add_argument("--status-every", type=float, default=10.0, help="status line period, s")
    parser.add_argument("--no-demo", action="store_true", help="no cars, no swipes")
    parser.add_argument("--demo-delay", type=float, default=3.0, help="s before cars and cards")
    parser.add_argument("--verbose", action="store_true", help="log OCPP traffic")
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    passwords = read_passwords(args.password_file) if args.password_file else None
    context = ssl_module.create_default_context(cafile=args.cafile) if args.cafile else None
    async with run_charge_points(
        args.url,
        args.count,
        id_prefix=args.id_prefix,
        first=args.first,
        passwords=passwords,
        ssl=context,
        demo=not args.no_demo,
        demo_delay=args.demo_delay,
        version=f"ocpp{args.version}",
        connectors=args.connectors,
        phases=args.phases,
        max_current_a=args.max_current,
        meter_interval=args.meter_interval,
        tick=args.tick,
    ) as cps:
        for cp in cps:
            print(f"{cp.id} {args.url.rstrip('/')}/{cp.id} {cp.version}", flush=True)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=args.status_every)
            if not stop.is_set():
                for cp in cps:
                    print(status_line(cp), flush=True)
    print("stopped", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Run the charge points until interrupted."""
    args = _parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.verbose:
        logging.getLogger("hardware.station_sim").setLevel(logging.DEBUG)
    asyncio.run(_serve(args))
