"""Progressive filling: raise every station's share equally until its cap or a full phase stops it.

Stations on the same phases freeze together, so the work is a few sorts, not a loop per ampere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
import math


def fill_equally(
    items: Iterable[tuple[str, frozenset[int], float]], slack: Sequence[float]
) -> dict[str, float]:
    """Share `slack` (per phase) equally across (key, phases, cap) items, each up to its cap.

    Returns the amount each key gets. The sum on every phase stays within that phase's slack.
    """
    groups: dict[frozenset[int], list[tuple[str, float]]] = {}
    for key, phases, cap in items:
        groups.setdefault(phases, []).append((key, max(cap, 0.0)))
    level_of: dict[frozenset[int], float] = {}
    active = set(groups)
    while active:
        best_level, best_phase = math.inf, -1
        for phase, budget in enumerate(slack):
            touching = [g for g in active if phase in g]
            if not touching:
                continue
            used = sum(_used(groups[g], level_of[g]) for g in level_of if phase in g)
            caps = sorted(cap for g in touching for _, cap in groups[g])
            level = _max_level(caps, budget - used)
            if level < best_level:
                best_level, best_phase = level, phase
        if best_phase < 0 or math.isinf(best_level):
            level_of.update(dict.fromkeys(active, math.inf))
            break
        for group in [g for g in active if best_phase in g]:
            level_of[group] = best_level
            active.discard(group)
    return {
        key: min(cap, level_of[group]) for group, members in groups.items() for key, cap in members
    }


def _used(members: list[tuple[str, float]], level: float) -> float:
    return sum(min(cap, level) for _, cap in members)


def _max_level(caps: list[float], budget: float) -> float:
    """The largest t with Σ min(cap, t) <= budget over sorted caps; inf when all caps fit."""
    if budget <= 0:
        return 0.0
    consumed = 0.0
    for index, cap in enumerate(caps):
        remaining = len(caps) - index
        level = (budget - consumed) / remaining
        if level <= cap:
            return level
        consumed += cap
    return math.inf
