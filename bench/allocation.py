"""Benchmark the power-limit allocator (core/allocation.py) on sites of 10 to 10,000 stations.

Each site is a three-phase supply with a mix of single-phase stations (spread over L1-L3) and
three-phase stations; 70 % have a session, a third of those cars are V2G with an opted-in resident,
5 % of the stations are out of contact (their budget is reserved) and 5 % are in manual control.
The supply carries about 60 % of what the cars want, so the policy has to choose. For every policy
and demand-response mode the allocator runs R times on the same input; the figures are the median
and the worst wall time of one call (``time.perf_counter``), in milliseconds.

Run: ``.venv/bin/python -m bench.allocation [--counts 10 100 1000 10000] [--rounds 20]``.
It prints figures; it asserts no targets (the goal is 10,000 stations in under 50 ms).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from bench.machine import machine_facts
from custom_components.ev_v2g.core.allocation import (
    DemandResponse,
    DemandResponseMode,
    Policy,
    SiteLimits,
    StationDemand,
    allocate,
)

PHASE_SETS = (frozenset({0}), frozenset({1}), frozenset({2}), frozenset({0, 1, 2}))
CASES = (
    ("fair_share", Policy.FAIR_SHARE, DemandResponse()),
    ("fcfs", Policy.FCFS, DemandResponse()),
    ("priority", Policy.PRIORITY, DemandResponse()),
    ("fair_share + limit", Policy.FAIR_SHARE, DemandResponse(mode=DemandResponseMode.LIMIT)),
    ("discharge", Policy.FAIR_SHARE, DemandResponse(mode=DemandResponseMode.DISCHARGE)),
)


def build_site(count: int, rng: random.Random) -> tuple[float, list[StationDemand]]:
    """A site of `count` stations; returns the supply per phase and the stations."""
    stations = []
    wanted = [0.0, 0.0, 0.0]
    for index in range(count):
        phases = rng.choice(PHASE_SETS)
        max_a = rng.choice([16.0, 32.0])
        session = rng.random() < 0.7
        v2g = session and rng.random() < 0.33
        roll = rng.random()
        fixed = max_a if roll < 0.05 else (10.0 if roll < 0.10 else None)
        stations.append(
            StationDemand(
                key=f"station-{index:05}",
                phases=phases,
                min_a=6.0,
                max_a=max_a,
                max_discharge_a=16.0 if v2g else 0.0,
                wants_charge=session,
                session_start=rng.uniform(0, 86_400),
                priority=rng.randint(0, 3),
                v2g_opt_in=v2g,
                soc=rng.choice([None, rng.uniform(20, 90)]),
                reserve_soc=30.0,
                session_net_wh=rng.uniform(0, 20_000),
                fixed_a=fixed,
            )
        )
        if session:
            for phase in phases:
                wanted[phase] += max_a
    return 0.6 * max(wanted), stations


def time_case(
    site: SiteLimits, demand_response: DemandResponse, stations: list[StationDemand], rounds: int
) -> tuple[float, float]:
    """Median and worst milliseconds of one allocate() call."""
    allocate(site, demand_response, stations, now=100_000.0)  # warm-up
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        allocate(site, demand_response, stations, now=100_000.0)
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings), max(timings)


def main() -> None:
    """Print the allocator's time per site size, policy and demand-response mode."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[10, 100, 1000, 10_000])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    print(machine_facts())
    print(f"{'stations':>8}  {'case':<20} {'median ms':>10} {'max ms':>9}")
    for count in args.counts:
        supply_a, stations = build_site(count, random.Random(count))
        for label, policy, request in CASES:
            power_w = 0.3 * supply_a * 3 * 230
            request = DemandResponse(mode=request.mode, power_w=power_w)
            site = SiteLimits(limit_a=(supply_a,) * 3, voltage_v=230.0, policy=policy)
            median, worst = time_case(site, request, stations, args.rounds)
            print(f"{count:>8}  {label:<20} {median:>10.2f} {worst:>9.2f}")


if __name__ == "__main__":
    main()
