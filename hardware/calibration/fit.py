"""Least-squares calibration line: clamp amperes = slope x sensor reading + intercept.

Pure Python (no numpy), so it runs wherever the repository does. Reads (sensor reading, clamp
amperes) rows from CSV and writes the calibration file the station firmware loads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
import csv
from dataclasses import dataclass
import json
import math
from pathlib import Path

MIN_POINTS = 2


class CalibrationError(ValueError):
    """Readings that cannot give a calibration line; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Point:
    """One calibration reading: what the station measured and what the clamp meter showed."""

    reading: float
    amperes: float


@dataclass(frozen=True, slots=True)
class LineFit:
    """A fitted line and how well it explains the points."""

    slope: float
    intercept: float
    r_squared: float
    points: tuple[Point, ...]

    def amperes(self, reading: float) -> float:
        """Current the line predicts for a sensor reading."""
        return self.slope * reading + self.intercept

    def residuals(self) -> list[float]:
        """Clamp minus predicted current for each point, in amperes."""
        return [point.amperes - self.amperes(point.reading) for point in self.points]


def read_points(path: Path) -> list[Point]:
    """Read (sensor reading, clamp amperes) rows; `#` comments and one header row are skipped.

    Raises:
        CalibrationError: the file is missing, empty, or has a row that is not two numbers.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise CalibrationError(f"cannot read {path}: {err}") from err
    points: list[Point] = []
    header_allowed = True
    for line_number, row in _rows(text.splitlines()):
        if len(row) != 2:
            raise CalibrationError(
                f"line {line_number}: expected 2 columns (reading, amperes), found {len(row)}"
            )
        try:
            reading, amperes = float(row[0]), float(row[1])
        except ValueError as err:
            if header_allowed and not points:
                header_allowed = False
                continue
            raise CalibrationError(f"line {line_number}: not a number: {','.join(row)}") from err
        if not (math.isfinite(reading) and math.isfinite(amperes)):
            raise CalibrationError(f"line {line_number}: not a finite number: {','.join(row)}")
        header_allowed = False
        points.append(Point(reading, amperes))
    if not points:
        raise CalibrationError(f"{path} holds no readings")
    return points


def _rows(lines: Iterable[str]) -> Iterable[tuple[int, list[str]]]:
    for line_number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        row = next(csv.reader([line]))
        yield line_number, [cell.strip() for cell in row]


def fit_line(points: Sequence[Point]) -> LineFit:
    """Ordinary least squares of amperes on reading.

    Raises:
        CalibrationError: fewer than two points, all readings equal, or a line that does not rise.
    """
    if len(points) < MIN_POINTS:
        raise CalibrationError(f"need at least {MIN_POINTS} readings, got {len(points)}")
    count = len(points)
    mean_x = math.fsum(p.reading for p in points) / count
    mean_y = math.fsum(p.amperes for p in points) / count
    sxx = math.fsum((p.reading - mean_x) ** 2 for p in points)
    sxy = math.fsum((p.reading - mean_x) * (p.amperes - mean_y) for p in points)
    if sxx <= 0.0:
        raise CalibrationError("all sensor readings are equal: take readings at several currents")
    slope = sxy / sxx
    if slope <= 0.0:
        raise CalibrationError(
            f"the line falls (slope {slope:.4g}): readings should grow with the current"
        )
    intercept = mean_y - slope * mean_x
    total = math.fsum((p.amperes - mean_y) ** 2 for p in points)
    unexplained = math.fsum((p.amperes - (slope * p.reading + intercept)) ** 2 for p in points)
    # All clamp readings equal (total 0) cannot happen with a rising line through distinct x.
    r_squared = 1.0 - unexplained / total
    return LineFit(slope=slope, intercept=intercept, r_squared=r_squared, points=tuple(points))


def to_firmware_json(fit: LineFit) -> str:
    """The calibration file of the station firmware (`calibration.json` on the board)."""
    document = {
        "slope": fit.slope,
        "intercept": fit.intercept,
        "r_squared": round(fit.r_squared, 6),
        "points": len(fit.points),
    }
    return json.dumps(document, indent=2) + "\n"
