"""How station readings are rounded for their sensors."""

from __future__ import annotations

import math

import pytest

from custom_components.ev_v2g.sensor import _rounded


@pytest.mark.parametrize(
    ("value", "digits", "shown"),
    [(-0.3, 0, 0.0), (-0.04, 1, 0.0), (-0.0, 0, 0.0), (-787.4, 0, -787.0), (15.96, 1, 16.0)],
)
def test_a_tiny_negative_reading_is_zero_not_minus_zero(
    value: float, digits: int, shown: float
) -> None:
    """An idle station's -0.3 W shows as 0 W on the dashboard, never "-0 W"."""
    rounded = _rounded(value, digits)
    assert rounded == shown
    assert rounded is not None
    assert math.copysign(1.0, rounded) == math.copysign(1.0, shown)


def test_no_reading_stays_unknown() -> None:
    """A reading the station has not sent yet stays None (unknown)."""
    assert _rounded(None, 0) is None
