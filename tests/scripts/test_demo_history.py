"""The demo's past months: the months before this one, and energy like the pilot's."""

from __future__ import annotations

from datetime import UTC, datetime
import random

from scripts.demo_history import MONTHS, month_starts, months_of_charging, statistics


def test_the_months_before_this_one_across_a_new_year() -> None:
    """From February 2027, six months back: August 2026 to January 2027."""
    starts = month_starts(datetime(2027, 2, 14, tzinfo=UTC), 6)
    assert [(start.year, start.month) for start in starts] == [
        (2026, 8), (2026, 9), (2026, 10), (2026, 11), (2026, 12), (2027, 1),
    ]  # fmt: skip
    assert all(start.day == 1 and start.hour == 0 for start in starts)


def test_months_like_the_pilots() -> None:
    """The pilot's 2450 kWh by 3 cars in 3.5 months is 233 kWh a car a month; sums run up."""
    months = [kwh for seed in range(20) for kwh in months_of_charging(random.Random(seed))]
    mean = sum(months) / len(months)
    assert 2450 / 3 / 3.5 * 0.9 < mean < 2450 / 3 / 3.5 * 1.1
    rows = statistics("sensor.flat_1a_charged_this_month", "kWh", "energy", months[:MONTHS])
    sums = [row["sum"] for row in rows["stats"]]
    assert sums == sorted(sums)
    assert abs(sums[-1] - sum(months[:MONTHS])) < 0.05
