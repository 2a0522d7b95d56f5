"""Meter values (1.6 and 2.0.1 ``meterValue`` lists) to the quantities a connector reports.

The library hands the payload over with snake_case keys. Values are text in 1.6 and numbers
in 2.0.1; 2.0.1 gives the unit as ``unitOfMeasure`` with a power-of-ten multiplier.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
import math
from typing import Any

from .timefmt import parse_timestamp

ENERGY_IMPORT = "Energy.Active.Import.Register"
ENERGY_EXPORT = "Energy.Active.Export.Register"
CURRENT_IMPORT = "Current.Import"
CURRENT_EXPORT = "Current.Export"
POWER_IMPORT = "Power.Active.Import"
POWER_EXPORT = "Power.Active.Export"
VOLTAGE = "Voltage"
SOC = "SoC"

# Measurand -> (unit -> factor to our unit). The first unit is the default when none is given.
_UNITS: dict[str, dict[str, float]] = {
    ENERGY_IMPORT: {"Wh": 1.0, "kWh": 1000.0},
    ENERGY_EXPORT: {"Wh": 1.0, "kWh": 1000.0},
    CURRENT_IMPORT: {"A": 1.0},
    CURRENT_EXPORT: {"A": 1.0},
    POWER_IMPORT: {"W": 1.0, "kW": 1000.0},
    POWER_EXPORT: {"W": 1.0, "kW": 1000.0},
    VOLTAGE: {"V": 1.0},
    SOC: {"Percent": 1.0},
}
_SUMMED = frozenset({ENERGY_IMPORT, ENERGY_EXPORT, POWER_IMPORT, POWER_EXPORT})
_NOT_NEGATIVE = frozenset({ENERGY_IMPORT, ENERGY_EXPORT, VOLTAGE, SOC})
_LINE_PHASES = frozenset({"L1", "L2", "L3", "L1-N", "L2-N", "L3-N"})
_IGNORED_LOCATIONS = frozenset({"Body", "Cable"})


@dataclass(slots=True)
class MeterSample:
    """One ``meterValue`` element: what it says, in Wh, A, W, V and %."""

    timestamp: float
    values: dict[str, float] = field(default_factory=dict)
    """Measurand -> value, for the measurands above only."""


@dataclass(slots=True)
class _Readings:
    """The sampled values of one measurand within one sample."""

    total: list[float] = field(default_factory=list)
    phases: list[float] = field(default_factory=list)
    inlet: list[float] = field(default_factory=list)

    def combine(self, measurand: str) -> float | None:
        """One value: the phase-less one, else the phases combined, else an inlet reading."""
        if measurand in (CURRENT_IMPORT, CURRENT_EXPORT):
            readings = self.total + self.phases or self.inlet
            return max(readings) if readings else None
        if self.total:
            return self.total[-1]
        if self.phases:
            if measurand in _SUMMED:
                return math.fsum(self.phases)
            return math.fsum(self.phases) / len(self.phases)
        return self.inlet[-1] if self.inlet else None


def parse_meter_values(
    meter_values: Iterable[Mapping[str, Any]], problems: list[str]
) -> list[MeterSample]:
    """The samples of a ``meterValue`` list, oldest first; elements of one timestamp are merged.

    Args:
        meter_values: the list as the library passes it (snake_case keys).
        problems: receives a short reason for every value left out (bad number, unit, ...).
    """
    by_time: dict[float, MeterSample] = {}
    for meter_value in meter_values:
        timestamp = parse_timestamp(meter_value.get("timestamp"))
        if timestamp is None:
            problems.append(f"sample with an invalid timestamp {meter_value.get('timestamp')!r}")
            continue
        readings: dict[str, _Readings] = {}
        for sampled in meter_value.get("sampled_value", ()):
            _read(sampled, readings, problems)
        sample = by_time.get(timestamp)
        if sample is None:
            sample = by_time[timestamp] = MeterSample(timestamp)
        for measurand, reading in readings.items():
            if (value := reading.combine(measurand)) is not None:
                sample.values[measurand] = value
    return [by_time[timestamp] for timestamp in sorted(by_time)]


def _read(sampled: Mapping[str, Any], readings: dict[str, _Readings], problems: list[str]) -> None:
    """File one ``sampledValue`` under its measurand, converted to our unit."""
    measurand = sampled.get("measurand", ENERGY_IMPORT)
    units = _UNITS.get(measurand)
    if units is None or sampled.get("format") == "SignedData":
        return
    location = sampled.get("location")
    if location in _IGNORED_LOCATIONS:
        return
    unit_of_measure = sampled.get("unit_of_measure")
    if unit_of_measure is not None:  # 2.0.1
        unit = unit_of_measure.get("unit")
        multiplier = unit_of_measure.get("multiplier", 0)
    else:
        unit = sampled.get("unit")
        multiplier = 0
    factor = units.get(next(iter(units)) if unit is None else unit)
    if factor is None:
        problems.append(f"{measurand} in unsupported unit {unit!r}")
        return
    value = _number(sampled.get("value"))
    if value is None or not isinstance(multiplier, int) or abs(multiplier) > 9:
        problems.append(f"{measurand} value {sampled.get('value')!r} is not a finite number")
        return
    value *= factor * 10.0**multiplier
    if (value < 0 and measurand in _NOT_NEGATIVE) or (measurand == SOC and value > 100):
        problems.append(f"{measurand} value {value} is out of range")
        return
    reading = readings.setdefault(measurand, _Readings())
    phase = sampled.get("phase")
    if location == "Inlet":
        reading.inlet.append(value)
    elif phase is None:
        reading.total.append(value)
    elif phase in _LINE_PHASES:
        reading.phases.append(value)


def _number(raw: object) -> float | None:
    """A finite float from a 1.6 text value or a 2.0.1 number."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str):
        try:
            raw = float(raw)
        except ValueError:
            return None
    if isinstance(raw, int | float) and math.isfinite(raw):
        return float(raw)
    return None
