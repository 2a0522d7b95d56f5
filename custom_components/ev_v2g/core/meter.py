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

A step forward is plausible only up to what the station can draw (its maximum power, with a
margin) since its counter last moved. A larger one adds nothing; should the next reading count
on from it, the counter really moved there (a meter swapped) and it is the new baseline. The
slack each step is granted (a counter is read a moment after it counts) is a credit that only
real time refills: however a counter spreads its steps, the total grows by at most the maximum
power over the time that passed, plus one slack.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
import math

MAX_REGISTER_WH = 1e10
"""10 GWh: beyond any station's lifetime counter; a larger reading is invalid."""
POWER_MARGIN = 1.25
"""How far above its maximum power a station's counter may plausibly run."""
STEP_SLACK_S = 30.0
"""Seconds added to the time elapsed: a counter is read a moment after it counts."""


class MeterVerdict(StrEnum):
    """What the meter made of a raw reading."""

    ACCEPTED = "accepted"
    RESET = "reset"
    INVALID = "invalid"
    GLITCH = "glitch"
    IMPLAUSIBLE = "implausible"
    REBASED = "rebased"
    """The counter went on from an implausible jump: that is its new baseline."""


@dataclass(kw_only=True)
class EnergyMeter:
    """Lifetime energy total built from a station's raw counter (Wh)."""

    total_wh: float | None = None
    last_raw_wh: float | None = None
    boot: float | None = None
    """The station's boot record at the last reading; None for a station that sends none."""
    restart_allowance_wh: float | None = None
    """Set while a restart may have gone unseen: the most a lower reading may add (None: none)."""
    moved_at: float | None = None
    """When the counter last moved, on the caller's clock (seconds); None: not known."""
    _jump: tuple[float, float] | None = None
    """An implausible step forward (raw Wh, when), kept to see whether the counter goes on."""
    _credit: tuple[float, float] | None = None
    """What the counter may still add (Wh) as of when (the caller's clock); None: a full slack."""

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

    def update(
        self,
        raw_wh: float,
        *,
        boot: float | None = None,
        at: float | None = None,
        max_power_w: float | None = None,
    ) -> MeterVerdict:
        """Take a raw counter reading (and the station's boot record); the total only grows.

        With `at` (seconds, the caller's clock) and the station's `max_power_w`, a step
        forward larger than it can have drawn since the counter last moved is implausible.
        """
        if not _valid(raw_wh) or (boot is not None and not math.isfinite(boot)):
            return MeterVerdict.INVALID
        if at is not None and not math.isfinite(at):
            at = None
        rebooted = boot is not None and self.boot is not None and boot != self.boot
        if self.last_raw_wh is None or self.total_wh is None:
            self._keep_boot(boot)
            self.total_wh = raw_wh if self.total_wh is None else self.total_wh
            return self._took(raw_wh, at, MeterVerdict.ACCEPTED)
        if rebooted or raw_wh >= self.last_raw_wh:
            # A boot the station reports: all it counted since is new energy.
            step = raw_wh if rebooted else raw_wh - self.last_raw_wh
            most = self._most_wh(self.moved_at, at, max_power_w)
            if step > most:
                return self._jumped(raw_wh, at, max_power_w, boot)
            self._keep_boot(boot)
            self._spend(step, most, at)
            self.total_wh += step
            return self._took(raw_wh, at, MeterVerdict.RESET if rebooted else MeterVerdict.ACCEPTED)
        self._keep_boot(boot)
        if self.restart_allowance_wh is not None:
            self.total_wh += min(raw_wh, self.restart_allowance_wh)
            return self._took(raw_wh, at, MeterVerdict.RESET)
        return MeterVerdict.GLITCH

    def _keep_boot(self, boot: float | None) -> None:
        """The boot record of a reading taken (a station without one keeps None)."""
        if boot is not None:
            self.boot = boot

    def _most_wh(self, since: float | None, at: float | None, max_power_w: float | None) -> float:
        """The largest plausible step from `since` to `at` (unbounded when either is unknown).

        No more than the credit left by earlier steps and refilled since.
        """
        if since is None or at is None or max_power_w is None:
            return math.inf
        most = allowance_wh(max_power_w * POWER_MARGIN, at - since + STEP_SLACK_S)
        if self._credit is not None:
            credit_wh, credit_at = self._credit
            most = min(most, credit_wh + allowance_wh(max_power_w * POWER_MARGIN, at - credit_at))
        return most

    def _spend(self, step_wh: float, most_wh: float, at: float | None) -> None:
        """A step taken out of what was plausible at `at`: the rest is the credit from then."""
        if at is not None and math.isfinite(most_wh):
            self._credit = (max(most_wh - step_wh, 0.0), at)

    def _jumped(
        self, raw_wh: float, at: float | None, max_power_w: float | None, boot: float | None
    ) -> MeterVerdict:
        """A step too large: the new baseline if the counter goes on from an earlier one.

        Going on means counting past it: the same absurd value notified again confirms nothing.
        """
        jump = self._jump
        most = math.inf if jump is None else self._most_wh(jump[1], at, max_power_w)
        if jump is not None and jump[0] < raw_wh and raw_wh - jump[0] <= most:
            self._keep_boot(boot)
            self._spend(raw_wh - jump[0], most, at)
            self.total_wh = (self.total_wh or 0.0) + raw_wh - jump[0]
            return self._took(raw_wh, at, MeterVerdict.REBASED)
        self._jump = (raw_wh, at if at is not None else 0.0)
        return MeterVerdict.IMPLAUSIBLE

    def _took(self, raw_wh: float, at: float | None, verdict: MeterVerdict) -> MeterVerdict:
        if raw_wh != self.last_raw_wh or self.moved_at is None:
            self.moved_at = at
        self.last_raw_wh = raw_wh
        self.restart_allowance_wh = None
        self._jump = None
        return verdict


def _valid(raw_wh: float) -> bool:
    return math.isfinite(raw_wh) and 0 <= raw_wh <= MAX_REGISTER_WH


def allowance_wh(max_power_w: float, elapsed_s: float) -> float:
    """What a station of `max_power_w` can have counted in `elapsed_s` seconds."""
    return max(max_power_w, 0.0) * max(elapsed_s, 0.0) / 3600
