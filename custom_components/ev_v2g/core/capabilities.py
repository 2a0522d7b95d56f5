"""What a station can do: its current range and discharge, from its configuration and reports."""

from __future__ import annotations

from dataclasses import dataclass
import math


class InvalidSetpointError(ValueError):
    """A setpoint outside what the station can do."""

    def __init__(self, reason: str, setpoint_a: float) -> None:
        """Keep the reason ("out_of_range" or "discharge_not_allowed") for translation."""
        super().__init__(f"{reason}: {setpoint_a} A")
        self.reason = reason
        self.setpoint_a = setpoint_a


PLAUSIBLE_MARGIN = 1.25
"""How far beyond its limits a station's report may go before it is impossible, not imprecise."""
PLAUSIBLE_VOLTAGE_V = 253.0
"""The highest mains voltage a report is checked against (230 V + 10 %)."""


@dataclass(frozen=True, kw_only=True)
class Capabilities:
    """What a station can do, from its configuration and what it reports."""

    min_current_a: float = 6.0
    max_current_a: float = 32.0
    max_discharge_a: float = 0.0
    phases: int = 1

    def max_power_w(self, voltage_v: float | None = None) -> float:
        """The most it can draw or give, at `voltage_v` (230 V when unknown) with 10 % to spare."""
        current_a = max(self.max_current_a, self.max_discharge_a, 0.0)
        return current_a * self.phases * (voltage_v or 230.0) * 1.1

    def plausible_current_a(self, current_a: float) -> bool:
        """Whether a reported current (A, negative when discharging) is physically possible."""
        most = max(self.max_current_a, self.max_discharge_a, 0.0) * PLAUSIBLE_MARGIN
        return math.isfinite(current_a) and abs(current_a) <= most

    def plausible_power_w(self, power_w: float) -> bool:
        """Whether a reported power (W, negative when discharging) is physically possible."""
        most = self.max_power_w(PLAUSIBLE_VOLTAGE_V) * PLAUSIBLE_MARGIN
        return math.isfinite(power_w) and abs(power_w) <= most

    @property
    def can_discharge(self) -> bool:
        """Whether the station can deliver energy to the grid."""
        return self.max_discharge_a > 0

    def within(self, min_a: float, max_a: float, max_discharge_a: float) -> Capabilities | None:
        """What a station that reports these limits may do under this configuration.

        The report narrows the configuration, never widens it: discharge is capped by the
        configured maximum current. None when the report makes no sense (a maximum below the
        minimum or below zero, a negative discharge), which is then ignored.
        """
        values = (min_a, max_a, max_discharge_a)
        if not all(math.isfinite(v) and v >= 0 for v in values) or min_a > max_a:
            return None
        low, high = max(self.min_current_a, min_a), min(self.max_current_a, max_a)
        if low > high:
            return None
        discharge = min(self.max_current_a, max_discharge_a)
        return Capabilities(
            min_current_a=low,
            max_current_a=high,
            max_discharge_a=discharge if discharge >= low else 0.0,
            phases=self.phases,
        )

    def check_setpoint(self, setpoint_a: float) -> None:
        """Raise InvalidSetpointError unless the station accepts this setpoint."""
        if not math.isfinite(setpoint_a):
            raise InvalidSetpointError("out_of_range", setpoint_a)
        if setpoint_a == 0:
            return
        if setpoint_a < 0 and not self.can_discharge:
            raise InvalidSetpointError("discharge_not_allowed", setpoint_a)
        upper = self.max_current_a if setpoint_a > 0 else self.max_discharge_a
        if not self.min_current_a <= abs(setpoint_a) <= upper:
            raise InvalidSetpointError("out_of_range", setpoint_a)
