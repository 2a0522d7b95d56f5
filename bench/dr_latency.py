"""Benchmark demand-response latency: load sensor change in HA to every station's acknowledgement.

The site (fair_share, one phase, 230 V) follows a building-load sensor of kind ``non_ev``. Every
one of N simulated CoAP stations (``hardware.station_sim``, real UDP on loopback, one port each)
has a car plugged in and an authorized session (``switch.<bay>_charging`` on). The load alternates
between two values for which the fair share is 12 A and 10 A per station, so that every change
moves every station's setpoint. A round is timed from just before
``hass.states.async_set("sensor.building_load", ...)`` until the last station has accepted its new
setpoint (its ``PUT /regulator`` handler has set ``setpoint_ma`` to the new value; the 2.04
Changed answer is sent as that handler returns). That covers the state-change event, the allocator (run at once now; after a fixed 50 ms
debounce before), and the concurrent CoAP fan-out; the old path (aiocoap and the debounce,
bench/aiocoap_client.py) is timed beside the new one in the same run. After a few warm-up changes (not
counted), R rounds are timed; median, p95 and max are printed with the CoAP setpoints sent per
round, allocator runs per round and the process CPU time per round.

Home Assistant is the test instance of pytest-homeassistant-custom-component (the one the test
suite uses), with asyncio debug mode turned off as in production. The simulated stations run in
the same process and event loop as Home Assistant, so their CPU time is included in the figures
(it works against the result). The benchmark prints figures; it asserts no targets.

Run, from the repository root, either of::

    .venv/bin/python bench/dr_latency.py [--stations 10 50] [--rounds 30] [--warmup 3]
        [--gap 0.5] [--tick 0.2] [--profile /tmp/dr.prof] [--loop-debug]
    .venv/bin/python -m pytest bench/dr_latency.py -s -q -p no:cacheprovider

(``python -m bench.dr_latency`` is the same as the first.) Defaults: 50 stations, 30 rounds.
The first form runs the second in a child process, passing the options as environment variables
(``EV_V2G_BENCH_STATIONS``, ``EV_V2G_BENCH_ROUNDS``, ``EV_V2G_BENCH_WARMUP``,
``EV_V2G_BENCH_GAP``, ``EV_V2G_BENCH_TICK``, ``EV_V2G_BENCH_PROFILE``,
``EV_V2G_BENCH_LOOP_DEBUG``). ``bench/`` is outside the test suite's testpaths, so the normal
``pytest`` run never collects this module.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
import cProfile
from dataclasses import dataclass, field
import logging
import math
import os
from pathlib import Path
import statistics
import sys
import time
from types import MappingProxyType
from typing import Any

from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TURN_ON,
    STATE_ON,
    __version__ as HA_VERSION,  # noqa: N812
)
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import pytest_socket

# Running as `python bench/dr_latency.py` puts bench/ first on sys.path, not the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Imported first among our modules so that `custom_components` resolves to this repository.
from bench.aiocoap_client import AiocoapEndpoint
from bench.machine import machine_facts as shared_machine_facts
import custom_components.ev_v2g  # noqa: F401
from custom_components.ev_v2g import coap_endpoint
from custom_components.ev_v2g.const import DOMAIN, SUBENTRY_STATION
from custom_components.ev_v2g.sharing import power_sharing
from hardware.station_sim import SimulatedStation, StationServer, Vehicle, free_udp_port

REPO_ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = ["127.0.0.1", "::1", "::ffff:127.0.0.1"]
HOST = "127.0.0.1"
LOAD_SENSOR = "sensor.building_load"
VOLTAGE_V = 230.0
HIGH_SHARE_A = 12.0
LOW_SHARE_A = 10.0
HEADROOM_A = 2.0
"""Per station: supply limit = N x (HIGH_SHARE_A + HEADROOM_A); the load takes the rest."""
DEFAULT_TICK_S = 0.2
STATION_MAX_AGE_S = 5
STATION_RAMP_A_PER_S = 20.0
ROUND_TIMEOUT_S = 10.0
SETTLE_QUIET_S = 0.5
"""A warm-up change has settled when no setpoint arrived at any station for this long."""
CONTACT_TIMEOUT_S = 60.0

ENV_STATIONS = "EV_V2G_BENCH_STATIONS"
ENV_ROUNDS = "EV_V2G_BENCH_ROUNDS"
ENV_WARMUP = "EV_V2G_BENCH_WARMUP"
ENV_GAP = "EV_V2G_BENCH_GAP"
ENV_TICK = "EV_V2G_BENCH_TICK"
ENV_PROFILE = "EV_V2G_BENCH_PROFILE"
ENV_LOOP_DEBUG = "EV_V2G_BENCH_LOOP_DEBUG"
DEFAULT_STATIONS = (50,)
DEFAULT_ROUNDS = 30
DEFAULT_WARMUP = 3
DEFAULT_GAP_S = 0.5


def _counts() -> list[int]:
    text = os.environ.get(ENV_STATIONS, "")
    return [int(word) for word in text.replace(",", " ").split()] or list(DEFAULT_STATIONS)


def _rounds() -> int:
    return int(os.environ.get(ENV_ROUNDS) or DEFAULT_ROUNDS)


def _warmup() -> int:
    return int(os.environ.get(ENV_WARMUP) or DEFAULT_WARMUP)


def _gap_s() -> float:
    return float(os.environ.get(ENV_GAP) or DEFAULT_GAP_S)


def _tick_s() -> float:
    return float(os.environ.get(ENV_TICK) or DEFAULT_TICK_S)


def _loop_debug() -> bool:
    return os.environ.get(ENV_LOOP_DEBUG, "") not in ("", "0")


def _out(text: str = "") -> None:
    """Print one line of the report (run pytest with -s to see it)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


# --- instrumentation ------------------------------------------------------------------------------


class TimedStation(SimulatedStation):
    """A simulated station that reports every setpoint it accepts, as it accepts it."""

    on_accept: Callable[[TimedStation], None] | None = None

    def set_regulator(self, setpoint_ma: int, until: int | None = None) -> None:
        """Accept the setpoint as the simulator does, then tell the benchmark."""
        super().set_regulator(setpoint_ma, until)
        if self.on_accept is not None:
            self.on_accept(self)


@dataclass
class Recorder:
    """Counts setpoints and allocator runs; knows when every station holds its target."""

    index: dict[str, int]
    puts: int = 0
    last_put_at: float = 0.0
    allocations: int = 0
    allocation_starts: list[float] = field(default_factory=list)
    allocation_s: list[float] = field(default_factory=list)
    targets: list[int] | None = None
    waiting: set[int] = field(default_factory=set)
    first_ack_at: float | None = None
    last_ack_at: float | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def accepted(self, station: TimedStation) -> None:
        """A station accepted a PUT /regulator."""
        now = time.perf_counter()
        self.puts += 1
        self.last_put_at = now
        if self.targets is None:
            return
        i = self.index[station.station_id]
        if i in self.waiting and station.setpoint_ma == self.targets[i]:
            self.waiting.discard(i)
            if self.first_ack_at is None:
                self.first_ack_at = now
            if not self.waiting:
                self.last_ack_at = now
                self.done.set()

    def expect(self, targets: list[int], setpoints: list[int]) -> None:
        """Start waiting for every station whose setpoint is not yet its target."""
        self.targets = targets
        self.waiting = {
            i for i, (t, s) in enumerate(zip(targets, setpoints, strict=True)) if t != s
        }
        self.first_ack_at = self.last_ack_at = None
        self.done = asyncio.Event()
        if not self.waiting:
            self.done.set()

    def wrap_allocate(self, allocate: Callable[..., Any]) -> Callable[..., Any]:
        """The integration's allocator, counted and timed."""

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return allocate(*args, **kwargs)
            finally:
                self.allocations += 1
                self.allocation_starts.append(start)
                self.allocation_s.append(time.perf_counter() - start)

        return timed


@dataclass
class RoundResult:
    """One timed load change."""

    latency_s: float | None
    """Change to last acknowledgement; None when the round timed out."""
    first_ack_s: float | None
    allocation_at_s: float | None
    """Change to the first allocator run after it: event dispatch plus debounce."""
    allocation_ms: float
    puts: int
    """Setpoints accepted from this change until the next one (all stations)."""
    allocations: int
    cpu_s: float


@dataclass
class CountResult:
    """All rounds for one station count."""

    count: int
    path: str
    """"resolve": the station's address resolved for every request (before); "reuse": now."""
    supply_limit_a: float
    loads_w: tuple[float, float]
    shares_a: tuple[tuple[float, ...], tuple[float, ...]]
    rounds: list[RoundResult]
    connect_s: float


RESULTS: list[CountResult] = []


def _percentile(values: list[float], pct: float) -> float:
    """Linear-interpolated percentile (the `inclusive` method); NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _fmt(value: float, digits: int = 1) -> str:
    return "n/a" if math.isnan(value) else f"{value:.{digits}f}"


def machine_facts() -> str:
    """What this benchmark ran on."""
    return shared_machine_facts(f"Home Assistant {HA_VERSION}")


def print_report(results: list[CountResult]) -> None:
    """Print the table, the setup and the caveats."""
    if not results:
        return
    ms = 1000.0
    _out()
    _out("Demand-response latency: load sensor change in HA -> every station acknowledged")
    _out("its new setpoint (PUT /regulator accepted), ms; fair_share, load alternating")
    _out(
        f"{'N':>4} {'path':>8} {'rounds':>6} {'t/o':>4} | {'median':>7} {'p95':>7} {'max':>7}"
        f" | {'1st ack':>7} {'alloc@':>7} {'alloc':>6} | {'PUTs/rnd':>8} {'allocs/rnd':>10}"
        f" | {'CPU/rnd':>7}"
    )
    for result in results:
        rounds = result.rounds
        done = [r.latency_s * ms for r in rounds if r.latency_s is not None]
        firsts = [r.first_ack_s * ms for r in rounds if r.first_ack_s is not None]
        alloc_at = [r.allocation_at_s * ms for r in rounds if r.allocation_at_s is not None]
        alloc_ms = [r.allocation_ms for r in rounds]
        puts = [r.puts for r in rounds]
        allocs = [r.allocations for r in rounds]
        cpu = [r.cpu_s * ms for r in rounds]
        _out(
            f"{result.count:>4} {result.path:>8} {len(rounds):>6} {len(rounds) - len(done):>4}"
            f" | {_fmt(statistics.median(done) if done else math.nan):>7}"
            f" {_fmt(_percentile(done, 95)):>7} {_fmt(max(done, default=math.nan)):>7}"
            f" | {_fmt(statistics.median(firsts) if firsts else math.nan):>7}"
            f" {_fmt(statistics.median(alloc_at) if alloc_at else math.nan):>7}"
            f" {_fmt(statistics.median(alloc_ms), 2):>6}"
            f" | {_range(puts):>8} {_range(allocs):>10}"
            f" | {_fmt(statistics.median(cpu)):>7}"
        )
    _out(
        "  t/o = rounds without every acknowledgement within"
        f" {ROUND_TIMEOUT_S:g} s (left out of the figures)"
    )
    _out("  1st ack = median time to the first station's acknowledgement;")
    _out(
        "  alloc@ = median time to the allocator's run (event dispatch, plus the"
        f" {OLD_DEBOUNCE_S * 1000:g} ms debounce before); alloc = its median duration"
    )
    _out(
        "  path: before = aiocoap and a fixed 50 ms debounce (as when the issue was filed);"
        " now = the integration's endpoint, the allocator run at once"
    )
    _out("  PUTs/rnd, allocs/rnd = setpoints accepted by all stations and allocator runs from one")
    _out("  change until the next (min-max over rounds); CPU/rnd = median process CPU time")
    _out(
        "  (HA + integration + all simulated stations) from the change to the last acknowledgement"
    )
    _out()
    for result in results:
        high, low = result.shares_a
        _out(
            f"N={result.count}: supply limit {result.supply_limit_a:g} A, one phase, {VOLTAGE_V:g} V;"
            f" load {result.loads_w[0]:g} W <-> {result.loads_w[1]:g} W;"
            f" setpoints {_shares(high)} <-> {_shares(low)} per station;"
            f" all stations in contact after {result.connect_s:.1f} s"
        )
    _out(
        f"Stations: hardware.station_sim, tick {_tick_s():g} s, Max-Age {STATION_MAX_AGE_S} s,"
        f" ramp {STATION_RAMP_A_PER_S:g} A/s, each an aiocoap server on its own loopback UDP port,"
        " in the same process and event loop as Home Assistant"
    )
    _out(
        f"Home Assistant: pytest-homeassistant-custom-component test instance, asyncio debug"
        f" {'on' if _loop_debug() else 'off'}; {_warmup()} warm-up changes not counted;"
        f" {_gap_s():g} s between changes"
    )
    _out(f"Machine: {machine_facts()}")


def _range(values: list[int]) -> str:
    if not values:
        return "n/a"
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}-{high}"


def _shares(setpoints_a: tuple[float, ...]) -> str:
    distinct = sorted(set(setpoints_a))
    return "/".join(f"{value:g}" for value in distinct) + " A"


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def enable_event_loop_debug() -> None:
    """Replace the plugin's fixture: asyncio debug mode off, as Home Assistant runs in production."""
    asyncio.get_event_loop().set_debug(_loop_debug())


@pytest.fixture(autouse=True)
def quiet_core_logs() -> Iterator[None]:
    """Keep Home Assistant's INFO lines (one per entity registered) out of the report."""
    logger = logging.getLogger("homeassistant")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/ev_v2g."""


@pytest.fixture
def loopback(socket_enabled: None) -> Iterator[None]:
    """Allow real sockets, on loopback only."""
    pytest_socket.socket_allow_hosts(LOOPBACK, allow_unix_socket=True)
    yield
    pytest_socket.socket_allow_hosts(LOOPBACK, allow_unix_socket=True)


@pytest.fixture(scope="module", autouse=True)
def report() -> Iterator[None]:
    """Print the table once every station count has run."""
    RESULTS.clear()
    yield
    print_report(RESULTS)


def _bay(i: int) -> str:
    return f"bay_{i:03d}"


def _station_subentry(i: int, port: int) -> ConfigSubentryData:
    data = {
        "protocol": "coap",
        "host": HOST,
        "port": port,
        "min_current_a": 6.0,
        "max_current_a": 32.0,
        "phases": 1,
    }
    return ConfigSubentryData(
        data=MappingProxyType(data),
        subentry_type=SUBENTRY_STATION,
        title=f"Bay {i:03d}",
        unique_id=f"coap:{HOST}:{port}",
    )


@dataclass
class Site:
    """The running benchmark site."""

    servers: list[StationServer]
    recorder: Recorder
    entry: MockConfigEntry
    supply_limit_a: float
    loads_w: tuple[float, float]
    connect_s: float


@pytest.fixture
async def site(
    hass: HomeAssistant, loopback: None, monkeypatch: pytest.MonkeyPatch, count: int
) -> AsyncIterator[Site]:
    """N stations with a car each, the site set up on them, every session authorized."""
    stations = [
        TimedStation(
            station_id=_bay(i),
            max_age=STATION_MAX_AGE_S,
            tick=_tick_s(),
            ramp_a_per_s=STATION_RAMP_A_PER_S,
        )
        for i in range(count)
    ]
    recorder = Recorder(index={station.station_id: i for i, station in enumerate(stations)})
    monkeypatch.setattr(power_sharing, "allocate", recorder.wrap_allocate(power_sharing.allocate))
    servers: list[StationServer] = []
    try:
        for station in stations:
            station.on_accept = recorder.accepted
            station.plug(Vehicle(capacity_kwh=100, soc=30))
            server = StationServer(station, host=HOST, port=free_udp_port())
            await server.start()
            servers.append(server)
        supply_limit_a = count * (HIGH_SHARE_A + HEADROOM_A)
        loads_w = (
            count * HEADROOM_A * VOLTAGE_V,
            count * (HIGH_SHARE_A + HEADROOM_A - LOW_SHARE_A) * VOLTAGE_V,
        )
        hass.states.async_set(LOAD_SENSOR, f"{loads_w[0]:g}", {"unit_of_measurement": "W"})
        entry = MockConfigEntry(
            domain=DOMAIN,
            title="Garage",
            unique_id="garage",
            data={"supply_limit_a": supply_limit_a, "phases": 1, "voltage_v": VOLTAGE_V},
            options={
                "policy": "fair_share",
                "load_sensor": LOAD_SENSOR,
                "load_kind": "non_ev",
                "safe_limit_a": 0.0,
            },
            subentries_data=[_station_subentry(i, server.port) for i, server in enumerate(servers)],
        )
        entry.add_to_hass(hass)
        start = time.perf_counter()
        assert await hass.config_entries.async_setup(entry.entry_id)
        await _wait(
            lambda: all(
                (state := hass.states.get(f"binary_sensor.{_bay(i)}_connectivity")) is not None
                and state.state == STATE_ON
                for i in range(count)
            ),
            CONTACT_TIMEOUT_S,
            "every station in contact",
        )
        connect_s = time.perf_counter() - start
        await hass.services.async_call(
            "switch",
            SERVICE_TURN_ON,
            {ATTR_ENTITY_ID: [f"switch.{_bay(i)}_charging" for i in range(count)]},
            blocking=True,
        )
        yield Site(servers, recorder, entry, supply_limit_a, loads_w, connect_s)
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
    finally:
        for server in servers:
            await server.stop()


async def _wait(predicate: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within:g} s waiting for {what}")
        await asyncio.sleep(0.05)


async def _settle(recorder: Recorder, since: float, what: str) -> None:
    """Wait until a setpoint arrived after `since` and then none for SETTLE_QUIET_S."""
    await _wait(
        lambda: (
            recorder.last_put_at > since
            and time.perf_counter() - recorder.last_put_at > SETTLE_QUIET_S
        ),
        ROUND_TIMEOUT_S,
        what,
    )


# --- the benchmark --------------------------------------------------------------------------------


OLD_DEBOUNCE_S = 0.05
"""The fixed delay every change waited before the allocator ran, until this round."""


@pytest.fixture(params=["before", "now"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The path a change takes: before (aiocoap, a 50 ms debounce), or now (endpoint, at once)."""
    if request.param == "before":
        monkeypatch.setattr(coap_endpoint, "create_endpoint", AiocoapEndpoint.create)

        def debounced(self: power_sharing.PowerSharing) -> None:
            if self._pending is None:
                loop = asyncio.get_running_loop()
                self._pending = loop.call_later(OLD_DEBOUNCE_S, self._start_run)

        monkeypatch.setattr(power_sharing.PowerSharing, "_schedule_run", debounced)
    return str(request.param)


@pytest.mark.parametrize("count", _counts())
async def test_dr_latency(hass: HomeAssistant, site: Site, count: int, path: str) -> None:
    """Time R load changes, each until every station has acknowledged its new setpoint."""
    recorder = site.recorder
    stations = [server.station for server in site.servers]

    def setpoints() -> list[int]:
        return [station.setpoint_ma for station in stations]

    def set_load(k: int) -> None:
        hass.states.async_set(LOAD_SENSOR, f"{site.loads_w[k]:g}", {"unit_of_measurement": "W"})

    # Learn what each load gives every station: the sessions just authorized under load 0, then
    # load 1. Every station must change between the two, or a round would not time all of them.
    await _settle(recorder, 0.0, "first setpoints")
    targets: list[list[int]] = [setpoints()]
    since = time.perf_counter()
    set_load(1)
    await _settle(recorder, since, "setpoints for the second load")
    targets.append(setpoints())
    unchanged = [i for i in range(count) if targets[0][i] == targets[1][i]]
    assert not unchanged, f"stations {unchanged} keep their setpoint across the two loads"
    assert all(targets[0]), "a station got no current under the first load"
    assert all(targets[1]), "a station got no current under the second load"

    _out()
    _out(f"N={count}: warming up ({_warmup()} changes), then {_rounds()} timed changes")
    rounds: list[RoundResult] = []
    profile_path = os.environ.get(ENV_PROFILE)
    profiler = cProfile.Profile() if profile_path else None
    k = 1
    for n in range(_warmup() + _rounds()):
        k = 1 - k
        recorder.expect(targets[k], setpoints())
        puts, allocations = recorder.puts, recorder.allocations
        profiling = profiler is not None and n >= _warmup()
        if profiling:
            profiler.enable()
        cpu_start = time.process_time()
        start = time.perf_counter()
        set_load(k)
        try:
            async with asyncio.timeout(ROUND_TIMEOUT_S):
                await recorder.done.wait()
        except TimeoutError:
            timed_out = True
        else:
            timed_out = False
        cpu_s = time.process_time() - cpu_start
        if profiling:
            profiler.disable()
        await asyncio.sleep(_gap_s())
        new_allocations = recorder.allocation_starts[allocations:]
        durations = recorder.allocation_s[allocations:]
        result = RoundResult(
            latency_s=None if timed_out else (recorder.last_ack_at or start) - start,
            first_ack_s=None if recorder.first_ack_at is None else recorder.first_ack_at - start,
            allocation_at_s=new_allocations[0] - start if new_allocations else None,
            allocation_ms=(durations[0] * 1000) if durations else math.nan,
            puts=recorder.puts - puts,
            allocations=recorder.allocations - allocations,
            cpu_s=cpu_s,
        )
        if timed_out:
            _out(f"  change {n}: {len(recorder.waiting)} stations never acknowledged")
            await _settle(recorder, start, "recovery after a timed-out change")
        if n >= _warmup():
            rounds.append(result)
    if profiler is not None and profile_path:
        profiler.dump_stats(f"{profile_path}.{count}")
        _out(
            f"  profile of the timed rounds (change to last acknowledgement): {profile_path}.{count}"
        )
    RESULTS.append(
        CountResult(
            count=count,
            path=path,
            supply_limit_a=site.supply_limit_a,
            loads_w=site.loads_w,
            shares_a=(
                tuple(ma / 1000 for ma in targets[0]),
                tuple(ma / 1000 for ma in targets[1]),
            ),
            rounds=rounds,
            connect_s=site.connect_s,
        )
    )
    done = [r.latency_s for r in rounds if r.latency_s is not None]
    if done:
        _out(
            f"N={count}: median {statistics.median(done) * 1000:.1f} ms,"
            f" p95 {_percentile(done, 95) * 1000:.1f} ms, max {max(done) * 1000:.1f} ms"
        )
        _out("  every round, ms: " + " ".join(f"{value * 1000:.0f}" for value in sorted(done)))


# --- command line ---------------------------------------------------------------------------------


def _parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time load-sensor changes until every simulated CoAP station has its setpoint."
    )
    parser.add_argument(
        "--stations",
        type=int,
        nargs="+",
        default=list(DEFAULT_STATIONS),
        metavar="N",
        help="station counts to measure, each in a fresh Home Assistant (default: 50)",
    )
    parser.add_argument(
        "--rounds", type=int, default=DEFAULT_ROUNDS, help="timed load changes per count"
    )
    parser.add_argument(
        "--warmup", type=int, default=DEFAULT_WARMUP, help="load changes not counted"
    )
    parser.add_argument(
        "--gap", type=float, default=DEFAULT_GAP_S, help="seconds between load changes"
    )
    parser.add_argument(
        "--tick",
        type=float,
        default=DEFAULT_TICK_S,
        help="seconds between simulation steps of each station (each may notify its observers)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="PATH",
        help="cProfile the timed rounds; stats go to PATH.<N> (read with python -m pstats)",
    )
    parser.add_argument(
        "--loop-debug",
        action="store_true",
        help="keep asyncio debug mode on, as the test suite runs (slower)",
    )
    return parser.parse_args(argv)


async def _run_pytest(args: argparse.Namespace, module: str) -> int:
    env = {
        **os.environ,
        ENV_STATIONS: " ".join(str(count) for count in args.stations),
        ENV_ROUNDS: str(args.rounds),
        ENV_WARMUP: str(args.warmup),
        ENV_GAP: str(args.gap),
        ENV_TICK: str(args.tick),
        ENV_PROFILE: str(args.profile.resolve()) if args.profile else "",
        ENV_LOOP_DEBUG: "1" if args.loop_debug else "",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pytest",
        module,
        "-s",
        "-q",
        "-p",
        "no:cacheprovider",
        cwd=REPO_ROOT,
        env=env,
    )
    return await process.wait()


def main(argv: list[str] | None = None) -> None:
    """Run this module under pytest (which provides Home Assistant) with the given options."""
    module = str(Path(__file__).resolve().relative_to(REPO_ROOT))
    raise SystemExit(asyncio.run(_run_pytest(_parse_args(argv), module)))


if __name__ == "__main__":
    main()
