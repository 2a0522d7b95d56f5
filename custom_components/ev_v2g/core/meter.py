"""Cumulative energy meter that survives station restarts and counts no glitch.

A station reports a counter that only increases; it restarts from zero when the station boots.
The meter keeps a lifetime total that never steps back and never counts a kWh twice. A lower
reading is a restart only with evidence (DESIGN.md section 5):
- the station's `boot` record changed: everything counted since is new energy;
- a restart may have gone unseen (contact was lost, Home Assistant restarted): the next lower
  reading is a restart, adding at most what the station could have drawn meanwhile (its maximum
  power times the time elapsed), set with `expect_restart`;
- a new baseline the station vouches for (an OCPP transaction's meter start): `rebase`.
Any other lower reading is a glitch: it adds nothing and the meter keeps counting from where
it really was.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
import math

MAX_REGISTER_WH = 1e10
"""10 GWh: beyond any station's lifetime counter; a larger reading is invalid."""


class MeterVerdict(StrEnum):
    """What the meter made of a raw reading."""

    ACCEPTED = "accepted"
    RESET = "reset"
    INVALID = "invalid"
    GLITCH = "glitch"


@dataclass(kw_only=True)
class EnergyMeter:
    """Lifetime energy total built from a station's raw counter (Wh)."""

    total_wh: float | None = None
    last_raw_wh: float | None = None
    boot: float | None = None
    """The station's boot record at the last reading; None for a station that sends none."""
    restart_allowance_wh: float | None = None
    """Set while a restart may have gone unseen: the most a lower reading may add (None: none)."""

    def expect_restart(self, allowance_wh: float) -> None:
        """A restart may have gone unseen: the next lower reading adds at most `allowance_wh`.

        Evidence already held with a larger allowance keeps it.
        """
        self.restart_allowance_wh = max(allowance_wh, self.restart_allowance_wh or 0.0)

    def rebase(self, raw_wh: float) -> None:
        """Count on from `raw_wh`, a baseline the station vouches for; it adds nothing."""
        if _valid(raw_wh) and self.total_wh is not None:
            self.last_raw_wh = raw_wh
            self.restart_allowance_wh = None

    def update(self, raw_wh: float, *, boot: float | None = None) -> MeterVerdict:
        """Take a raw counter reading (and the station's boot record); the total only grows."""
        if not _valid(raw_wh) or (boot is not None and not math.isfinite(boot)):
            return MeterVerdict.INVALID
        rebooted = boot is not None and self.boot is not None and boot != self.boot
        if boot is not None:
            self.boot = boot
        if self.last_raw_wh is None or self.total_wh is None:
            self.total_wh = raw_wh if self.total_wh is None else self.total_wh
            return self._took(raw_wh, MeterVerdict.ACCEPTED)
        if rebooted:
            # The station says it booted: all it counted since is new energy.
            self.total_wh += raw_wh
            return self._took(raw_wh, MeterVerdict.RESET)
        if raw_wh >= self.last_raw_wh:
            self.total_wh += raw_wh - self.last_raw_wh
            return self._took(raw_wh, MeterVerdict.ACCEPTED)
        if self.restart_allowance_wh is not None:
            self.total_wh += min(raw_wh, self.restart_allowance_wh)
            return self._took(raw_wh, MeterVerdict.RESET)
        return MeterVerdict.GLITCH

    def _took(self, raw_wh: float, verdict: MeterVerdict) -> MeterVerdict:
        self.last_raw_wh = raw_wh
        self.restart_allowance_wh = None
        return verdict


def _valid(raw_wh: float) -> bool:
    return math.isfinite(raw_wh) and 0 <= raw_wh <= MAX_REGISTER_WH


def allowance_wh(max_power_w: float, elapsed_s: float) -> float:
    """What a station of `max_power_w` can have counted in `elapsed_s` seconds."""
    return max(max_power_w, 0.0) * max(elapsed_s, 0.0) / 3600
