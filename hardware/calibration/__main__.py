"""Command line: `python -m hardware.calibration fit FILE.csv [--out calibration.json]`.

Prints the line, R² and a residual per reading; with --out, writes the firmware's calibration
file. Bad input ends with a one-line error and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
from pathlib import Path
import sys

from .fit import CalibrationError, LineFit, fit_line, read_points, to_firmware_json

EXIT_BAD_INPUT = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m hardware.calibration",
        description="Fit a current sensor's calibration line from clamp-meter readings.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    fit = commands.add_parser(
        "fit", help="fit amperes = slope x reading + intercept from a CSV of (reading, amperes)"
    )
    fit.add_argument("csv", type=Path, help="rows of: sensor reading, clamp amperes")
    fit.add_argument("--out", type=Path, help="write the firmware's calibration.json here")
    return parser


def report(fit: LineFit) -> str:
    """The fit as a person reads it: the line, R² and a table of residuals."""
    sign = "-" if fit.intercept < 0 else "+"
    lines = [
        f"f(x) = {fit.slope:.4g} x {sign} {abs(fit.intercept):.4g}",
        f"slope      {fit.slope:.6g} A per reading",
        f"intercept  {fit.intercept:.6g} A",
        f"R²         {fit.r_squared:.4f}",
        f"points     {len(fit.points)}",
        "",
        f"{'reading':>10} {'clamp A':>9} {'fitted A':>9} {'residual':>9}",
    ]
    for point, residual in zip(fit.points, fit.residuals(), strict=True):
        fitted = fit.amperes(point.reading)
        lines.append(
            f"{point.reading:>10.6g} {point.amperes:>9.3f} {fitted:>9.3f} {residual:>+9.3f}"
        )
    worst = max(abs(residual) for residual in fit.residuals())
    lines.append(f"largest residual {worst:.3f} A")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    arguments = _parser().parse_args(argv)
    try:
        fit = fit_line(read_points(arguments.csv))
    except CalibrationError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(report(fit))
    if arguments.out is not None:
        try:
            arguments.out.write_text(to_firmware_json(fit), encoding="utf-8")
        except OSError as err:
            print(f"error: cannot write {arguments.out}: {err}", file=sys.stderr)
            return EXIT_BAD_INPUT
        print(f"wrote {arguments.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
