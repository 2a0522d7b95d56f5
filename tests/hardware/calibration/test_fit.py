"""The calibration fit reproduces the paper's Table 2 line and refuses readings it cannot fit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hardware.calibration import CalibrationError, Point, fit_line, read_points, to_firmware_json
from hardware.calibration.__main__ import main

TABLE_2 = Path(__file__).parent / "fixtures" / "calibration_table2.csv"


def test_table_2_gives_the_papers_line() -> None:
    """f(x) = 0.2103 x - 0.6785 with R² 0.99, to the paper's rounding."""
    fit = fit_line(read_points(TABLE_2))
    assert len(fit.points) == 14
    assert round(fit.slope, 4) == 0.2103
    assert round(fit.intercept, 4) == -0.6785
    assert round(fit.r_squared, 2) == 0.99
    assert sum(fit.residuals()) == pytest.approx(0.0, abs=1e-9)


def test_an_exact_line_is_recovered() -> None:
    """Points on a known line give that line back with R² of 1."""
    fit = fit_line([Point(x, 0.5 * x - 2.0) for x in (4.0, 10.0, 30.0, 60.0)])
    assert fit.slope == pytest.approx(0.5)
    assert fit.intercept == pytest.approx(-2.0)
    assert fit.r_squared == pytest.approx(1.0)


def test_cli_prints_the_fit_and_writes_the_firmware_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The report names the line, R² and residuals; the JSON is what the firmware reads."""
    out = tmp_path / "calibration.json"
    assert main(["fit", str(TABLE_2), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "f(x) = 0.2103 x - 0.6785" in printed
    assert "R²         0.9893" in printed
    assert "115.35    25.960    23.577    +2.383" in printed
    document = json.loads(out.read_text())
    assert set(document) == {"slope", "intercept", "r_squared", "points"}
    assert round(document["slope"], 4) == 0.2103
    assert document["points"] == 14


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "holds no readings"),
        ("# only a comment\nsensor_reading,clamp_amperes\n", "holds no readings"),
        ("reading,amperes\n1,2\nten,3\n", "line 3: not a number: ten,3"),
        ("1,2\n3\n", "line 2: expected 2 columns"),
        ("1,2\n2,nan\n", "line 2: not a finite number"),
        ("5,2.5\n", "need at least 2 readings, got 1"),
        ("5,2.5\n5,3.0\n5,3.5\n", "all sensor readings are equal"),
        ("1,9\n2,5\n3,1\n", "the line falls"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    """No traceback, a message that says what is wrong, a non-zero status, no file written."""
    csv_file = tmp_path / "readings.csv"
    csv_file.write_text(content)
    out = tmp_path / "calibration.json"
    assert main(["fit", str(csv_file), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ")
    assert message in captured.err
    assert "Traceback" not in captured.err
    assert not out.exists()


def test_missing_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A path that does not exist is reported, not raised."""
    assert main(["fit", str(tmp_path / "nope.csv")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_errors_are_calibration_errors() -> None:
    """Library callers catch one exception type."""
    with pytest.raises(CalibrationError):
        fit_line([])


def test_firmware_json_round_trips() -> None:
    """The written file holds the exact fitted numbers."""
    fit = fit_line([Point(0.0, 0.0), Point(1000.0, 3.05)])
    document = json.loads(to_firmware_json(fit))
    assert document["slope"] == fit.slope
    assert document["intercept"] == fit.intercept
