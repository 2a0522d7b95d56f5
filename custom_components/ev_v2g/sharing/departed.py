"""Stations that left the site while they may still apply a setpoint: counted until it lapses."""

from __future__ import annotations

from dataclasses import dataclass
import time


@dataclass(frozen=True)
class _Held:
    phases: frozenset[int]
    current_a: float
    until: float


class DepartedStations:
    """What stations removed unanswered may still draw, per phase, until their leases end."""

    def __init__(self) -> None:
        """None yet."""
        self._held: dict[str, _Held] = {}

    def hold(self, key: str, phases: frozenset[int], current_a: float, until: float) -> None:
        """A station left with `current_a` in force on `phases` until `until` (epoch seconds)."""
        if current_a > 0 and until > time.time():
            self._held[key] = _Held(phases, current_a, until)

    def release(self, key: str) -> None:
        """A station followed again: it is counted as itself."""
        self._held.pop(key, None)

    def less(self, limits: tuple[float, ...], now: float) -> tuple[float, ...]:
        """The limits per phase less what departed stations may still apply at `now`."""
        for key, held in list(self._held.items()):
            if now >= held.until:
                del self._held[key]
                continue
            limits = tuple(
                max(value - held.current_a, 0.0)
                if phase in held.phases or len(limits) == 1
                else value
                for phase, value in enumerate(limits)
            )
        return limits

    def ends(self) -> list[float]:
        """When the holds end (power sharing plans again then)."""
        return [held.until for held in self._held.values()]
