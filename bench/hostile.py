"""Benchmark Home Assistant running ev_v2g under attack: a CoAP flood and an OCPP storm.

Seeds a config folder (bench/ocpp_seed.py) with a site "Bench": two OCPP charge points (the
legitimate ones) and one CoAP station (the attacker, simulated in a child process on
127.0.0.1, a car plugged in), the recorder on. Starts ``hass --config DIR``; charge point
``bench-cp-1`` connects from this process (a raw OCPP 1.6 client: BootNotification, then a
MeterValues CALL every 0.2 s, each round trip timed). Four windows of --window seconds follow:

- quiet: no attack;
- flood: the station sends --rate notifications a second (its voltage and its car's state of
  charge change with each), from its child process;
- storm: a child process holds --connections TCP connections to the OCPP port at once from
  127.0.0.2, each sending a WebSocket upgrade one header byte a second (reopened when cut), and
  knocks with made-up ids; every 2 s ``bench-cp-2`` tries to connect from 127.0.0.1, as a
  charger back from a reboot would;
- storm 1 host: the same storm from 127.0.0.1, the chargers' own address (the per-address
  bound on pending connections cannot tell them apart then).

Per window it prints Home Assistant's CPU (utime + stime of /proc/<pid>/stat, % of one core),
its resident memory at the end, the MeterValues round trip (median, p95, max, failures), how
long HA's CPU stays above the quiet figure + 10 points once the attack stops, the states the
recorder wrote for the station's entities (counted in its SQLite file after HA stopped), and
for the storm how many of bench-cp-2's attempts got in.

Run: ``.venv/bin/python -m bench.hostile [--window 20] [--rate 1000] [--connections 500]``.
It prints figures and machine facts; it exits non-zero only when Home Assistant does not start
or the legitimate charge point cannot connect, never on a figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
import itertools
import json
import math
from pathlib import Path
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from typing import Any

import aiohttp
from homeassistant import const as ha_const

from bench.machine import machine_facts
from bench.ocpp_scale import (
    PYTHON,
    REPO_ROOT,
    HomeAssistant,
    _child_setup,
    code_version,
    cpu_seconds,
    percentile,
    raise_open_files_limit,
    rss_mb,
)
from bench.ocpp_seed import PASSWORD, charge_point_id, seed, write_config
from hardware.station_sim import SimulatedStation, StationServer, Vehicle
from hardware.station_sim.ports import free_tcp_port, free_udp_port
from scripts import demo_seed

STATION_NAME = "Flood station"
STATION_ENTITIES = "%flood_station%"
METER_PERIOD_S = 0.2
CALL_TIMEOUT_S = 10.0
STORM_SOURCE = "127.0.0.2"
"""The storm's own host on loopback: the chargers connect from CHARGERS_HOST."""
CHARGERS_HOST = "127.0.0.1"
SETTLE_S = 15.0
"""Quiet seconds before the first window and after each attack (CPU watched meanwhile)."""


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


# --------------------------------------------------------------------------------------------
# Attackers (child processes)
# --------------------------------------------------------------------------------------------


async def _commands() -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


async def station_main(args: argparse.Namespace) -> None:
    """Serve the station; on "flood S" send --rate notifications a second for S seconds."""
    station = SimulatedStation(station_id="flood", max_age=10)
    station.plug(Vehicle(capacity_kwh=60, soc=40))
    commands = await _commands()
    async with StationServer(station, port=args.port) as server:
        _out(json.dumps({"ready": True}))
        while line := await commands.readline():
            command = json.loads(line)
            if command.get("cmd") == "flood":
                sent = await _flood(server, args.rate, float(command["seconds"]))
                _out(json.dumps({"sent": sent}))
            elif command.get("cmd") == "stop":
                break


async def _flood(server: StationServer, rate: float, seconds: float) -> int:
    """Change the voltage and the state of charge with every notification, `rate` a second."""
    station, site = server.station, server.site
    assert site is not None
    resources = {resource.name: resource for resource in site.resources}
    batch_s = 0.01
    per_batch = max(1, round(rate * batch_s))
    sent, started = 0, time.monotonic()
    while time.monotonic() - started < seconds:
        for _ in range(per_batch):
            sent += 1
            station.nominal_voltage = 225.0 + sent % 11
            if station.vehicle is not None:
                station.vehicle.soc = 40.0 + sent % 20
            resources["current" if sent % 2 else "vehicle"].updated_state()
        await asyncio.sleep(max(0.0, started + sent / rate - time.monotonic()))
    return sent


async def storm_main(args: argparse.Namespace) -> None:
    """Hold --connections slow upgrades to the OCPP port and knock, until told "stop"."""
    raise_open_files_limit()
    commands = await _commands()
    stats = {"opened": 0, "cut": 0, "knocks": 0}
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(_slow_upgrader(args.port, args.source, index, stats, stop))
        for index in range(args.connections)
    ]
    tasks.append(asyncio.create_task(_knocker(args.port, args.source, stats, stop)))
    _out(json.dumps({"ready": True}))
    await commands.readline()
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    _out(json.dumps(stats))


async def _slow_upgrader(
    port: int, source: str, index: int, stats: dict[str, int], stop: asyncio.Event
) -> None:
    head = (
        f"GET /slow-{index} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
    ).encode()
    while not stop.is_set():
        writer = None
        try:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", port, local_addr=(source, 0)
            )
            stats["opened"] += 1
            for byte in itertools.cycle(head):
                writer.write(bytes([byte]))
                await writer.drain()
                with contextlib.suppress(TimeoutError):
                    if await asyncio.wait_for(reader.read(1), 1.0) == b"":
                        break
        except (ConnectionError, OSError):
            pass
        finally:
            stats["cut"] += 1
            if writer is not None:
                writer.close()
        await asyncio.sleep(0.05)


async def _knocker(port: int, source: str, stats: dict[str, int], stop: asyncio.Event) -> None:
    rng = random.Random(500)
    connector = aiohttp.TCPConnector(local_addr=(source, 0))
    async with aiohttp.ClientSession(connector=connector) as session:
        while not stop.is_set():
            with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
                async with asyncio.timeout(5):
                    ws = await session.ws_connect(
                        f"ws://127.0.0.1:{port}/x{rng.randrange(10**9)}", protocols=("ocpp1.6",)
                    )
                    await ws.close()
            stats["knocks"] += 1
            await asyncio.sleep(0.05)


# --------------------------------------------------------------------------------------------
# Bench side (parent)
# --------------------------------------------------------------------------------------------


class Child:
    """A child process of this module, driven over its stdin and stdout."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        """Wrap a started child."""
        self.process = process

    @classmethod
    async def spawn(cls, *arguments: str) -> Child:
        """Start ``python -m bench.hostile ARGUMENTS`` and wait for it to be ready."""
        process = await asyncio.create_subprocess_exec(
            *(PYTHON, "-m", "bench.hostile", *arguments),
            cwd=REPO_ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            preexec_fn=_child_setup,
        )
        child = cls(process)
        if not (await child.read(60)).get("ready"):
            raise RuntimeError(f"bench.hostile {arguments[0]} did not start")
        return child

    async def read(self, within_s: float) -> dict[str, Any]:
        """The child's next line."""
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), within_s)
        if not line:
            raise RuntimeError(f"child {self.process.pid} exited")
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def send(self, cmd: str, **fields: Any) -> None:
        """Send a command."""
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps({"cmd": cmd, **fields}) + "\n").encode())
        await self.process.stdin.drain()

    async def stop(self) -> dict[str, Any]:
        """Ask it to stop; its last answer (if any)."""
        answer: dict[str, Any] = {}
        with contextlib.suppress(ConnectionError, RuntimeError, TimeoutError):
            await self.send("stop")
            answer = await self.read(30)
        with contextlib.suppress(ProcessLookupError):
            self.process.terminate()
        await self.process.wait()
        return answer


class Charger:
    """A legitimate OCPP 1.6 charge point: boots, then times MeterValues round trips."""

    def __init__(self, session: aiohttp.ClientSession, url: str, index: int) -> None:
        """Describe it; connect() opens the socket."""
        self.session, self.url, self.id = session, url, charge_point_id(index)
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.rtts: list[tuple[float, float]] = []
        """(when sent, round trip) of each MeterValues answered, seconds."""
        self.failed: list[float] = []
        self._ids = itertools.count(1)
        self._answers: dict[str, asyncio.Future[Any]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._register_wh = 1000.0

    async def connect(self) -> None:
        """Open the socket and boot."""
        self.ws = await self.session.ws_connect(
            f"{self.url}/{self.id}",
            protocols=("ocpp1.6",),
            auth=aiohttp.BasicAuth(self.id, PASSWORD),
            timeout=aiohttp.ClientWSTimeout(ws_close=5),
        )
        self._reader = asyncio.create_task(self._read())
        await self.call("BootNotification", {"chargePointVendor": "Bench", "chargePointModel": "B"})

    async def _read(self) -> None:
        assert self.ws is not None
        async for message in self.ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                continue
            frame = json.loads(message.data)
            if frame[0] == 2:  # the central system's CALL: accept whatever it asks
                await self.ws.send_str(json.dumps([3, frame[1], {"status": "Accepted"}]))
            elif (future := self._answers.pop(frame[1], None)) is not None:
                future.set_result(frame)

    async def call(self, action: str, payload: dict[str, Any]) -> list[Any]:
        """A CALL and its answer."""
        assert self.ws is not None
        unique_id = f"b{next(self._ids)}"
        future = self._answers[unique_id] = asyncio.get_running_loop().create_future()
        await self.ws.send_str(json.dumps([2, unique_id, action, payload]))
        async with asyncio.timeout(CALL_TIMEOUT_S):
            answer: list[Any] = await future
        return answer

    async def meter_forever(self) -> None:
        """A MeterValues every METER_PERIOD_S, its round trip written down."""
        while True:
            self._register_wh += 0.1
            stamp = datetime.now(UTC).isoformat()
            payload = {
                "connectorId": 1,
                "meterValue": [
                    {
                        "timestamp": stamp,
                        "sampledValue": [
                            {
                                "value": f"{self._register_wh:.1f}",
                                "measurand": "Energy.Active.Import.Register",
                                "unit": "Wh",
                            }
                        ],
                    }
                ],
            }
            sent = time.monotonic()
            try:
                await self.call("MeterValues", payload)
                self.rtts.append((sent, time.monotonic() - sent))
            except (TimeoutError, ConnectionError, aiohttp.ClientError):
                self.failed.append(sent)
            await asyncio.sleep(METER_PERIOD_S)

    async def close(self) -> None:
        """Close the socket."""
        if self._reader is not None:
            self._reader.cancel()
        if self.ws is not None:
            await self.ws.close()


@dataclass
class Window:
    """What one window measured."""

    name: str
    started_wall: float = 0.0
    ended_wall: float = 0.0
    cpu_pct: float = math.nan
    rss_mb: float = math.nan
    rtts: list[float] = field(default_factory=list)
    failed: int = 0
    linger_s: float = math.nan
    states: int = 0
    attack: str = ""
    reconnects: tuple[int, int] = (0, 0)
    """(attempts that got in, attempts) of bench-cp-2 during the window."""


async def _measure(
    name: str, hass: HomeAssistant, charger: Charger, seconds: float, attack: Any = None
) -> Window:
    window = Window(name, started_wall=time.time())
    started, cpu = time.monotonic(), cpu_seconds(hass.pid)
    if attack is not None:
        window.attack = await attack
    else:
        await asyncio.sleep(seconds)
    elapsed = time.monotonic() - started
    window.cpu_pct = 100 * (cpu_seconds(hass.pid) - cpu) / elapsed
    window.rss_mb = rss_mb(hass.pid)
    window.ended_wall = time.time()
    window.rtts = [rtt for sent, rtt in charger.rtts if started <= sent]
    window.failed = sum(1 for sent in charger.failed if started <= sent)
    charger.rtts.clear()
    charger.failed.clear()
    return window


async def _linger(hass: HomeAssistant, quiet_pct: float, most_s: float) -> float:
    """Seconds until a 1 s sample of HA's CPU is within 10 points of the quiet figure."""
    started = time.monotonic()
    while (elapsed := time.monotonic() - started) < most_s:
        before = cpu_seconds(hass.pid)
        await asyncio.sleep(1.0)
        if 100 * (cpu_seconds(hass.pid) - before) <= quiet_pct + 10:
            return elapsed
    return math.inf


async def _flood_attack(station: Child, seconds: float) -> str:
    await station.send("flood", seconds=seconds)
    answer = await station.read(seconds + 30)
    return f"{answer['sent']:,} notifications in {seconds:.0f} s"


async def _storm(
    args: argparse.Namespace,
    ocpp_port: int,
    session: aiohttp.ClientSession,
    url: str,
    source: str,
) -> tuple[str, tuple[int, int]]:
    storm = await Child.spawn(
        *("storm", "--port", str(ocpp_port), "--connections", str(args.connections)),
        *("--source", source),
    )
    attempts = got_in = 0
    started = time.monotonic()
    while time.monotonic() - started < args.window:
        attempts += 1
        late = Charger(session, url, 2)
        with contextlib.suppress(TimeoutError, aiohttp.ClientError, OSError):
            async with asyncio.timeout(5):
                await late.connect()
                got_in += 1
        await late.close()
        await asyncio.sleep(2.0)
    stats = await storm.stop()
    text = (
        f"{args.connections} slow upgrades from {source} "
        f"({stats.get('opened', 0):,} opened, "
        f"{stats.get('cut', 0):,} cut), {stats.get('knocks', 0):,} unknown-id knocks"
    )
    return text, (got_in, attempts)


def _recorder_states(config_dir: Path, windows: list[Window]) -> None:
    database = config_dir / "home-assistant_v2.db"
    if not database.exists():
        return
    ends = [window.started_wall for window in windows[1:]] + [windows[-1].ended_wall + SETTLE_S]
    with contextlib.closing(sqlite3.connect(database)) as connection:
        for window, end in zip(windows, ends, strict=True):
            (count,) = connection.execute(
                "SELECT count(*) FROM states JOIN states_meta USING (metadata_id) "
                "WHERE states_meta.entity_id LIKE ? AND last_updated_ts >= ? AND last_updated_ts < ?",
                (STATION_ENTITIES, window.started_wall, end),
            ).fetchone()
            window.states = int(count)


async def run(args: argparse.Namespace) -> int:
    """Seed, start HA, run the three windows, print the report."""
    workdir = Path(tempfile.mkdtemp(prefix="ev_v2g-hostile-"))
    config_dir = workdir / "config"
    http_port, ocpp_port, coap_port = free_tcp_port(), free_tcp_port(), free_udp_port()
    write_config(config_dir, http_port, recorder=True)
    coap = demo_seed.station_subentry(1, None, coap_port)
    coap["title"] = coap["data"]["name"] = STATION_NAME
    token = await seed(config_dir, 2, ocpp_port, 64.0, extra_subentries=[coap])
    station = await Child.spawn("station", "--port", str(coap_port), "--rate", str(args.rate))
    hass = HomeAssistant(config_dir, http_port, token)
    url = f"ws://127.0.0.1:{ocpp_port}"
    windows: list[Window] = []
    try:
        await hass.start()
        async with aiohttp.ClientSession() as session:
            charger = Charger(session, url, 1)
            await charger.connect()
            metering = asyncio.create_task(charger.meter_forever())
            await asyncio.sleep(SETTLE_S)
            charger.rtts.clear()
            quiet = await _measure("quiet", hass, charger, args.window)
            windows.append(quiet)
            flood = await _measure(
                "flood", hass, charger, args.window, _flood_attack(station, args.window)
            )
            flood.linger_s = await _linger(hass, quiet.cpu_pct, SETTLE_S * 4)
            windows.append(flood)
            for name, source in (("storm", args.storm_from), ("storm 1 host", CHARGERS_HOST)):
                storm_result: tuple[str, tuple[int, int]] = ("", (0, 0))

                async def storm(source: str = source) -> str:
                    nonlocal storm_result
                    storm_result = await _storm(args, ocpp_port, session, url, source)
                    return storm_result[0]

                storm_window = await _measure(name, hass, charger, args.window, storm())
                storm_window.reconnects = storm_result[1]
                storm_window.linger_s = await _linger(hass, quiet.cpu_pct, SETTLE_S * 4)
                windows.append(storm_window)
            metering.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await metering
            await charger.close()
    finally:
        await station.stop()
        await hass.stop()
    _recorder_states(config_dir, windows)
    _report(args, windows)
    return 0


def _ms(values: list[float], fraction: float) -> str:
    value = percentile(values, fraction)
    return "-" if math.isnan(value) else f"{1000 * value:.1f}"


def _seconds(value: float) -> str:
    if math.isnan(value):
        return "-"
    return "< 1" if value < 1 else f"{value:.0f}"


def _report(args: argparse.Namespace, windows: list[Window]) -> None:
    _out(f"ev_v2g under attack ({code_version()}), windows of {args.window:.0f} s")
    _out(machine_facts(f"Home Assistant {ha_const.__version__}"))
    _out()
    for window in windows:
        if window.attack:
            _out(f"{window.name}: {window.attack}")
    _out()
    header = f"{'':28}" + "".join(f"{window.name:>14}" for window in windows)
    _out(header)
    rows: list[tuple[str, list[str]]] = [
        ("HA CPU, % of a core", [f"{w.cpu_pct:.1f}" for w in windows]),
        ("HA RSS at the end, MB", [f"{w.rss_mb:.0f}" for w in windows]),
        ("MeterValues p50, ms", [_ms(w.rtts, 0.5) for w in windows]),
        ("MeterValues p95, ms", [_ms(w.rtts, 0.95) for w in windows]),
        ("MeterValues max, ms", [_ms(w.rtts, 1.0) for w in windows]),
        ("MeterValues answered", [str(len(w.rtts)) for w in windows]),
        ("MeterValues failed", [str(w.failed) for w in windows]),
        (
            "CPU back to quiet after, s",
            [_seconds(w.linger_s) for w in windows],
        ),
        ("station states recorded", [str(w.states) for w in windows]),
        (
            "bench-cp-2 got in",
            [f"{w.reconnects[0]}/{w.reconnects[1]}" if w.reconnects[1] else "-" for w in windows],
        ),
    ]
    for label, values in rows:
        _out(f"{label:28}" + "".join(f"{value:>14}" for value in values))
    growth = windows[-1].rss_mb - windows[0].rss_mb
    _out()
    _out(f"RSS growth over both attacks: {growth:+.0f} MB")
    if windows[0].rtts:
        _out(f"quiet MeterValues mean {1000 * statistics.fmean(windows[0].rtts):.1f} ms")


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="role")
    station = sub.add_parser("station", help="(internal) the flooding CoAP station")
    station.add_argument("--port", type=int, required=True)
    station.add_argument("--rate", type=float, default=1000.0)
    storm = sub.add_parser("storm", help="(internal) the connection storm")
    storm.add_argument("--port", type=int, required=True)
    storm.add_argument("--connections", type=int, default=500)
    storm.add_argument("--source", default=STORM_SOURCE)
    parser.add_argument("--window", type=float, default=20.0, help="seconds per window")
    parser.add_argument("--rate", type=float, default=1000.0, help="notifications a second")
    parser.add_argument("--connections", type=int, default=500, help="storm connections")
    parser.add_argument(
        "--storm-from",
        default=STORM_SOURCE,
        help=f"loopback address the storm comes from ({STORM_SOURCE}; the chargers' is 127.0.0.1)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark (or one of its children)."""
    args = _parse_args(argv)
    if args.role == "station":
        asyncio.run(station_main(args))
    elif args.role == "storm":
        asyncio.run(storm_main(args))
    else:
        raise_open_files_limit()
        sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
