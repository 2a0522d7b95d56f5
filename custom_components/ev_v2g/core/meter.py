"""Cumulative energy meter that survives station restarts and rejects impossible readings.

A station reports a counter that only increases; it resets to zero when the station restarts.
The meter keeps a lifetime total that never steps back and never counts a kWh twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
import math

# After a restart a station counts from zero: a first reading below this is taken as a reset.
RESET_CEILING_WH = 100.0


class MeterVerdict(StrEnum):
    """What the meter made of a raw reading."""

    ACCEPTED = "accepted"
    RESET = "reset"
    INVALID = "invalid"
    BACKWARDS = "backwards"


@dataclass(kw_only=True)
class EnergyMeter:
    """Lifetime energy total built from a station's raw counter (Wh)."""

    total_wh: float | None = None
    last_raw_wh: float | None = None
    restart_suspected: bool = False

    def update(self, raw_wh: float) -> MeterVerdict:
        """Take a raw counter reading; the total only moves forward."""
        if not math.isfinite(raw_wh) or raw_wh < 0:
            return MeterVerdict.INVALID
        if self.last_raw_wh is None or self.total_wh is None:
            self.total_wh = raw_wh if self.total_wh is None else self.total_wh
            self.last_raw_wh = raw_wh
            self.restart_suspected = False
            return MeterVerdict.ACCEPTED
        if raw_wh >= self.last_raw_wh:
            self.total_wh += raw_wh - self.last_raw_wh
            self.last_raw_wh = raw_wh
            self.restart_suspected = False
            return MeterVerdict.ACCEPTED
        if self.restart_suspected or raw_wh < RESET_CEILING_WH:
            # The station restarted: everything it counted since then is new energy.
            self.total_wh += raw_wh
            self.last_raw_wh = raw_wh
            self.restart_suspected = False
            return MeterVerdict.RESET
        return MeterVerdict.BACKWARDS
