"""Benchmark the CoAP client of ev_v2g against N simulated stations on loopback.

For each station count N it measures, in the client process only:

1. setpoint fan-out latency: the wall time from starting a PUT /regulator to all N stations at
   once (``asyncio.gather`` of ``CoapStationClient.set_setpoint`` over the shared endpoint, as
   the integration does, and the same through aiocoap as before: bench/aiocoap_client.py) until every station's answer is in; median and p95 over R rounds,
   first with the client idle, then again while the observers below are streaming;
2. the client's CPU time (``time.process_time()``) per 1000 observation notifications received
   through ``StationObserver`` and decoded with the integration's payload decoders.

The stations run in a child process (``python -m bench.coap_fanout --serve ...``) so that their
CPU does not count. Each has a V2G car plugged in and charging, and a slightly noisy grid voltage
so that /current changes, and therefore notifies, on every simulation tick.

Run: ``.venv/bin/python -m bench.coap_fanout [--counts 1 10 50] [--rounds 30] [--notifications 5000]``.
It prints figures; it asserts no targets.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
import contextlib
from dataclasses import dataclass, field
import math
import os
from pathlib import Path
import signal
import statistics
import sys
import time
from typing import Any, Protocol, Self

from bench.aiocoap_client import AiocoapStationClient, AiocoapStationObserver, create_context
from bench.machine import machine_facts as shared_machine_facts
from custom_components.ev_v2g.transport.coap.client import (
    CoapStationClient,
    Response,
    create_endpoint,
)
from custom_components.ev_v2g.transport.coap.observer import StationObserver
from custom_components.ev_v2g.transport.coap.payloads import (
    PayloadError,
    decode_regulator,
    decode_senml,
    decode_switch,
    decode_vehicle,
)
from custom_components.ev_v2g.transport.errors import StationRefusedError
from hardware.station_sim import SimulatedStation, StationServer, Vehicle, free_udp_port

REPO_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SETPOINTS_A = (10.0, 16.0)
UNTIL_AHEAD_S = 300
ROUND_GAP_S = 0.1
"""Pause between setpoint rounds, so rounds do not queue behind each other."""
WARMUP_S = 1.0
"""Time after every observer is registered before the CPU window opens."""
BASELINE_S = 2.0
"""Quiet time (stations up, nothing observed) over which the client's own idle CPU is measured."""
CHILD_READY_TIMEOUT_S = 30.0
CHILD_MAX_LIFETIME_S = 900.0
"""The station process exits by itself after this long, whatever happens to the parent."""

DECODERS: dict[str, Callable[[bytes, int | None], object]] = {
    "current": decode_senml,
    "energy": decode_senml,
    "vehicle": decode_vehicle,
    "switch": decode_switch,
    "regulator": decode_regulator,
}


def _out(text: str = "") -> None:
    """Print one line of the report."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


# --------------------------------------------------------------------------------------------
# Station side (child process)
# --------------------------------------------------------------------------------------------


@dataclass
class NoisyGridStation(SimulatedStation):
    """A simulated station whose grid voltage moves by at least 0.1 V every simulation step.

    The stock simulation is deterministic: once a car charges at a steady current its /current
    readings stop changing and it notifies only on its Max-Age heartbeat. Real mains voltage
    wanders, so each step here picks the next value of a fixed 11-step cycle around 230 V.
    """

    step: int = field(default=0, init=False)

    def advance(self, dt: float) -> None:
        """Move the grid voltage, then the rest of the world, forward by `dt` seconds."""
        self.step += 1
        self.nominal_voltage = 230.0 + ((self.step * 7) % 11 - 5) / 10
        super().advance(dt)


async def _serve(count: int, tick: float, max_age: int, lifetime: float) -> None:
    """Serve `count` charging stations on free loopback ports; print `ports ...` when ready."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    servers: list[StationServer] = []
    try:
        for index in range(1, count + 1):
            station = NoisyGridStation(station_id=f"sim-{index}", max_age=max_age, tick=tick)
            station.plug(Vehicle(capacity_kwh=60.0, soc=50.0, v2g=True))
            station.set_switch(True)
            station.set_regulator(round(SETPOINTS_A[1] * 1000))
            server = StationServer(station, host=HOST, port=free_udp_port(HOST))
            await server.start()
            servers.append(server)
        _out("ports " + " ".join(str(server.port) for server in servers))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=lifetime)
    finally:
        for server in reversed(servers):
            await server.stop()


# --------------------------------------------------------------------------------------------
# Client side (this process)
# --------------------------------------------------------------------------------------------


class StationProcess:
    """The child process serving the stations, started and stopped by the benchmark."""

    def __init__(self, count: int, tick: float, max_age: int, *, bare: bool = False) -> None:
        """Remember what to start: simulated stations, or bare ones (bench/bare_station.py)."""
        self.count = count
        self.bare = bare
        self.tick = tick
        self.max_age = max_age
        self.process: asyncio.subprocess.Process | None = None
        self.ports: list[int] = []

    async def __aenter__(self) -> Self:
        """Start the child and wait until every station answers on its port."""
        served = [str(self.count), "--tick", str(self.tick), "--max-age", str(self.max_age)]
        command = (
            ["-m", "bench.bare_station", str(self.count)]
            if self.bare
            else ["-m", "bench.coap_fanout", "--serve", *served]
        )
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            *command,
            cwd=REPO_ROOT,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
        )
        assert self.process.stdout is not None
        async with asyncio.timeout(CHILD_READY_TIMEOUT_S):
            line = (await self.process.stdout.readline()).decode().split()
        if not line or line[0] != "ports" or len(line) != self.count + 1:
            await self.__aexit__(None, None, None)
            raise RuntimeError(f"station process did not start: {line!r}")
        self.ports = [int(port) for port in line[1:]]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Ask the child to stop (SIGTERM), kill it if it takes longer than 10 s."""
        process, self.process = self.process, None
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            async with asyncio.timeout(10):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()

    def cpu_seconds(self) -> float:
        """User + system CPU time the child has used so far (Linux /proc), or NaN."""
        if self.process is None:
            return math.nan
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return math.nan
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (fraction 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


@dataclass
class FanoutResult:
    """Latencies of setpoint rounds, in seconds."""

    latencies: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    """Client process CPU time of each successful round."""
    failures: int = 0
    failure_examples: list[str] = field(default_factory=list)

    def median_ms(self) -> float:
        """Median latency in ms."""
        return statistics.median(self.latencies) * 1000 if self.latencies else math.nan

    def cpu_median_ms(self) -> float:
        """Median client CPU time of a round in ms."""
        return statistics.median(self.cpu) * 1000 if self.cpu else math.nan

    def p95_ms(self) -> float:
        """95th percentile latency in ms."""
        return percentile(self.latencies, 0.95) * 1000 if self.latencies else math.nan


class SetpointClient(Protocol):
    """A client of either path: the endpoint's, or aiocoap's as before."""

    async def set_setpoint(self, setpoint_a: float, until: int | None) -> Any:
        """Send a setpoint; the station's regulator state (or None)."""


async def setpoint_rounds(clients: list[SetpointClient], rounds: int) -> FanoutResult:
    """Send R rounds of alternating setpoints to every station at once; time each round."""
    result = FanoutResult()
    for index in range(rounds):
        setpoint = SETPOINTS_A[index % 2]
        until = int(time.time()) + UNTIL_AHEAD_S
        cpu_started = time.process_time()
        started = time.perf_counter()
        answers = await asyncio.gather(
            *(client.set_setpoint(setpoint, until) for client in clients),
            return_exceptions=True,
        )
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        errors = [answer for answer in answers if isinstance(answer, BaseException)]
        wrong = [
            answer
            for answer in answers
            if not isinstance(answer, BaseException)
            and (answer is None or abs(answer.setpoint_a - setpoint) > 1e-6)
        ]
        if errors or wrong:
            result.failures += 1
            if len(result.failure_examples) < 3:
                result.failure_examples.append(repr((errors or wrong)[0]))
        else:
            result.latencies.append(elapsed)
            result.cpu.append(cpu)
        await asyncio.sleep(ROUND_GAP_S)
    return result


@dataclass
class NotificationCounter:
    """Decodes every notification, as the integration does, and counts what arrives."""

    target: int
    stations: int
    received: int = 0
    decode_errors: int = 0
    refusals: int = 0
    found: int = 0
    lost: int = 0
    by_resource: dict[str, int] = field(default_factory=dict)
    window_start: int | None = None
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    settled: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once every station is found, or as soon as one is lost."""

    def on_notification(self, resource: str, answer: Response | StationRefusedError) -> None:
        """Decode one notification and count it."""
        self.received += 1
        self.by_resource[resource] = self.by_resource.get(resource, 0) + 1
        if isinstance(answer, StationRefusedError):
            self.refusals += 1
        else:
            try:
                DECODERS[resource](answer.payload, answer.content_format)
            except PayloadError:
                self.decode_errors += 1
        if self.window_start is not None and self.received - self.window_start >= self.target:
            self.reached.set()

    def on_found(self) -> None:
        """Count a station whose observations are all registered."""
        self.found += 1
        if self.found >= self.stations:
            self.settled.set()

    def on_lost(self, reason: str) -> None:
        """Count a station the watchdog gave up on."""
        self.lost += 1
        self.settled.set()


@dataclass
class ObserveResult:
    """What the CPU window saw."""

    notifications: int
    wall_s: float
    cpu_s: float
    station_cpu_s: float
    registered: int
    decode_errors: int
    refusals: int
    lost: int
    registration_s: float

    def cpu_ms_per_1000(self) -> float:
        """Client CPU milliseconds per 1000 notifications."""
        return self.cpu_s * 1e6 / self.notifications if self.notifications else math.nan


async def observe_cpu(
    stations: StationProcess,
    counter: NotificationCounter,
    max_seconds: float,
) -> ObserveResult:
    """Open the CPU window once every observer is registered; close it at the target or time."""
    started = time.perf_counter()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(counter.settled.wait(), timeout=60)
    registration_s = time.perf_counter() - started
    await asyncio.sleep(WARMUP_S)
    counter.window_start = counter.received
    errors0, refusals0 = counter.decode_errors, counter.refusals
    station_cpu0 = stations.cpu_seconds()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(counter.reached.wait(), timeout=max_seconds)
    cpu1, wall1 = time.process_time(), time.perf_counter()
    station_cpu1 = stations.cpu_seconds()
    return ObserveResult(
        notifications=counter.received - counter.window_start,
        wall_s=wall1 - wall0,
        cpu_s=cpu1 - cpu0,
        station_cpu_s=station_cpu1 - station_cpu0,
        registered=counter.found,
        decode_errors=counter.decode_errors - errors0,
        refusals=counter.refusals - refusals0,
        lost=counter.lost,
        registration_s=registration_s,
    )


FANOUT_PATHS = ("aiocoap, resolve", "aiocoap, reuse", "endpoint")
"""The client paths measured: aiocoap resolving the address on every request (when the issue
was filed), aiocoap reusing the last answer's address (the stop before), the endpoint (now)."""


@dataclass
class CountResult:
    """Everything measured for one station count."""

    count: int
    idle: dict[str, FanoutResult] = field(default_factory=dict)
    loaded: dict[str, FanoutResult] = field(default_factory=dict)
    bare: dict[str, FanoutResult] = field(default_factory=dict)
    """Idle rounds against bare stations (bench/bare_station.py): the client's own time."""
    observe: dict[str, list[ObserveResult]] = field(default_factory=dict)
    """By transport, aiocoap (before) and endpoint (now): one per window, taken in turn."""
    baseline_pct: float = math.nan
    leftover_tasks: list[str] = field(default_factory=list)
    leftover_timers: int = 0
    by_resource: dict[str, int] = field(default_factory=dict)


def _pending_tasks() -> list[str]:
    current = asyncio.current_task()
    return sorted(task.get_name() for task in asyncio.all_tasks() if task is not current)


def _scheduled_timers() -> int:
    """Timer handles still scheduled on the loop (aiocoap leaves some behind)."""
    loop = asyncio.get_running_loop()
    return sum(1 for handle in getattr(loop, "_scheduled", ()) if not handle.cancelled())


async def bench_count(args: argparse.Namespace, count: int) -> CountResult:
    """Run every measurement for `count` stations, each path in turn.

    Both transports stay open to the end: a closed port would make the simulator's aiocoap
    drop the next answer it sends after the ICMP error (to the other transport).
    """
    result = CountResult(count=count)
    async with StationProcess(count, args.tick, args.max_age) as stations:
        context = await create_context()
        endpoint = await create_endpoint()
        try:
            clients = _clients(context, endpoint, stations.ports)
            for path in FANOUT_PATHS:
                await setpoint_rounds(clients[path], 1)  # first contact warms the simulator
                result.idle[path] = await setpoint_rounds(clients[path], args.rounds)
            baseline_cpu0 = time.process_time()
            await asyncio.sleep(BASELINE_S)
            result.baseline_pct = 100 * (time.process_time() - baseline_cpu0) / BASELINE_S
            for window in range(args.windows):
                for transport, observer_class, paths in (
                    ("aiocoap", AiocoapStationObserver, FANOUT_PATHS[:2]),
                    ("endpoint", StationObserver, FANOUT_PATHS[2:]),
                ):
                    counter = NotificationCounter(target=args.notifications, stations=count)
                    observers: list[Any] = [
                        observer_class(
                            client, counter.on_notification, counter.on_found, counter.on_lost
                        )
                        for client in clients[paths[-1]]
                    ]
                    observed = await observing(stations, counter, observers, args)
                    result.observe.setdefault(transport, []).append(observed)
                    if window == 0:
                        for path in paths:
                            result.loaded[path] = await setpoint_rounds(clients[path], args.rounds)
                    await stop_all(observers)
                    result.by_resource = dict(counter.by_resource)
        finally:
            await endpoint.shutdown()
            await context.shutdown()
    async with StationProcess(count, args.tick, args.max_age, bare=True) as bare:
        context = await create_context()
        endpoint = await create_endpoint()
        try:
            clients = _clients(context, endpoint, bare.ports)
            for path in FANOUT_PATHS:
                await setpoint_rounds(clients[path], 1)
                result.bare[path] = await setpoint_rounds(clients[path], args.rounds)
        finally:
            await endpoint.shutdown()
            await context.shutdown()
    await asyncio.sleep(0.1)
    result.leftover_tasks = _pending_tasks()
    result.leftover_timers = _scheduled_timers()
    return result


def _clients(context: Any, endpoint: Any, ports: list[int]) -> dict[str, list[Any]]:
    """A client per station on each path."""
    return {
        "aiocoap, resolve": [
            AiocoapStationClient(context, HOST, port, reuse_remote=False) for port in ports
        ],
        "aiocoap, reuse": [
            AiocoapStationClient(context, HOST, port, reuse_remote=True) for port in ports
        ],
        "endpoint": [CoapStationClient(endpoint, HOST, port) for port in ports],
    }


async def observing(
    stations: StationProcess,
    counter: NotificationCounter,
    observers: list[Any],
    args: argparse.Namespace,
) -> ObserveResult:
    """Start the observers and measure the CPU window (they keep running after)."""
    for observer in observers:
        observer.start()
    return await observe_cpu(stations, counter, args.observe_seconds)


async def stop_all(observers: list[Any]) -> None:
    """Stop every observer."""
    for observer in observers:
        await observer.stop()


def machine_facts() -> str:
    """What this benchmark ran on."""
    return shared_machine_facts()


def _fmt(value: float, digits: int = 1) -> str:
    return "n/a" if math.isnan(value) else f"{value:.{digits}f}"


def print_report(args: argparse.Namespace, results: list[CountResult]) -> None:
    """Print the two tables and the caveats."""
    _out()
    _out(f"Setpoint fan-out: PUT /regulator {SETPOINTS_A[0]:g}/{SETPOINTS_A[1]:g} A alternating")
    _out("(until now+300 s) to all N stations at once, wall time until the last answer, ms")
    _out(
        f"{'N':>4} {'path':>16} {'rounds':>7} | {'idle med':>9} {'idle p95':>9} {'idle max':>9}"
        f" {'idle CPU':>9} | {'obs med':>9} {'obs p95':>9} {'obs max':>9} | {'bare med':>9}"
        f" {'bare p95':>9} {'bare CPU':>9} | {'failed idle/obs/bare':>20}"
    )
    for result in results:
        for path in FANOUT_PATHS:
            idle, loaded, bare = result.idle[path], result.loaded[path], result.bare[path]
            idle_max = max(idle.latencies, default=math.nan) * 1000
            loaded_max = max(loaded.latencies, default=math.nan) * 1000
            _out(
                f"{result.count:>4} {path:>16} {args.rounds:>7} | {_fmt(idle.median_ms(), 2):>9}"
                f" {_fmt(idle.p95_ms(), 2):>9} {_fmt(idle_max, 2):>9}"
                f" {_fmt(idle.cpu_median_ms(), 2):>9}"
                f" | {_fmt(loaded.median_ms(), 2):>9} {_fmt(loaded.p95_ms(), 2):>9}"
                f" {_fmt(loaded_max, 2):>9} | {_fmt(bare.median_ms(), 2):>9}"
                f" {_fmt(bare.p95_ms(), 2):>9} {_fmt(bare.cpu_median_ms(), 2):>9}"
                f" | {idle.failures:>6} / {loaded.failures} / {bare.failures}"
            )
    _out(
        "  path: aiocoap, resolve = aiocoap resolving the address on every request (when the"
        " issue was filed);"
    )
    _out("    aiocoap, reuse = aiocoap reusing the last answer's address (the stop before);")
    _out("    endpoint = the integration's own CoAP endpoint (now)")
    _out("  idle = no observations running; obs = while observing all N stations (5 each);")
    _out("  idle CPU = median client process CPU time spent in one idle round")
    _out(
        "  bare = idle rounds against bare stations (bench/bare_station.py) that answer from a"
        " template: the client's own time, without the simulator's"
    )
    _out()
    _out("Observation notifications: client CPU (process_time) per 1000 received and decoded")
    _out(
        f"{'N':>4} {'transport':>9} | {'notifs':>7} {'wall s':>7} {'notif/s':>8} | {'CPU ms':>8}"
        f" {'CPU ms/1000':>11} {'range':>13} {'client %core':>12} {'quiet %core':>11} | {'stations %core':>14}"
        f" | {'reg s':>6} {'errors':>6}"
    )
    for result, transport in ((r, t) for r in results for t in ("aiocoap", "endpoint")):
        windows = result.observe[transport]
        per_1000 = sorted(window.cpu_ms_per_1000() for window in windows)
        obs = min(windows, key=lambda w: abs(w.cpu_ms_per_1000() - statistics.median(per_1000)))
        spread = f"{_fmt(per_1000[0])}-{_fmt(per_1000[-1])}" if len(per_1000) > 1 else "-"
        rate = obs.notifications / obs.wall_s if obs.wall_s else math.nan
        client_pct = 100 * obs.cpu_s / obs.wall_s if obs.wall_s else math.nan
        station_pct = 100 * obs.station_cpu_s / obs.wall_s if obs.wall_s else math.nan
        errors = obs.decode_errors + obs.refusals + obs.lost
        _out(
            f"{result.count:>4} {transport:>9} | {obs.notifications:>7} {obs.wall_s:>7.1f} {rate:>8.0f}"
            f" | {obs.cpu_s * 1000:>8.0f} {_fmt(obs.cpu_ms_per_1000()):>11} {spread:>13}"
            f" {_fmt(client_pct):>12} {_fmt(result.baseline_pct, 2):>11} | {_fmt(station_pct):>14}"
            f" | {obs.registration_s:>6.2f} {errors:>6}"
        )
    _out(
        f"  median window of {args.windows} per transport, taken in turn (range: all of them);"
        " the machine is shared, so single windows vary"
    )
    _out(
        f"  quiet = client CPU over {BASELINE_S:g} s with stations up but nothing observed"
        " (not subtracted)"
    )
    _out(
        "  reg s = time for every observer to register its 5 observations;"
        " errors = decode errors + refusals + lost contacts"
    )
    _out()
    for result in results:
        mix = ", ".join(f"{name} {n}" for name, n in sorted(result.by_resource.items()))
        extra = []
        for path in FANOUT_PATHS:
            for label, fanout in (
                ("idle", result.idle[path]),
                ("obs", result.loaded[path]),
                ("bare", result.bare[path]),
            ):
                extra += [f"{path} {label} failure: {ex}" for ex in fanout.failure_examples]
        for transport, windows in result.observe.items():
            for obs in windows:
                if obs.registered < result.count:
                    extra.append(f"{transport}: only {obs.registered}/{result.count} registered")
        if result.leftover_tasks:
            extra.append(f"tasks left after shutdown: {result.leftover_tasks}")
        _out(
            f"N={result.count}: notifications by resource (whole run): {mix};"
            f" timers still scheduled after shutdown: {result.leftover_timers}"
        )
        for line in extra:
            _out(f"  {line}")


async def run_benchmark(args: argparse.Namespace) -> None:
    """Measure every station count in turn and print the report."""
    _out(f"Machine: {machine_facts()}")
    _out(
        "Method: stations in a child process on 127.0.0.1 (one UDP port each, tick"
        f" {args.tick} s, Max-Age {args.max_age} s, charging V2G car, noisy grid voltage);"
    )
    _out(
        "client = this process: one aiocoap context (before), then one endpoint (now);"
        f" CPU window: up to {args.notifications} notifications or {args.observe_seconds:g} s."
    )
    results: list[CountResult] = []
    for count in args.counts:
        _out(f"... N={count}")
        results.append(await bench_count(args, count))
    print_report(args, results)


def _parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.coap_fanout",
        description="Setpoint fan-out latency and observation CPU cost of the ev_v2g CoAP client.",
    )
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--rounds", type=int, default=30, help="setpoint rounds per phase")
    parser.add_argument(
        "--notifications", type=int, default=5000, help="notifications in the CPU window"
    )
    parser.add_argument(
        "--observe-seconds", type=float, default=15.0, help="longest CPU window, s (default 15)"
    )
    parser.add_argument(
        "--windows", type=int, default=3, help="CPU windows per transport, taken in turn"
    )
    parser.add_argument("--tick", type=float, default=0.05, help="station simulation step, s")
    parser.add_argument("--max-age", type=int, default=10, help="Max-Age of readings, s")
    parser.add_argument("--serve", type=int, metavar="N", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.notifications < 1 or any(n < 1 for n in args.counts):
        parser.error("counts, rounds and notifications must be positive")
    return args


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark, or serve stations when started as its child."""
    args = _parse_args(argv)
    if args.serve is not None:
        asyncio.run(_serve(args.serve, args.tick, args.max_age, CHILD_MAX_LIFETIME_S))
        return
    asyncio.run(run_benchmark(args))


if __name__ == "__main__":
    main()
