"""A station's energy counters taken into its meters, and what was refused said once.

Both links (CoAP and OCPP) read raw counters the same way: through the counter rule of
`core/meter.py`, counting an implausible step on the station, logging a refused reading once
while it lasts (and a kind of refusal at most every PROBLEM_INTERVAL_S however often it comes
back).
"""

from __future__ import annotations

import logging
import time

from ..core.meter import EnergyMeter, MeterVerdict
from ..core.station import Station
from ..transport.ratelimit import RateLimitedLog

_LOGGER = logging.getLogger(__name__)

REFUSED = {
    MeterVerdict.GLITCH: "below the last reading without a restart",
    MeterVerdict.INVALID: "not a valid counter",
    MeterVerdict.IMPLAUSIBLE: "more than the station can have drawn since",
}


class CounterReader:
    """Takes one station's raw counter readings (Wh) into its meters."""

    def __init__(self, station: Station, log: RateLimitedLog) -> None:
        """Read for `station`, saying what is refused through `log`."""
        self.station = station
        self._log = log
        self._refusing: set[str] = set()
        """Counters whose last reading was refused (logged once until one is taken)."""

    def take(self, name: str, meter: EnergyMeter, raw_wh: float, boot: float | None = None) -> bool:
        """Take a reading of counter `name` (with the station's boot record); whether it added."""
        station = self.station
        before = meter.total_wh
        outcome = meter.update(
            raw_wh, boot=boot, at=time.monotonic(), max_power_w=station.capabilities.max_power_w()
        )
        if outcome is MeterVerdict.IMPLAUSIBLE:
            station.implausible_readings += 1
        if outcome in REFUSED:
            if name not in self._refusing:
                self._refusing.add(name)
                self._log.warning(
                    (name, "refused"),
                    "%s: ignored %s %s Wh (%s, last %s Wh): it adds nothing",
                    station.name,
                    name,
                    raw_wh,
                    REFUSED[outcome],
                    meter.last_raw_wh,
                )
            return False
        self._refusing.discard(name)
        if outcome is MeterVerdict.RESET:
            _LOGGER.info("%s: %s counter restarted", station.name, name)
        elif outcome is MeterVerdict.REBASED:
            self._log.warning(
                (name, "rebased"),
                "%s: %s counter jumped to %s Wh and counts on from there: the jump adds nothing",
                station.name,
                name,
                raw_wh,
            )
        return meter.total_wh != before
