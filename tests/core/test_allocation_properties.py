"""Properties of the allocator over random sites of 0-200 stations (hypothesis)."""

from __future__ import annotations

import math
import random

from hypothesis import given, settings, strategies as st

from custom_components.ev_v2g.core.allocation import (
    Allocation,
    DemandResponse,
    DemandResponseMode,
    Policy,
    Rotation,
    SiteLimits,
    StationDemand,
    allocate,
)

EPSILON = 1e-6
PHASE_SETS = [frozenset({0}), frozenset({1}), frozenset({2}), frozenset({0, 1, 2})]


def random_stations(rng: random.Random, phase_count: int, count: int) -> list[StationDemand]:
    """`count` stations with random capabilities, sessions, residents and fixed budgets.

    Drawn from a seeded generator rather than field by field: hypothesis picks the seed and the
    count (and shrinks the count), and 200 stations cost microseconds instead of seconds.
    """
    result = []
    for index in range(count):
        min_a = rng.choice([6.0, 6.0, 6.0, 8.0, 10.0])
        result.append(
            StationDemand(
                key=f"s{index:03}",
                phases=rng.choice(PHASE_SETS[:1] if phase_count == 1 else PHASE_SETS),
                min_a=min_a,
                max_a=round(rng.uniform(min_a, 80), 1),
                max_discharge_a=rng.choice([0.0, min_a, 16.0, 32.0]),
                wants_charge=rng.random() < 0.6,
                session_start=rng.choice([None, rng.uniform(0, 1e6)]),
                priority=rng.randint(0, 5),
                v2g_opt_in=rng.random() < 0.5,
                soc=rng.choice([None, rng.uniform(0, 100)]),
                reserve_soc=rng.uniform(0, 100),
                session_net_wh=rng.uniform(-5000, 50000),
                fixed_a=rng.choice([None, None, None, float(rng.randint(-16, 40))]),
            )
        )
    return result


@st.composite
def sites(draw: st.DrawFn) -> tuple[SiteLimits, DemandResponse, list[StationDemand]]:
    """A random site, demand-response request and stations."""
    phase_count = draw(st.sampled_from([1, 3]))
    limits = tuple(draw(st.floats(0, 1000)) for _ in range(phase_count))
    site = SiteLimits(
        limit_a=limits,
        voltage_v=draw(st.sampled_from([120.0, 230.0, 240.0])),
        policy=draw(st.sampled_from(list(Policy))),
        max_active=draw(st.one_of(st.none(), st.integers(0, 50))),
        rotation_period_s=draw(st.floats(60, 7200)),
    )
    demand_response = DemandResponse(
        mode=draw(st.sampled_from(list(DemandResponseMode))),
        power_w=draw(st.floats(0, 500_000)),
    )
    count = draw(st.integers(0, 200))
    seed = draw(st.integers(0, 2**32 - 1))
    return site, demand_response, random_stations(random.Random(seed), phase_count, count)


def phases_of(station: StationDemand, phase_count: int) -> frozenset[int]:
    """The supply phases a station loads, as the allocator counts them."""
    return frozenset(p for p in station.phases if p < phase_count) or frozenset({0})


def check_import_within_limit(
    site: SiteLimits,
    demand_response: DemandResponse,
    stations: list[StationDemand],
    result: Allocation,
) -> None:
    """On every phase: fixed budgets plus coordinated import never exceed the available limit."""
    phase_count = len(site.limit_a)
    limit = list(site.limit_a)
    if demand_response.mode is DemandResponseMode.LIMIT:
        cap = demand_response.power_w / (site.voltage_v * phase_count)
        limit = [min(value, cap) for value in limit]
    for phase in range(phase_count):
        fixed = sum(
            max(s.fixed_a, 0)
            for s in stations
            if s.fixed_a is not None and phase in phases_of(s, phase_count)
        )
        coordinated = sum(
            max(result.setpoints[s.key], 0)
            for s in stations
            if s.fixed_a is None and phase in phases_of(s, phase_count)
        )
        if fixed <= limit[phase]:
            assert fixed + coordinated <= limit[phase] + EPSILON
        else:
            assert coordinated == 0
        assert result.phase_load_a[phase] == fixed + coordinated or math.isclose(
            result.phase_load_a[phase], fixed + coordinated
        )


def check_setpoints_in_range(
    demand_response: DemandResponse, stations: list[StationDemand], result: Allocation
) -> None:
    """Every setpoint is 0 or within [min, max]; discharge only when asked and allowed."""
    assert set(result.setpoints) == {s.key for s in stations if s.fixed_a is None}
    for station in stations:
        if station.fixed_a is not None:
            continue
        setpoint = result.setpoints[station.key]
        if setpoint > 0:
            assert station.wants_charge
            assert station.min_a - EPSILON <= setpoint <= station.max_a + EPSILON
        elif setpoint < 0:
            assert demand_response.mode is DemandResponseMode.DISCHARGE
            assert station.may_discharge
            assert station.min_a - EPSILON <= -setpoint <= station.max_discharge_a + EPSILON


def check_discharge(
    site: SiteLimits,
    demand_response: DemandResponse,
    stations: list[StationDemand],
    result: Allocation,
) -> None:
    """Discharge delivers what was asked, or the most available (short by under one minimum)."""
    if demand_response.mode is not DemandResponseMode.DISCHARGE:
        assert result.discharge_w == 0
        return
    phase_count = len(site.limit_a)
    candidates = [
        (
            s.min_a * site.voltage_v * len(phases_of(s, phase_count)),
            s.max_discharge_a * site.voltage_v * len(phases_of(s, phase_count)),
        )
        for s in stations
        if s.may_discharge
    ]
    used = [s for s in stations if s.fixed_a is None and result.setpoints[s.key] < 0]
    # Rounding to 0.1 A moves each car by at most 0.05 A on each of its phases.
    rounding = sum(0.05 * site.voltage_v * len(phases_of(s, phase_count)) for s in used) + EPSILON
    asked = demand_response.power_w
    assert result.discharge_w <= asked + rounding
    lowest = sum(low for low, _ in candidates)
    if lowest <= asked:
        assert result.discharge_w >= min(asked, sum(high for _, high in candidates)) - rounding
    else:
        biggest_minimum = max(low for low, _ in candidates)
        assert result.discharge_w > asked - biggest_minimum - rounding


@settings(max_examples=300, deadline=None)
@given(sites())
def test_allocation_properties(
    case: tuple[SiteLimits, DemandResponse, list[StationDemand]],
) -> None:
    """Import within the limit on every phase, setpoints in range, discharge as asked."""
    site, demand_response, station_list = case
    result = allocate(site, demand_response, station_list, now=1e6)
    check_import_within_limit(site, demand_response, station_list, result)
    check_setpoints_in_range(demand_response, station_list, result)
    check_discharge(site, demand_response, station_list, result)


@settings(max_examples=100, deadline=None)
@given(sites(), st.randoms(use_true_random=False))
def test_same_input_same_output(
    case: tuple[SiteLimits, DemandResponse, list[StationDemand]], shuffler: random.Random
) -> None:
    """The answer depends on the stations, not on the order they are listed in."""
    site, demand_response, station_list = case
    shuffled = list(station_list)
    shuffler.shuffle(shuffled)
    first = allocate(site, demand_response, station_list, now=1e6)
    second = allocate(site, demand_response, shuffled, now=1e6)
    assert first.setpoints == second.setpoints
    assert sorted(first.queued) == sorted(second.queued)


@settings(max_examples=60, deadline=None)
@given(
    phase_count=st.sampled_from([1, 3]),
    count=st.integers(2, 14),
    data=st.data(),
)
def test_no_waiting_car_starves_under_rotation(
    phase_count: int, count: int, data: st.DataObject
) -> None:
    """fair_share over simulated time: every car charges, and none waits unboundedly long."""
    period = 900.0
    cars = [
        StationDemand(
            key=f"c{i:02}",
            phases=data.draw(st.sampled_from(PHASE_SETS[:1] if phase_count == 1 else PHASE_SETS)),
            min_a=data.draw(st.sampled_from([6.0, 8.0, 10.0])),
            max_a=32.0,
            wants_charge=True,
            session_start=float(i),
        )
        for i in range(count)
    ]
    # Room for at least the largest minimum on every phase, but not for everybody at once.
    limit = data.draw(st.floats(10, 6.0 * count))
    site = SiteLimits(
        limit_a=(limit,) * phase_count, policy=Policy.FAIR_SHARE, rotation_period_s=period
    )
    rotation = Rotation()
    last_served = dict.fromkeys((c.key for c in cars), 0.0)
    longest_wait = 0.0
    now = 0.0
    horizon = (count + 3) * period * 2
    while now <= horizon:
        result = allocate(site, DemandResponse(), cars, now=now, rotation=rotation)
        rotation = result.rotation
        for key in result.active:
            last_served[key] = now
        longest_wait = max(longest_wait, *(now - served for served in last_served.values()))
        step = period / 3
        if result.next_rotation_at is not None:
            step = min(step, result.next_rotation_at - now)
        now += step
    assert longest_wait <= (count + 2) * period
