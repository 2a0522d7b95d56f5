"""Fit a current sensor's calibration line from clamp-meter readings.

`python -m hardware.calibration fit readings.csv --out calibration.json` writes the file the
station firmware (hardware/firmware) reads its CT calibration from.
"""

from .fit import CalibrationError, LineFit, Point, fit_line, read_points, to_firmware_json

__all__ = [
    "CalibrationError",
    "LineFit",
    "Point",
    "fit_line",
    "read_points",
    "to_firmware_json",
]
