"""Benchmark one real Home Assistant running ev_v2g against N simulated OCPP charge points.

For each count N (default 100, 500, 1000) it seeds a fresh config folder (bench/ocpp_seed.py: a
site "Bench" with N single-connector OCPP charge points, a supply limit of N x 16 A so that every
car gets 16 A, and one resident with the card the charge points present), starts
``hass --config DIR`` on free ports, then connects N simulated charge points
(hardware/station_sim/ocpp/) from child processes of up to 500 each, sharing one aiohttp
session per process. Every charge point plugs a car in and swipes the card, so a transaction
runs, energy flows and the site allocates; MeterValues go out every 10 s (each charge point at
its own phase, with +-5 % jitter). Once all are charging at the allocator's 16 A it measures:

- Home Assistant's CPU (utime + stime of /proc/<pid>/stat, every thread) over a window (60 s),
  as a % of one core, also before any charge point connects (idle, N configured);
- its resident memory (VmRSS) before the charge points connect and with all N connected;
- the MeterValues round trip seen by the charge points (CALL sent to CALLRESULT received),
  median, p95 and max over the window, and the CPU Home Assistant spends per MeterValues;
- the time to deliver new limits to all N: ``number.set_value`` on the site's current limit
  through the REST API (N x 10 A, then back to N x 16 A), from just before the call until the
  last charge point has received its SetChargingProfile (TxProfile) with the new limit. The
  charge points stamp arrivals with time.time() in their processes on this machine.

It also reports the rest of the machine's CPU over the window (other work inflates the
latencies, not Home Assistant's CPU) and the commit the integration ran from. Charge points
connect at --connect-rate (50/s in all): the central system's listening socket has aiohttp's
default backlog of 128, and each connection costs Home Assistant a boot, a configuration
(profiles, local list) and a transaction. The processes raise their open-file limit to the hard
limit; --recorder adds Home Assistant's recorder (SQLite) for a closer look at a real install.

Run: ``.venv/bin/python -m bench.ocpp_scale [--counts 100 500 1000] [--window 60] [--quick]``.
It prints figures and machine facts; it exits non-zero only when Home Assistant does not start
or the charge points cannot all connect and charge, never on a figure.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable, Sequence
import contextlib
from dataclasses import dataclass, field
import json
import logging
import math
import os
from pathlib import Path
import random
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, cast

import aiohttp
from homeassistant import const as ha_const

from bench.machine import machine_facts
from bench.ocpp_seed import ID_TAG, PASSWORD, PER_CAR_A, SITE_LIMIT_ENTITY, charge_point_id
from hardware.station_sim.ocpp import SimulatedChargePoint
from hardware.station_sim.ports import free_tcp_port

REPO_ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HASS = str(Path(sys.executable).with_name("hass"))
DEFAULT_COUNTS = (100, 500, 1000)
PER_PROCESS = 500
"""Charge points per child process."""
LOWER_A = 10.0
"""Per-car limit of the first delivery round (the site limit set to N x LOWER_A)."""
LIMIT_TOLERANCE_A = 0.05
HA_START_TIMEOUT_S = 180.0
CHILD_LIFETIME_S = 3600.0
"""A fleet process exits by itself after this long, whatever happens to the bench."""
POLL_S = 0.25


def _out(text: str = "") -> None:
    """Print one line of the report."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def raise_open_files_limit() -> None:
    """Raise this process's soft RLIMIT_NOFILE to its hard limit (a socket per charge point)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def percentile(values: Sequence[float], fraction: float) -> float:
    """The `fraction` quantile (nearest rank) of `values`; NaN when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


# --------------------------------------------------------------------------------------------
# Charge point side (child processes)
# --------------------------------------------------------------------------------------------


def profile_of(action: str, payload: dict[str, Any]) -> tuple[str, float | None] | None:
    """(purpose, first period's limit) of a SetChargingProfile CALL, 1.6 or 2.0.1; else None."""
    if action != "SetChargingProfile":
        return None
    profile = payload.get("csChargingProfiles") or payload.get("chargingProfile") or {}
    schedule = profile.get("chargingSchedule") or {}
    if isinstance(schedule, list):  # 2.0.1: a list of schedules
        schedule = schedule[0] if schedule else {}
    periods = schedule.get("chargingSchedulePeriod") or [{}]
    limit = periods[0].get("limit")
    return str(profile.get("chargingProfilePurpose")), None if limit is None else float(limit)


@dataclass
class FleetStats:
    """What a fleet process's charge points measured, since the last window_start."""

    rtts: list[float] = field(default_factory=list)
    """MeterValues round trips, seconds."""
    failed: int = 0
    """MeterValues that timed out or lost their connection."""


class _StampedCalls(list[tuple[str, dict[str, Any]]]):
    """The simulator's list of received CALLs, stamping each SetChargingProfile on arrival."""

    def __init__(self, stamps: list[tuple[float, str, float | None]]) -> None:
        super().__init__()
        self.stamps = stamps

    def append(self, item: tuple[str, dict[str, Any]]) -> None:
        """Keep the CALL; a SetChargingProfile's (time.time(), purpose, limit) goes to stamps."""
        if (profile := profile_of(*item)) is not None:
            self.stamps.append((time.time(), *profile))
        super().append(item)


class BenchChargePoint(SimulatedChargePoint):
    """A simulated charge point that times its MeterValues and stamps arriving profiles."""

    def __init__(self, charge_point_id: str, *, stats: FleetStats, **options: Any) -> None:
        """Like SimulatedChargePoint; `stats` collects the round trips."""
        super().__init__(charge_point_id, **options)
        self.stats = stats
        self.profiles: list[tuple[float, str, float | None]] = []
        """(time.time() of arrival, purpose, limit) of every SetChargingProfile."""
        self.received = _StampedCalls(self.profiles)

    async def call(self, payload: Any) -> Any:
        """Send a CALL; a MeterValues' round trip goes to the stats."""
        if type(payload).__name__ != "MeterValues":
            return await super().call(payload)
        started = time.perf_counter()
        try:
            result = await super().call(payload)
        except (TimeoutError, ConnectionError):
            self.stats.failed += 1
            raise
        self.stats.rtts.append(time.perf_counter() - started)
        return result

    @property
    def charging(self) -> bool:
        """Whether a transaction with an id runs on connector 1."""
        transaction = self.connector(1).transaction
        return transaction is not None and transaction.id is not None

    def tx_limit(self) -> float | None:
        """The limit of the last TxProfile received."""
        for _, purpose, limit in reversed(self.profiles):
            if purpose == "TxProfile":
                return limit
        return None

    def first_profile(self, since: float, limit: float | None) -> float | None:
        """When the first TxProfile with `limit` (any, if None) arrived at or after `since`."""
        for stamp, purpose, value in self.profiles:
            if stamp < since or purpose != "TxProfile":
                continue
            if limit is None or (value is not None and abs(value - limit) <= LIMIT_TOLERANCE_A):
                return stamp
        return None


async def drive(cp: BenchChargePoint) -> None:
    """Once the charge point is online: plug a car in and swipe the card, until it charges."""
    while not cp.charging:
        if cp.connected and cp.state.boot_status == "Accepted":
            conn = cp.connector(1)
            with contextlib.suppress(ConnectionError, TimeoutError):
                if not conn.plugged:
                    await cp.plug(1, soc=20.0, capacity_kwh=200.0, max_current_a=32.0)
                if conn.transaction is None:
                    await cp.swipe(1)
            await asyncio.sleep(2.0 if conn.transaction is None else 0.5)
        else:
            await asyncio.sleep(0.5)


class Fleet:
    """The charge points of one child process and the commands the bench sends it."""

    def __init__(self, args: argparse.Namespace) -> None:
        """Describe charge points args.first … args.first + args.count - 1."""
        self.args = args
        self.stats = FleetStats()
        self.cps: list[BenchChargePoint] = []
        self.tasks: list[asyncio.Task[None]] = []

    async def start(self, session: aiohttp.ClientSession) -> None:
        """Create and start the charge points at the connect rate, each with its driver."""
        args = self.args
        gap = 1.0 / args.connect_rate if args.connect_rate > 0 else 0.0
        for index in range(args.first, args.first + args.count):
            cp = BenchChargePoint(
                charge_point_id(index),
                stats=self.stats,
                version=args.version,
                password=PASSWORD,
                id_tag=ID_TAG,
                meter_interval=args.meter_interval,
                tick=args.tick,
                session=session,
            )
            self.cps.append(cp)
            cp.start(args.url, reconnect_delay=2.0)
            self.tasks.append(asyncio.create_task(drive(cp)))
            if gap:
                await asyncio.sleep(gap)

    async def stop(self) -> None:
        """Stop every charge point and driver."""
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await asyncio.gather(*(cp.stop() for cp in self.cps), return_exceptions=True)

    def answer(self, command: dict[str, Any]) -> dict[str, Any]:
        """The answer to one command of the bench."""
        name = command.get("cmd")
        if name == "status":
            wanted = command.get("limit")
            return {
                "started": len(self.cps),
                "connected": sum(cp.connected for cp in self.cps),
                "booted": sum(
                    cp.connected and cp.state.boot_status == "Accepted" for cp in self.cps
                ),
                "charging": sum(cp.charging for cp in self.cps),
                "at_limit": sum(
                    (limit := cp.tx_limit()) is not None
                    and wanted is not None
                    and abs(limit - wanted) <= LIMIT_TOLERANCE_A
                    for cp in self.cps
                ),
            }
        if name == "window_start":
            self.stats = FleetStats()
            for cp in self.cps:
                cp.stats = self.stats
            return {"ok": True}
        if name == "rtts":
            return {"rtts": self.stats.rtts, "failed": self.stats.failed}
        if name == "profiles":
            since, limit = float(command["since"]), command.get("limit")
            return {
                "times": [cp.first_profile(since, limit) for cp in self.cps],
                "calls": sum(stamp >= since for cp in self.cps for stamp, *_ in cp.profiles),
            }
        return {"error": f"unknown command {name!r}"}


async def fleet_main(args: argparse.Namespace) -> None:
    """A child process: run charge points, answer the bench's commands on stdin until EOF/stop."""
    raise_open_files_limit()
    logging.basicConfig(level=logging.ERROR)
    random.seed(args.first)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    fleet = Fleet(args)
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    starting = asyncio.create_task(fleet.start(session))
    try:
        _out(json.dumps({"ready": True}))
        while True:
            try:
                line = await asyncio.wait_for(reader.readline(), timeout=CHILD_LIFETIME_S)
            except TimeoutError:
                break
            if not line:
                break
            command = json.loads(line)
            if command.get("cmd") == "stop":
                break
            _out(json.dumps(fleet.answer(command)))
    finally:
        starting.cancel()
        await asyncio.gather(starting, return_exceptions=True)
        await fleet.stop()
        await session.close()
        _out(json.dumps({"stopped": True}))


# --------------------------------------------------------------------------------------------
# Bench side (parent)
# --------------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process `pid` (all its threads), seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds() -> float:
    """CPU time every core of the machine spent busy (/proc/stat), seconds."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    busy = sum(int(value) for value in fields[:8]) - int(fields[3]) - int(fields[4])
    return busy / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident memory (VmRSS) of process `pid`, MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return math.nan


def code_version() -> str:
    """The commit the integration and simulator run from, and whether they have changes on top."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "custom_components", "hardware"],  # noqa: S607
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head} + uncommitted changes" if dirty else head


def _child_setup() -> None:
    """In a child before exec: more open files, and die with the bench (PR_SET_PDEATHSIG)."""
    raise_open_files_limit()
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class FleetProcess:
    """A child process of charge points, driven over its stdin and stdout."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        """Wrap a started child."""
        self.process = process
        self._lock = asyncio.Lock()

    @classmethod
    async def spawn(
        cls, args: argparse.Namespace, url: str, *, first: int, count: int, rate: float, log: Path
    ) -> FleetProcess:
        """Start charge points first … first + count - 1 against `url`."""
        command = [
            *(PYTHON, "-m", "bench.ocpp_scale", "fleet", url),
            *("--first", str(first), "--count", str(count), "--version", args.version),
            *("--meter-interval", str(args.meter_interval), "--connect-rate", str(rate)),
            *("--tick", str(args.tick)),
        ]
        with log.open("ab") as errors:
            process = await asyncio.create_subprocess_exec(
                *command,
                cwd=REPO_ROOT,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=errors,
                preexec_fn=_child_setup,
                limit=64 * 1024 * 1024,
            )
        fleet = cls(process)
        ready = await fleet._read()
        if not ready.get("ready"):
            raise RuntimeError(f"fleet process did not start: {ready}")
        return fleet

    async def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout=60)
        if not line:
            raise RuntimeError(f"fleet process {self.process.pid} exited")
        return cast(dict[str, Any], json.loads(line))

    async def ask(self, cmd: str, **fields: Any) -> dict[str, Any]:
        """Send a command and return the answer."""
        async with self._lock:
            assert self.process.stdin is not None
            self.process.stdin.write((json.dumps({"cmd": cmd, **fields}) + "\n").encode())
            await self.process.stdin.drain()
            return await self._read()

    async def stop(self) -> None:
        """Ask the child to stop its charge points; terminate it if it does not."""
        process = self.process
        if process.returncode is None and process.stdin is not None:
            with contextlib.suppress(ConnectionError, OSError, RuntimeError):
                process.stdin.write(b'{"cmd": "stop"}\n')
                await process.stdin.drain()
                process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), timeout=20)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


class HomeAssistant:
    """`hass --config DIR` in a child process and its REST API."""

    def __init__(self, config_dir: Path, port: int, token: str) -> None:
        """Describe the instance; start() runs it."""
        self.config_dir = config_dir
        self.url = f"http://127.0.0.1:{port}"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.process: asyncio.subprocess.Process | None = None
        self.session: aiohttp.ClientSession | None = None

    @property
    def pid(self) -> int:
        """The process id."""
        assert self.process is not None
        return self.process.pid

    async def start(self) -> None:
        """Start Home Assistant and wait until it runs and the site's entities exist."""
        log = self.config_dir / "hass.out"
        with log.open("wb") as output:
            self.process = await asyncio.create_subprocess_exec(
                *(HASS, "--config", str(self.config_dir), "--skip-pip"),
                cwd=REPO_ROOT,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=output,
                stderr=asyncio.subprocess.STDOUT,
                preexec_fn=_child_setup,
            )
        self.session = aiohttp.ClientSession(headers=self.headers)
        deadline = time.monotonic() + HA_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.returncode is not None:
                raise RuntimeError(f"Home Assistant exited with {self.process.returncode}: {log}")
            with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
                config = await self.get("/api/config")
                if config.get("state") == "RUNNING":
                    await self.get(f"/api/states/{SITE_LIMIT_ENTITY}")
                    return
            await asyncio.sleep(0.5)
        raise RuntimeError(f"Home Assistant did not run the site within the timeout: {log}")

    async def get(self, path: str) -> dict[str, Any]:
        """GET a REST API path; its JSON answer."""
        assert self.session is not None
        async with self.session.get(self.url + path, timeout=aiohttp.ClientTimeout(10)) as answer:
            answer.raise_for_status()
            return cast(dict[str, Any], await answer.json())

    async def post(self, path: str, body: dict[str, Any]) -> str:
        """POST JSON to a REST API path; its answer's text."""
        assert self.session is not None
        async with self.session.post(
            self.url + path, json=body, timeout=aiohttp.ClientTimeout(60)
        ) as answer:
            answer.raise_for_status()
            return await answer.text()

    async def template(self, template: str) -> str:
        """Render a template in Home Assistant."""
        return (await self.post("/api/template", {"template": template})).strip()

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL after 60 s."""
        if self.session is not None:
            await self.session.close()
            self.session = None
        process = self.process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout=60)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


@dataclass
class Delivery:
    """One round of new limits to every charge point."""

    per_car_a: float
    api_s: float
    """How long the number.set_value call took to answer."""
    times_s: list[float]
    """Per charge point that got it: seconds from the call to its TxProfile."""
    missing: int
    profiles: int = 0
    """SetChargingProfile CALLs of any purpose the charge points received in the round."""
    cpu_s: float = math.nan
    """Home Assistant's CPU from the call until the last TxProfile arrived, less its steady rate."""


@dataclass
class CountResult:
    """The figures of one count."""

    count: int
    processes: int
    entities: int = 0
    connect_s: float = math.nan
    """From the first charge point started until all charge at the allocator's limit."""
    idle_cpu_pct: float = math.nan
    rss_before_mb: float = math.nan
    rss_after_mb: float = math.nan
    cpu_pct: float = math.nan
    fleet_cpu_pct: float = math.nan
    """The charge point processes' CPU over the window, % of one core (all processes)."""
    other_cpu_pct: float = math.nan
    """CPU over the window of everything else on the machine (the bench, other work), % core."""
    window_s: float = math.nan
    rtts: list[float] = field(default_factory=list)
    failed: int = 0
    deliveries: list[Delivery] = field(default_factory=list)
    ha_online: int = 0
    code: str = ""
    """The commit Home Assistant ran the integration from."""

    @property
    def rate(self) -> float:
        """MeterValues per second answered over the window."""
        return len(self.rtts) / self.window_s if self.window_s else math.nan

    @property
    def cpu_ms_per_message(self) -> float:
        """Home Assistant's CPU per MeterValues over the window, ms (everything it does)."""
        if not self.rtts:
            return math.nan
        return self.cpu_pct / 100 * self.window_s * 1000 / len(self.rtts)


class Fleets:
    """All fleet processes of one count."""

    def __init__(self, fleets: list[FleetProcess]) -> None:
        """Wrap the started processes."""
        self.fleets = fleets

    async def ask_all(self, cmd: str, **fields: Any) -> list[dict[str, Any]]:
        """The same command to every process; their answers in order."""
        return list(await asyncio.gather(*(fleet.ask(cmd, **fields) for fleet in self.fleets)))

    async def status(self, limit: float) -> dict[str, int]:
        """Counts summed over the processes."""
        total: dict[str, int] = {}
        for answer in await self.ask_all("status", limit=limit):
            for key, value in answer.items():
                total[key] = total.get(key, 0) + int(value)
        return total

    def cpu_seconds(self) -> float:
        """CPU of every fleet process, seconds."""
        return sum(cpu_seconds(fleet.process.pid) for fleet in self.fleets)

    async def stop(self) -> None:
        """Stop every process."""
        await asyncio.gather(*(fleet.stop() for fleet in self.fleets), return_exceptions=True)


async def wait_for(
    check: Callable[[], Awaitable[bool]], limit_s: float, what: str, progress: Callable[[], str]
) -> None:
    """Poll `check` until true; RuntimeError after `limit_s` seconds."""
    deadline = time.monotonic() + limit_s
    last_note = time.monotonic()
    while not await check():
        now = time.monotonic()
        if now > deadline:
            raise RuntimeError(f"timed out waiting for {what}: {progress()}")
        if now - last_note > 15:
            last_note = now
            _out(f"    … {progress()}")
        await asyncio.sleep(POLL_S * 4)


async def measure_cpu(pid: int, seconds: float) -> float:
    """CPU % of one core that process `pid` used over the next `seconds`."""
    before, started = cpu_seconds(pid), time.monotonic()
    await asyncio.sleep(seconds)
    return (cpu_seconds(pid) - before) / (time.monotonic() - started) * 100


async def deliver(
    hass: HomeAssistant,
    fleets: Fleets,
    count: int,
    per_car_a: float,
    *,
    limit_s: float,
    steady_pct: float,
) -> Delivery:
    """Set the site limit to count x per_car_a; wait until every charge point has its TxProfile.

    `steady_pct` is Home Assistant's CPU without a delivery (the window's), taken off its CPU
    over the round.
    """
    cpu_before, wall_before = cpu_seconds(hass.pid), time.monotonic()
    started = time.time()
    await hass.post(
        "/api/services/number/set_value",
        {"entity_id": SITE_LIMIT_ENTITY, "value": count * per_car_a},
    )
    api_s = time.time() - started
    deadline = time.monotonic() + limit_s
    times: list[float] = []
    while True:
        answers = await fleets.ask_all("profiles", since=started, limit=per_car_a)
        stamps = [stamp for answer in answers for stamp in answer["times"]]
        times = [stamp - started for stamp in stamps if stamp is not None]
        if len(times) == count or time.monotonic() > deadline:
            break
        await asyncio.sleep(POLL_S)
    # Up to the poll that saw the last arrival: at most POLL_S more, mostly idle.
    cpu_s = cpu_seconds(hass.pid) - cpu_before
    cpu_s -= steady_pct / 100 * (time.monotonic() - wall_before)
    await asyncio.sleep(1.0)  # the rest of the round's CALLs (ceilings) arrive
    profiles = sum(
        answer["calls"] for answer in await fleets.ask_all("profiles", since=started, limit=None)
    )
    return Delivery(per_car_a, api_s, times, count - len(times), profiles, max(cpu_s, 0.0))


async def bench_count(args: argparse.Namespace, count: int, workdir: Path) -> CountResult:
    """Seed, start Home Assistant, connect `count` charge points and measure."""
    config_dir = workdir / f"n{count}"
    http_port, ocpp_port = free_tcp_port(), free_tcp_port()
    seed = await asyncio.create_subprocess_exec(
        *(PYTHON, "-m", "bench.ocpp_seed", str(config_dir), "--count", str(count)),
        *("--ocpp-port", str(ocpp_port), "--http-port", str(http_port)),
        *(("--recorder",) if args.recorder else ()),
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await seed.communicate()
    if seed.returncode != 0:
        raise RuntimeError(f"seeding failed: {err.decode(errors='replace')[-2000:]}")
    token = json.loads(out.decode().strip().splitlines()[-1])["token"]

    processes = math.ceil(count / args.per_process)
    result = CountResult(count=count, processes=processes)
    hass = HomeAssistant(config_dir, http_port, token)
    fleets = Fleets([])
    try:
        result.code = code_version()
        _out(f"  N={count}: starting Home Assistant (config {config_dir}, code {result.code})")
        await hass.start()
        result.entities = int(await hass.template("{{ states | count }}"))
        await asyncio.sleep(args.settle)
        result.idle_cpu_pct = await measure_cpu(hass.pid, args.idle_window)
        result.rss_before_mb = rss_mb(hass.pid)

        _out(f"  N={count}: connecting {count} charge points from {processes} process(es)")
        connect_started = time.monotonic()
        rate = args.connect_rate / processes
        log = config_dir / "fleet.err"
        for index in range(processes):
            first = 1 + index * args.per_process
            size = min(args.per_process, count - index * args.per_process)
            fleets.fleets.append(
                await FleetProcess.spawn(
                    args, f"ws://127.0.0.1:{ocpp_port}", first=first, count=size, rate=rate, log=log
                )
            )
        status: dict[str, int] = {}

        async def all_charging() -> bool:
            status.update(await fleets.status(PER_CAR_A))
            return status.get("charging", 0) == count and status.get("at_limit", 0) == count

        timeout = args.connect_timeout + count / max(args.connect_rate, 1) * 3
        await wait_for(all_charging, timeout, "every charge point charging", lambda: str(status))
        result.connect_s = time.monotonic() - connect_started
        _out(f"  N={count}: all charging at {PER_CAR_A} A after {result.connect_s:.1f} s")
        result.ha_online = int(
            await hass.template(
                "{{ states.binary_sensor | selectattr('entity_id', 'search', '_connectivity$')"
                " | selectattr('state', 'eq', 'on') | list | count }}"
            )
        )
        await asyncio.sleep(args.settle)

        _out(f"  N={count}: measuring over {args.window:.0f} s")
        await fleets.ask_all("window_start")
        ha_before, fleet_before = cpu_seconds(hass.pid), fleets.cpu_seconds()
        machine_before = machine_cpu_seconds()
        started = time.monotonic()
        await asyncio.sleep(args.window)
        elapsed = time.monotonic() - started
        result.cpu_pct = (cpu_seconds(hass.pid) - ha_before) / elapsed * 100
        result.fleet_cpu_pct = (fleets.cpu_seconds() - fleet_before) / elapsed * 100
        machine_pct = (machine_cpu_seconds() - machine_before) / elapsed * 100
        result.other_cpu_pct = max(machine_pct - result.cpu_pct - result.fleet_cpu_pct, 0.0)
        result.window_s = elapsed
        for answer in await fleets.ask_all("rtts"):
            result.rtts.extend(answer["rtts"])
            result.failed += int(answer["failed"])
        result.rss_after_mb = rss_mb(hass.pid)

        for round_index in range(args.rounds):
            per_car = LOWER_A if round_index % 2 == 0 else float(PER_CAR_A)
            delivery = await deliver(
                hass,
                fleets,
                count,
                per_car,
                limit_s=args.delivery_timeout,
                steady_pct=result.cpu_pct,
            )
            result.deliveries.append(delivery)
            done = max(delivery.times_s, default=math.nan)
            _out(f"  N={count}: {per_car:g} A to all in {done:.2f} s ({delivery.missing} missing)")
            await asyncio.sleep(args.settle)
    finally:
        await fleets.stop()
        await hass.stop()
    return result


def _fmt(value: float, digits: int = 1) -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def print_report(args: argparse.Namespace, results: list[CountResult]) -> None:
    """The figures of every count, then the machine facts."""
    version = args.version.removeprefix("ocpp")
    _out()
    _out(
        f"OCPP {version} scale: N simulated charge points -> one Home Assistant with ev_v2g;"
        f" MeterValues every {args.meter_interval:g} s (+-5 %), a transaction on each,"
        f" supply N x {PER_CAR_A} A; window {args.window:g} s"
    )
    _out()
    header = (
        f"{'N':>5} | {'entities':>8} | {'RSS idle':>8} | {'RSS N':>7} | {'CPU idle':>8}"
        f" | {'CPU N':>7} | {'MV/s':>6} | {'CPU/MV':>7} | {'MV p50':>7} | {'MV p95':>7}"
        f" | {'MV max':>7} | {'lost':>4} | {'CP CPU':>7} | {'other':>6}"
        f" | {'online':>6}"
    )
    units = (
        f"{'':>5} | {'':>8} | {'MB':>8} | {'MB':>7} | {'% core':>8} | {'% core':>7} | {'':>6}"
        f" | {'ms':>7} | {'ms':>7} | {'ms':>7} | {'ms':>7} | {'':>4} | {'% core':>7}"
        f" | {'% core':>6} | {'':>6}"
    )
    _out(header)
    _out(units)
    _out("-" * len(header))
    for r in results:
        rtts_ms = [value * 1000 for value in r.rtts]
        _out(
            f"{r.count:>5} | {r.entities:>8} | {_fmt(r.rss_before_mb):>8}"
            f" | {_fmt(r.rss_after_mb):>7} | {_fmt(r.idle_cpu_pct, 2):>8} | {_fmt(r.cpu_pct):>7}"
            f" | {_fmt(r.rate):>6} | {_fmt(r.cpu_ms_per_message, 2):>7}"
            f" | {_fmt(statistics.median(rtts_ms) if rtts_ms else math.nan):>7}"
            f" | {_fmt(percentile(rtts_ms, 0.95)):>7} | {_fmt(max(rtts_ms, default=math.nan)):>7}"
            f" | {r.failed:>4} | {_fmt(r.fleet_cpu_pct):>7} | {_fmt(r.other_cpu_pct):>6}"
            f" | {r.ha_online:>6}"
        )
    _out()
    _out(
        f"{'N':>5} | {'connect':>8} | {'limit':>6} | {'API call':>8} | {'p50':>7} | {'p95':>7}"
        f" | {'all':>7} | {'missing':>7} | {'SCP/CP':>6} | {'HA CPU':>6} | {'CPU/CP':>6}"
    )
    _out(
        f"{'':>5} | {'s':>8} | {'A/car':>6} | {'s':>8} | {'s':>7} | {'s':>7} | {'s':>7}"
        f" | {'':>7} | {'':>6} | {'s':>6} | {'ms':>6}"
    )
    _out("-" * 98)
    for r in results:
        for d in r.deliveries:
            _out(
                f"{r.count:>5} | {_fmt(r.connect_s):>8} | {d.per_car_a:>6g} | {_fmt(d.api_s, 3):>8}"
                f" | {_fmt(percentile(d.times_s, 0.5), 3):>7}"
                f" | {_fmt(percentile(d.times_s, 0.95), 3):>7}"
                f" | {_fmt(max(d.times_s, default=math.nan), 3):>7} | {d.missing:>7}"
                f" | {d.profiles / r.count:>6.1f} | {_fmt(d.cpu_s, 2):>6}"
                f" | {_fmt(d.cpu_s * 1000 / r.count, 2):>6}"
            )
    _out()
    _out(
        "RSS idle: Home Assistant with the site and N charge points configured, none connected;"
        " RSS N: all N connected, after the window. CPU: utime+stime of every HA thread,"
        " % of one core. CPU/MV: HA CPU over the window / MeterValues answered in it."
        " MV: MeterValues CALL -> CALLRESULT at the charge point; lost: timed out or cut."
        " CP CPU: the charge point processes together. other: the rest of the machine's busy"
        " CPU over the window (the bench, anything else running: it inflates the latencies)."
        " online: HA connectivity sensors on."
        " connect: first charge point started -> all charging at the allocator's limit."
        " Delivery: REST number.set_value on the site limit (N x limit) -> TxProfile with the"
        " new limit received, per charge point (time.time() on both sides, same machine);"
        " SCP/CP: SetChargingProfile CALLs (any purpose) per charge point in the round;"
        " HA CPU: Home Assistant's CPU from the call to the last arrival, less the window's"
        " steady rate; CPU/CP: that per charge point."
    )
    _out()
    codes = dict.fromkeys(r.code for r in results)
    if len(codes) == 1:
        _out(f"Code: {next(iter(codes))}")
    else:
        _out("Code: " + ", ".join(f"N={r.count} at {r.code}" for r in results))
    _out(
        "Machine: "
        + machine_facts(
            f"Home Assistant {ha_const.__version__}",
            f"aiohttp {aiohttp.__version__}",
            f"{args.per_process} charge points per fleet process",
            f"recorder {'on' if args.recorder else 'off'}",
        )
    )


async def run_benchmark(args: argparse.Namespace) -> int:
    """Every count in turn; 1 when one could not be measured."""
    raise_open_files_limit()
    workdir = Path(tempfile.mkdtemp(prefix="ev_v2g_ocpp_scale_"))
    results: list[CountResult] = []
    status = 0
    try:
        for count in args.counts:
            try:
                results.append(await bench_count(args, count, workdir))
            except (RuntimeError, OSError, aiohttp.ClientError, TimeoutError) as err:
                _out(f"  N={count}: FAILED: {err}")
                status = 1
                break
    finally:
        if results:
            print_report(args, results)
        if args.keep or status:
            _out(f"config folders and logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return status


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ocpp_scale",
        description="N simulated OCPP charge points against one real Home Assistant.",
    )
    parser.add_argument("--counts", type=int, nargs="+", default=list(DEFAULT_COUNTS))
    parser.add_argument("--window", type=float, default=60.0, help="CPU/RTT window, s (60)")
    parser.add_argument("--idle-window", type=float, default=10.0, help="idle CPU window, s")
    parser.add_argument("--settle", type=float, default=10.0, help="pause before measuring, s")
    parser.add_argument("--rounds", type=int, default=2, help="limit delivery rounds (2)")
    parser.add_argument("--version", default="ocpp1.6", choices=("ocpp1.6", "ocpp2.0.1"))
    parser.add_argument("--meter-interval", type=float, default=10.0, help="s between meters")
    parser.add_argument("--tick", type=float, default=1.0, help="simulation step, s")
    parser.add_argument("--per-process", type=int, default=PER_PROCESS, help="CPs per process")
    parser.add_argument("--connect-rate", type=float, default=50.0, help="new connections / s")
    parser.add_argument("--connect-timeout", type=float, default=120.0, help="s, plus N/rate*3")
    parser.add_argument("--delivery-timeout", type=float, default=60.0, help="s per round")
    parser.add_argument("--recorder", action="store_true", help="load the recorder in HA too")
    parser.add_argument("--keep", action="store_true", help="keep the config folders")
    parser.add_argument("--quick", action="store_true", help="smoke run: N=20, 15 s window")
    args = parser.parse_args(argv)
    if args.quick:
        args.counts = [20] if args.counts == list(DEFAULT_COUNTS) else args.counts
        args.window, args.idle_window, args.settle = 15.0, 3.0, 3.0
    if min(args.counts) < 1 or args.per_process < 1 or args.window <= 0:
        parser.error("counts and --per-process must be at least 1, --window positive")
    return args


def _parse_fleet_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.ocpp_scale fleet")
    parser.add_argument("url")
    parser.add_argument("--first", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--version", default="ocpp1.6")
    parser.add_argument("--meter-interval", type=float, default=10.0)
    parser.add_argument("--tick", type=float, default=1.0)
    parser.add_argument("--connect-rate", type=float, default=50.0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark, or (``fleet ...``) one child process of charge points."""
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["fleet"]:
        asyncio.run(fleet_main(_parse_fleet_args(arguments[1:])))
        return
    args = _parse_args(arguments)
    _out(f"ev_v2g OCPP scale benchmark: counts {args.counts}, window {args.window:g} s")
    loop = asyncio.new_event_loop()
    main_task = loop.create_task(run_benchmark(args))
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, main_task.cancel)
    try:
        status = loop.run_until_complete(main_task)
    except asyncio.CancelledError:
        _out("interrupted: charge points and Home Assistant stopped")
        status = 130
    finally:
        loop.close()
    sys.exit(status)


if __name__ == "__main__":
    main()
