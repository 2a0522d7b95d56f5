"""Splitting a discharge request across the cars that may give energy back.

Equal shares in watts, each within the car's minimum and maximum discharge current; when not every
car's minimum fits in the request, the cars able to give the most are used.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class DischargingCar:
    """A car that may give energy back: its station and the current range it may discharge at."""

    key: str
    min_a: float
    max_discharge_a: float


def split_discharge(
    cars: Iterable[DischargingCar],
    power_w: float,
    voltage_v: float,
    loads: Mapping[str, frozenset[int]],
) -> dict[str, float]:
    """Split a discharge request equally (in watts) across the cars that may discharge.

    Cars are taken in order of the most they can give; one whose minimum no longer fits is left
    out, so the delivery falls short of the request by less than one car's minimum at most.
    """
    candidates: list[tuple[DischargingCar, float, float]] = []
    for station in cars:
        watts_per_a = voltage_v * len(loads[station.key])
        candidates.append(
            (station, station.min_a * watts_per_a, station.max_discharge_a * watts_per_a)
        )
    candidates.sort(key=lambda c: (-c[2], c[1], c[0].key))
    chosen: list[tuple[DischargingCar, float, float]] = []
    lowest = highest = 0.0
    target = max(power_w, 0.0)
    for candidate in candidates:
        if lowest + candidate[1] <= target:
            chosen.append(candidate)
            lowest += candidate[1]
            highest += candidate[2]
    level = _level(chosen, min(target, highest))
    setpoints: dict[str, float] = {}
    for station, low, high in chosen:
        watts = min(high, max(low, level))
        amps = round(watts / (voltage_v * len(loads[station.key])), 1)
        setpoints[station.key] = -min(station.max_discharge_a, max(station.min_a, amps))
    return setpoints


def _level(chosen: list[tuple[DischargingCar, float, float]], total: float) -> float:
    """The common power level λ with Σ clamp(λ, low, high) = total (an equal split in watts)."""
    if not chosen:
        return 0.0
    # Σ clamp(λ, low, high) is piecewise linear in λ: its slope rises by one at each low and falls
    # by one at each high, so walking the sorted breakpoints finds λ in O(n log n).
    events = sorted([(low, 1) for _, low, _ in chosen] + [(high, -1) for _, _, high in chosen])
    value = sum(low for _, low, _ in chosen)
    position, slope = events[0][0], 0
    for point, delta in events:
        gain = slope * (point - position)
        if slope > 0 and value + gain >= total:
            return position + (total - value) / slope
        value += gain
        position = point
        slope += delta
    return position
