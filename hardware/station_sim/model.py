"""Physics of a simulated charging station and the vehicle plugged into it.

No networking here: `SimulatedStation.advance(dt)` moves the world forward by `dt` seconds
(current ramps, energy integrates, the state of charge follows) and the CoAP side only reads it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import math
import time

TAPER_BAND_PCT = 2.0
"""The vehicle draws (or feeds) less in the last percent points before full (or its floor)."""

TAPER_CUTOFF_A = 1.0
"""Below this current a tapering vehicle stops drawing (or feeding) altogether."""

LINE_RESISTANCE_OHM = 0.05
"""Voltage sags with import and rises with export, as on a real feeder."""


class SetpointError(ValueError):
    """A regulator setpoint the station refuses: out of range, or its expiry already past."""


class DischargeNotAllowedError(SetpointError):
    """A discharge setpoint the station or the plugged vehicle cannot honour."""


@dataclass
class Vehicle:
    """A battery on wheels: capacity, state of charge and whether it can feed back (V2G)."""

    capacity_kwh: float = 40.0
    soc: float = 50.0
    v2g: bool = False
    reports_soc: bool = True
    """Many vehicles never tell an AC station their state of charge; then /vehicle omits it."""

    def __post_init__(self) -> None:
        """Reject a vehicle that could not exist."""
        if not self.capacity_kwh > 0:
            raise ValueError("capacity_kwh must be positive")
        if not 0.0 <= self.soc <= 100.0:
            raise ValueError("soc must be within 0..100")


@dataclass
class Faults:
    """Misbehaviours to switch on in a test; each affects the next notifications and GETs.

    When several are on, the first in this order wins: missing, served, unknown_content_format,
    malformed_senml, non_numeric, nan_values, energy_backwards. The SenML faults apply to both
    /current and /energy.
    """

    malformed_senml: bool = False
    """SenML resources send truncated JSON."""
    non_numeric: bool = False
    """SenML records carry `"v": "abc"`."""
    nan_values: bool = False
    """SenML records carry NaN and Infinity numbers."""
    energy_backwards: bool = False
    """/energy reports energy_import 1000 Wh lower than the true counter, without a restart."""
    energy_reported_wh: float | None = None
    """/energy reports this energy_import instead of the true counter (a glitching meter)."""
    unknown_content_format: bool = False
    """SenML resources answer in text/plain (content format 0) instead of SenML JSON (110)."""
    missing: set[str] = field(default_factory=set)
    """Resource names (e.g. "energy", ".well-known/core") that answer 4.04 Not Found."""
    regulator_limits: dict[str, int] = field(default_factory=dict)
    """/regulator reports these values (e.g. {"max_ma": -5000}) instead of the station's own."""
    served: dict[str, bytes] = field(default_factory=dict)
    """Resource names whose GETs and notifications carry these bytes instead (a hostile station).

    Sent with the resource's own content format; overrides every other fault of the resource.
    """

    def signature(self) -> tuple[object, ...]:
        """Return a value that changes whenever any switch changes."""
        return (
            self.malformed_senml,
            self.non_numeric,
            self.nan_values,
            self.energy_backwards,
            self.energy_reported_wh,
            self.unknown_content_format,
            frozenset(self.missing),
            tuple(sorted(self.regulator_limits.items())),
            tuple(sorted(self.served.items())),
        )


@dataclass
class SimulatedStation:
    """A charging station with a switch, a current regulator, meters and maybe a vehicle.

    Configuration comes first; the fields after `clock` are state. Currents are in amperes
    internally and in milliamperes on the regulator, as on the wire.
    """

    station_id: str = "sim-1"
    min_ma: int = 6000
    max_ma: int = 32000
    max_discharge_ma: int = 16000
    """Largest discharge current; 0 when the station cannot discharge at all."""
    fallback_ma: int = 0
    """Setpoint the station returns to when a setpoint's `until` passes, and after a reboot."""
    max_age: int = 10
    """Seconds a /current or /energy reading stays fresh (CoAP Max-Age)."""
    tick: float = 1.0
    """Seconds between simulation steps when served."""
    ramp_a_per_s: float = 10.0
    nominal_voltage: float = 230.0
    soc_floor: float = 10.0
    """Discharge stops at this state of charge (percent)."""
    clock: Callable[[], float] = time.time
    """Wall clock in unix seconds, for `until` and SenML base times; tests may replace it."""
    regulator_delay_s: float = 0.0
    """Seconds a PUT /regulator takes to be applied and answered (a slow station)."""
    boot_record: bool = True
    """Whether /energy carries a `boot` record (off: a station by someone else without one)."""
    rt_prefix: str | None = "ev_v2g."
    """What discovery's `rt` values start with ("ev_v2g.switch"); None lists no `rt` at all."""
    discharge_as_min_ma: bool = False
    """/regulator says it discharges the contract's way, `min_ma` < 0, with no `max_discharge_ma`."""
    reports_v2g: bool = True
    """Whether /vehicle carries `v2g` (off: absent, "as the station says")."""

    switch_on: bool = field(default=False, init=False)
    setpoint_ma: int = field(default=0, init=False)
    until: int | None = field(default=None, init=False)
    current_a: float = field(default=0.0, init=False)
    energy_import_wh: float = field(default=0.0, init=False)
    energy_export_wh: float = field(default=0.0, init=False)
    delivered_wh: float = field(default=0.0, init=False)
    """All the energy it gave the car, never reset by a reboot: the truth a bill is checked by."""
    boots: int = field(default=1, init=False)
    """This boot's number, sent as /energy's `boot` record when `boot_record` is on."""
    vehicle: Vehicle | None = field(default=None, init=False)
    faults: Faults = field(default_factory=Faults, init=False)
    applied: list[tuple[float, int]] = field(default_factory=list, init=False)
    """Every setpoint in force, as (time.monotonic(), mA) from the moment it applied: the truth
    a test checks the site's limit against (the integration never reads it)."""

    def __post_init__(self) -> None:
        """Check the configuration and start from the fallback setpoint."""
        if not 0 < self.min_ma <= self.max_ma:
            raise ValueError("need 0 < min_ma <= max_ma")
        if self.max_discharge_ma and not self.min_ma <= self.max_discharge_ma:
            raise ValueError("max_discharge_ma must be 0 or at least min_ma")
        if self.max_age < 1 or self.tick <= 0 or self.ramp_a_per_s <= 0:
            raise ValueError("max_age, tick and ramp_a_per_s must be positive")
        self._apply(self.fallback_ma)

    def _apply(self, setpoint_ma: int) -> None:
        """Put a setpoint in force and write it down."""
        self.setpoint_ma = setpoint_ma
        if not self.applied or self.applied[-1][1] != setpoint_ma:
            self.applied.append((time.monotonic(), setpoint_ma))

    @property
    def voltage(self) -> float:
        """Line voltage in volts: nominal, less the drop across the feeder."""
        return round(self.nominal_voltage - LINE_RESISTANCE_OHM * self.current_a, 1)

    @property
    def power_w(self) -> float:
        """Active power in watts; negative while discharging."""
        return self.current_a * self.voltage

    @property
    def can_discharge(self) -> bool:
        """Whether the station has discharge hardware at all."""
        return self.max_discharge_ma > 0

    def set_switch(self, on: bool) -> None:
        """Enable or disable charging; the current ramps accordingly over the next ticks."""
        self.switch_on = on

    def set_regulator(self, setpoint_ma: int, until: int | None = None) -> None:
        """Accept a setpoint in mA (negative = discharge) valid until `until` (unix s) or forever.

        Raises:
            DischargeNotAllowedError: a discharge the station or the plugged vehicle cannot do.
            SetpointError: a magnitude outside the station's limits, or `until` not in the future.
        """
        if setpoint_ma < 0:
            if not self.can_discharge:
                raise DischargeNotAllowedError("this station cannot discharge")
            if self.vehicle is not None and not self.vehicle.v2g:
                raise DischargeNotAllowedError("the plugged vehicle cannot discharge")
            if not self.min_ma <= -setpoint_ma <= self.max_discharge_ma:
                raise SetpointError(
                    f"discharge must be within {self.min_ma}..{self.max_discharge_ma} mA"
                )
        elif setpoint_ma > 0 and not self.min_ma <= setpoint_ma <= self.max_ma:
            raise SetpointError(f"setpoint must be 0 or within {self.min_ma}..{self.max_ma} mA")
        if until is not None and until <= self.clock():
            raise SetpointError("until is not in the future")
        self._apply(setpoint_ma)
        self.until = until

    def plug(self, vehicle: Vehicle) -> None:
        """Plug a vehicle in (replacing any other); the current ramps up from zero."""
        self.vehicle = vehicle
        self.current_a = 0.0

    def unplug(self) -> None:
        """Unplug the vehicle: the current drops to zero at once."""
        self.vehicle = None
        self.current_a = 0.0

    def reboot(self) -> None:
        """Forget everything volatile, as a firmware restart does; the vehicle stays plugged."""
        self.switch_on = False
        self._apply(self.fallback_ma)
        self.until = None
        self.current_a = 0.0
        self.energy_import_wh = 0.0
        self.energy_export_wh = 0.0
        self.boots += 1

    def acceptance_a(self) -> tuple[float, float]:
        """Largest current the vehicle takes (charge) and gives (discharge) at its state of charge.

        Both fall linearly over the last TAPER_BAND_PCT before full or the floor, and drop to zero
        below TAPER_CUTOFF_A; the vehicle enforces this itself, without the station's ramp.
        """
        vehicle = self.vehicle
        if vehicle is None:
            return 0.0, 0.0
        charge = self._tapered(self.max_ma / 1000, 100.0 - vehicle.soc)
        discharge = 0.0
        if vehicle.v2g and self.can_discharge:
            discharge = self._tapered(self.max_discharge_ma / 1000, vehicle.soc - self.soc_floor)
        return charge, discharge

    @staticmethod
    def _tapered(limit_a: float, headroom_pct: float) -> float:
        if headroom_pct >= TAPER_BAND_PCT:
            return limit_a
        tapered = limit_a * max(headroom_pct, 0.0) / TAPER_BAND_PCT
        return tapered if tapered >= TAPER_CUTOFF_A else 0.0

    def target_a(self) -> float:
        """Current the station steers towards (negative = discharge), within what the vehicle takes."""
        if self.vehicle is None or not self.switch_on:
            return 0.0
        charge, discharge = self.acceptance_a()
        return max(-discharge, min(charge, self.setpoint_ma / 1000))

    def advance(self, dt: float) -> None:
        """Move the world forward by `dt` seconds."""
        if dt <= 0:
            return
        if self.until is not None and self.clock() >= self.until:
            self._apply(self.fallback_ma)
            self.until = None
        step = self.ramp_a_per_s * dt
        gap = self.target_a() - self.current_a
        charge, discharge = self.acceptance_a()
        ramped = self.current_a + max(-step, min(step, gap))
        self.current_a = round(max(-discharge, min(charge, ramped)), 6)
        energy_wh = self.power_w * dt / 3600
        if energy_wh > 0:
            self.energy_import_wh += energy_wh
            self.delivered_wh += energy_wh
        else:
            self.energy_export_wh -= energy_wh
        if self.vehicle is not None:
            gained_pct = energy_wh / (self.vehicle.capacity_kwh * 10)
            self.vehicle.soc = min(100.0, max(0.0, self.vehicle.soc + gained_pct))

    def reported_soc(self) -> int | None:
        """State of charge as the vehicle reports it (whole percent), or None when unknown."""
        vehicle = self.vehicle
        if vehicle is None or not vehicle.reports_soc or not math.isfinite(vehicle.soc):
            return None
        return min(100, max(0, round(vehicle.soc)))
