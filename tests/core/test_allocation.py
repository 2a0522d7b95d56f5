"""The allocator on hand-made sites: policies, phases, fixed budgets and demand response."""

from __future__ import annotations

import pytest

from custom_components.ev_v2g.core.allocation import (
    DemandResponse,
    DemandResponseMode,
    Policy,
    Rotation,
    SiteLimits,
    StationDemand,
    allocate,
)
from custom_components.ev_v2g.core.filling import fill_equally

NORMAL = DemandResponse()


def car(key: str, start: float, **kwargs: object) -> StationDemand:
    """A station with an authorized session that started at `start`."""
    return StationDemand(key=key, wants_charge=True, session_start=start, **kwargs)  # type: ignore[arg-type]


def site(limit: float | tuple[float, ...], policy: Policy, **kwargs: object) -> SiteLimits:
    """A site with `limit` amperes per phase."""
    limits = limit if isinstance(limit, tuple) else (limit,)
    return SiteLimits(limit_a=limits, policy=policy, **kwargs)  # type: ignore[arg-type]


def test_condo_fcfs_two_of_three_charge() -> None:
    """The pilot: the supply carries two cars; the third waits for one to finish."""
    cars = [car("a", 1), car("b", 2), car("c", 3)]
    result = allocate(site(14, Policy.FCFS), NORMAL, cars, now=10)
    assert result.setpoints == {"a": 8.0, "b": 6.0, "c": 0.0}
    assert result.active == ("a", "b")
    assert result.queued == ("c",)
    result = allocate(site(14, Policy.FCFS), NORMAL, cars[1:], now=20)
    assert result.setpoints == {"b": 8.0, "c": 6.0}
    assert result.queued == ()


def test_fair_share_splits_equally_up_to_each_max() -> None:
    """Water-filling: equal shares, and what one car cannot take goes to the others."""
    cars = [car("a", 1, max_a=10), car("b", 2), car("c", 3)]
    result = allocate(site(40, Policy.FAIR_SHARE), NORMAL, cars, now=10)
    assert result.setpoints == {"a": 10.0, "b": 15.0, "c": 15.0}


def test_fair_share_rounds_down_to_a_tenth() -> None:
    """Three cars on 20 A get 6.6 A each, never a total above the limit."""
    cars = [car(key, i) for i, key in enumerate("abc")]
    result = allocate(site(20, Policy.FAIR_SHARE), NORMAL, cars, now=10)
    assert result.setpoints == {"a": 6.6, "b": 6.6, "c": 6.6}
    assert result.phase_load_a[0] <= 20


def test_priority_then_start_order() -> None:
    """The resident with the higher priority charges first, even when they came later."""
    cars = [car("a", 1), car("b", 2, priority=5), car("c", 3)]
    result = allocate(site(14, Policy.PRIORITY), NORMAL, cars, now=10)
    assert result.setpoints == {"a": 6.0, "b": 8.0, "c": 0.0}


def test_max_active_caps_how_many_charge() -> None:
    """max_active = 1: the second car waits although the supply would carry it."""
    cars = [car("a", 1), car("b", 2)]
    result = allocate(site(63, Policy.FAIR_SHARE, max_active=1), NORMAL, cars, now=10)
    assert result.setpoints == {"a": 32.0, "b": 0.0}
    assert result.queued == ("b",)


def test_single_phase_stations_on_a_three_phase_supply() -> None:
    """Two cars on L1 share it; the car on L2 has its phase alone; a 3-phase car loads all."""
    cars = [
        car("l1a", 1, phases=frozenset({0})),
        car("l1b", 2, phases=frozenset({0})),
        car("l2", 3, phases=frozenset({1})),
        car("three", 4, phases=frozenset({0, 1, 2})),
    ]
    result = allocate(site((25, 25, 25), Policy.FAIR_SHARE), NORMAL, cars, now=10)
    assert result.setpoints == {"l1a": 8.3, "l1b": 8.3, "l2": 16.6, "three": 8.3}
    assert all(load <= 25 for load in result.phase_load_a)


def test_a_station_that_does_not_fit_is_skipped_not_the_rest() -> None:
    """FCFS skips a 3-phase car whose minimum does not fit and admits a later 1-phase car."""
    cars = [
        car("first", 1, phases=frozenset({0})),
        car("three", 2, phases=frozenset({0, 1, 2})),
        car("l2", 3, phases=frozenset({1})),
    ]
    result = allocate(site((10, 10, 10), Policy.FCFS), NORMAL, cars, now=10)
    assert result.setpoints == {"first": 10.0, "three": 0.0, "l2": 10.0}


def test_fixed_budgets_count_against_the_limit() -> None:
    """A manual station and a station out of contact keep their amperes; the rest share the rest."""
    stations = [
        StationDemand(key="manual", wants_charge=True, fixed_a=10),
        StationDemand(key="lost", fixed_a=16),
        car("a", 1),
    ]
    result = allocate(site(32, Policy.FAIR_SHARE), NORMAL, stations, now=10)
    assert result.setpoints == {"a": 6.0}
    assert result.phase_load_a == (32.0,)


def test_fixed_budgets_above_the_limit_pause_everyone_else() -> None:
    """No headroom left: coordinated cars get 0 rather than less than their minimum."""
    stations = [StationDemand(key="lost", fixed_a=30), car("a", 1)]
    result = allocate(site(32, Policy.FCFS), NORMAL, stations, now=10)
    assert result.setpoints == {"a": 0.0}
    assert result.queued == ("a",)


def test_idle_stations_are_paused_and_not_queued() -> None:
    """A station without a session gets 0 and is neither active nor queued."""
    result = allocate(site(32, Policy.FCFS), NORMAL, [StationDemand(key="idle")], now=0)
    assert result.setpoints == {"idle": 0.0}
    assert (result.active, result.queued) == ((), ())


def test_limit_mode_caps_the_site_in_kw() -> None:
    """Limit mode, 4.6 kW at 230 V on one phase: 20 A for everybody together."""
    cars = [car("a", 1), car("b", 2)]
    result = allocate(
        site(63, Policy.FAIR_SHARE),
        DemandResponse(mode=DemandResponseMode.LIMIT, power_w=4600),
        cars,
        now=10,
    )
    assert result.setpoints == {"a": 10.0, "b": 10.0}


def test_shed_pauses_every_coordinated_station() -> None:
    """shed: no coordinated charging at all; a manual station keeps its value."""
    stations = [car("a", 1), StationDemand(key="manual", wants_charge=True, fixed_a=8)]
    result = allocate(
        site(63, Policy.FCFS), DemandResponse(mode=DemandResponseMode.SHED), stations, now=10
    )
    assert result.setpoints == {"a": 0.0}
    assert result.queued == ("a",)
    assert result.phase_load_a == (8.0,)


def v2g_car(key: str, start: float, **kwargs: object) -> StationDemand:
    """A plugged, opted-in V2G car with plenty of charge."""
    values: dict[str, object] = {"max_discharge_a": 16.0, "v2g_opt_in": True, "soc": 80}
    values.update(kwargs)
    return car(key, start, **values)


DISCHARGE_7KW = DemandResponse(mode=DemandResponseMode.DISCHARGE, power_w=7000)


def test_discharge_is_split_across_the_cars_that_may_discharge() -> None:
    """7 kW over two opted-in cars; a car not opted in and one at its reserve pause."""
    cars = [
        v2g_car("a", 1),
        v2g_car("b", 2),
        v2g_car("not_opted_in", 3, v2g_opt_in=False),
        v2g_car("at_reserve", 4, soc=30, reserve_soc=30),
        car("no_v2g", 5),
    ]
    result = allocate(site(63, Policy.FAIR_SHARE), DISCHARGE_7KW, cars, now=10)
    assert result.setpoints == {
        "a": -15.2,
        "b": -15.2,
        "not_opted_in": 0.0,
        "at_reserve": 0.0,
        "no_v2g": 0.0,
    }
    assert result.discharge_w == pytest.approx(6992)
    assert result.active == ("a", "b")


def test_discharge_without_soc_gives_back_only_what_the_session_charged() -> None:
    """Unknown SoC: a car may discharge only when its session charged more than it gave back."""
    cars = [
        v2g_car("charged", 1, soc=None, session_net_wh=2000),
        v2g_car("fresh", 2, soc=None, session_net_wh=0),
    ]
    result = allocate(site(63, Policy.FCFS), DISCHARGE_7KW, cars, now=10)
    assert result.setpoints == {"charged": -16.0, "fresh": 0.0}
    assert result.discharge_w == pytest.approx(16 * 230)


def test_discharge_smaller_than_the_minimum_of_two_cars_uses_one() -> None:
    """2 kW cannot be split into two 6 A (1.38 kW) minimums: one car delivers it all."""
    cars = [v2g_car("a", 1), v2g_car("b", 2)]
    request = DemandResponse(mode=DemandResponseMode.DISCHARGE, power_w=2000)
    result = allocate(site(63, Policy.FCFS), request, cars, now=10)
    assert result.setpoints == {"a": -8.7, "b": 0.0}


def test_discharge_below_any_minimum_delivers_nothing() -> None:
    """1 kW is less than one car's minimum: nobody discharges rather than overshooting."""
    request = DemandResponse(mode=DemandResponseMode.DISCHARGE, power_w=1000)
    result = allocate(site(63, Policy.FCFS), request, [v2g_car("a", 1)], now=10)
    assert result.setpoints == {"a": 0.0}
    assert result.discharge_w == 0


def test_fair_share_rotation_lets_a_waiting_car_in() -> None:
    """After the period, the longest-charging car yields to the one waiting."""
    limits = site(12, Policy.FAIR_SHARE, rotation_period_s=600)
    cars = [car("a", 1), car("b", 2), car("c", 3)]
    first = allocate(limits, NORMAL, cars, now=0)
    assert first.active == ("a", "b")
    assert first.next_rotation_at == 600
    same = allocate(limits, NORMAL, cars, now=599, rotation=first.rotation)
    assert same.active == ("a", "b")
    rotated = allocate(limits, NORMAL, cars, now=600, rotation=same.rotation)
    assert rotated.queued in {("a",), ("b",)}
    assert "c" in rotated.active
    assert rotated.rotation.served_since["c"] == 600


def test_same_input_same_output() -> None:
    """Deterministic: the result does not depend on the order of the stations."""
    cars = [car(str(i), i % 3, max_a=10 + i) for i in range(12)]
    limits = site(50, Policy.FAIR_SHARE)
    assert (
        allocate(limits, NORMAL, cars, now=5).setpoints
        == allocate(limits, NORMAL, list(reversed(cars)), now=5).setpoints
    )


def test_fill_equally_with_nothing_to_share() -> None:
    """No slack: nobody gets more; no items: an empty answer."""
    assert fill_equally([("a", frozenset({0}), 10.0)], [0.0]) == {"a": 0.0}
    assert fill_equally([], [5.0]) == {}


def test_empty_site() -> None:
    """No stations: nothing to do, nothing queued."""
    result = allocate(site(32, Policy.FCFS), NORMAL, [], now=0, rotation=Rotation())
    assert result.setpoints == {}
    assert result.next_rotation_at is None
