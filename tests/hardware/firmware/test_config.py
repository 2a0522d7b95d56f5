"""config.json and calibration.json: defaults, and a clear refusal of anything wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hardware.calibration import fit_line, read_points, to_firmware_json
from hardware.firmware import config
from hardware.firmware.app import Firmware, load_settings
from hardware.firmware.hal_sim import SimulatedHal

TABLE_2 = Path(__file__).parents[1] / "calibration" / "fixtures" / "calibration_table2.csv"
EXAMPLE = Path(__file__).parents[3] / "hardware" / "firmware" / "config.example.json"


def test_defaults_fill_in_and_the_example_loads() -> None:
    """An empty file is a valid station; the shipped example is valid too."""
    settings = config.load_config("{}")
    assert (settings["port"], settings["watchdog_s"], settings["max_age_s"]) == (5683, 60, 10)
    example = config.load_config(EXAMPLE.read_text())
    assert example["controllers"] == ["192.168.1.10"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("[]", "JSON object"),
        ("{", "not JSON"),
        ('{"max_amps": 16}', "unknown setting 'max_amps'"),
        ('{"max_ma": "16000"}', "max_ma must be a number"),
        ('{"watchdog_s": NaN}', "watchdog_s must be a number"),
        ('{"min_ma": 20000, "max_ma": 16000}', "min_ma <= max_ma"),
        ('{"max_discharge_ma": 1000}', "max_discharge_ma"),
        ('{"fallback_ma": 40000}', "fallback_ma"),
        ('{"relay_pin": "D4"}', "relay_pin must be a GPIO"),
        ('{"relay_active_high": 1}', "relay_active_high"),
        ('{"controllers": "192.0.2.1"}', "controllers must be a list"),
        ('{"port": 70000}', "port must be within"),
        ('{"max_age_s": 0}', "max_age_s must be greater than 0"),
    ],
)
def test_bad_settings_are_named(document: str, message: str) -> None:
    """Each mistake raises ConfigError naming the setting."""
    with pytest.raises(config.ConfigError, match=message):
        config.load_config(document)


def test_the_calibration_tool_writes_what_the_firmware_reads(tmp_path: Path) -> None:
    """hardware.calibration's output is the firmware's calibration.json, line and all."""
    fit = fit_line(read_points(TABLE_2))
    (tmp_path / config.CALIBRATION_FILE).write_text(to_firmware_json(fit))
    hal = SimulatedHal(None, str(tmp_path))
    settings, calibration = load_settings(hal)
    assert calibration == (fit.slope, fit.intercept)
    station = Firmware(hal, settings, calibration).station
    assert (station.slope, station.intercept) == (fit.slope, fit.intercept)


def test_missing_calibration_uses_the_theoretical_line(tmp_path: Path) -> None:
    """No calibration.json: the burden-resistor line, and a log line saying so."""
    hal = SimulatedHal(None, str(tmp_path))
    _, calibration = load_settings(hal)
    assert calibration == (config.THEORETICAL_SLOPE, 0.0)
    assert any("calibration.json absent" in line for line in hal.logs)


@pytest.mark.parametrize(
    "document", ['{"slope": 0}', '{"slope": -0.2}', '{"intercept": 1}', '{"slope": "x"}']
)
def test_bad_calibration_is_refused(document: str) -> None:
    """A line that does not rise, or no numbers, is refused."""
    with pytest.raises(config.ConfigError):
        config.load_calibration(document)


def test_a_calibration_from_the_paper_reads_the_papers_units(tmp_path: Path) -> None:
    """With Table 2's line, a reading of 54.15 gives the clamp's 10.8 A within the fit's error."""
    document = json.loads(to_firmware_json(fit_line(read_points(TABLE_2))))
    slope, intercept = config.load_calibration(json.dumps(document))
    assert slope * 54.15 + intercept == pytest.approx(10.8, abs=0.2)
