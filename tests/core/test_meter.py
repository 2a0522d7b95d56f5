"""The lifetime energy meter: forward only, resets survived, nothing counted twice."""

from __future__ import annotations

import math

from hypothesis import given, strategies as st
import pytest

from custom_components.ev_v2g.core.meter import RESET_CEILING_WH, EnergyMeter, MeterVerdict


def meter_at(raw_wh: float) -> EnergyMeter:
    """A meter that has seen one reading."""
    meter = EnergyMeter()
    assert meter.update(raw_wh) is MeterVerdict.ACCEPTED
    return meter


def test_new_meter_knows_nothing() -> None:
    """No reading, no total."""
    meter = EnergyMeter()
    assert meter.total_wh is None
    assert meter.last_raw_wh is None
    assert not meter.restart_suspected


def test_first_reading_sets_the_total() -> None:
    """The lifetime total starts at the station's counter."""
    meter = EnergyMeter()
    assert meter.update(12_345.0) is MeterVerdict.ACCEPTED
    assert meter.total_wh == 12_345.0
    assert meter.last_raw_wh == 12_345.0


def test_first_reading_keeps_a_restored_total() -> None:
    """A total restored from storage continues from the first reading it sees."""
    meter = EnergyMeter(total_wh=50_000.0)
    assert meter.update(300.0) is MeterVerdict.ACCEPTED
    assert meter.total_wh == 50_000.0
    assert meter.update(450.0) is MeterVerdict.ACCEPTED
    assert meter.total_wh == 50_150.0


def test_first_reading_clears_a_suspected_restart() -> None:
    """A first reading has nothing to compare with: it is simply accepted."""
    meter = EnergyMeter(restart_suspected=True)
    assert meter.update(5_000.0) is MeterVerdict.ACCEPTED
    assert not meter.restart_suspected


def test_increases_add_the_difference() -> None:
    """Each reading adds what the counter moved by."""
    meter = meter_at(1000.0)
    assert meter.update(1250.5) is MeterVerdict.ACCEPTED
    assert meter.update(2000.0) is MeterVerdict.ACCEPTED
    assert meter.total_wh == 2000.0
    assert meter.last_raw_wh == 2000.0


def test_equal_readings_add_nothing() -> None:
    """A repeated reading (a heartbeat, a replay) is accepted and counts zero."""
    meter = meter_at(1000.0)
    for _ in range(3):
        assert meter.update(1000.0) is MeterVerdict.ACCEPTED
    assert meter.total_wh == 1000.0


@pytest.mark.parametrize("raw_wh", [math.nan, math.inf, -math.inf, -0.001, -1000.0])
@pytest.mark.parametrize("restart_suspected", [False, True])
def test_invalid_readings_are_rejected(raw_wh: float, restart_suspected: bool) -> None:
    """NaN, infinities and negatives change nothing, not even a suspected restart."""
    meter = meter_at(1000.0)
    meter.restart_suspected = restart_suspected
    assert meter.update(raw_wh) is MeterVerdict.INVALID
    assert meter.total_wh == 1000.0
    assert meter.last_raw_wh == 1000.0
    assert meter.restart_suspected is restart_suspected


@pytest.mark.parametrize("raw_wh", [math.nan, math.inf, -1.0])
def test_invalid_first_reading_leaves_the_meter_empty(raw_wh: float) -> None:
    """A meter whose first reading is bad still knows nothing."""
    meter = EnergyMeter()
    assert meter.update(raw_wh) is MeterVerdict.INVALID
    assert meter.total_wh is None
    assert meter.last_raw_wh is None


@pytest.mark.parametrize("raw_wh", [RESET_CEILING_WH, 500.0, 1999.0])
def test_backwards_step_is_rejected(raw_wh: float) -> None:
    """A counter going back, above the reset ceiling and without a restart, is refused."""
    meter = meter_at(2000.0)
    assert meter.update(raw_wh) is MeterVerdict.BACKWARDS
    assert meter.total_wh == 2000.0
    assert meter.last_raw_wh == 2000.0
    # The next sane reading counts from where the meter really was.
    assert meter.update(2100.0) is MeterVerdict.ACCEPTED
    assert meter.total_wh == 2100.0


@pytest.mark.parametrize("raw_wh", [0.0, 42.0, RESET_CEILING_WH - 0.001])
def test_low_reading_is_a_reset(raw_wh: float) -> None:
    """Below the reset ceiling a step back is a station restart: all of it is new energy."""
    meter = meter_at(2000.0)
    assert meter.update(raw_wh) is MeterVerdict.RESET
    assert meter.total_wh == 2000.0 + raw_wh
    assert meter.last_raw_wh == raw_wh
    assert meter.update(raw_wh + 10.0) is MeterVerdict.ACCEPTED
    assert meter.total_wh == 2010.0 + raw_wh


def test_suspected_restart_accepts_any_step_back() -> None:
    """After contact came back, a step back of any size is a reset, once."""
    meter = meter_at(10_000.0)
    meter.restart_suspected = True
    assert meter.update(5_000.0) is MeterVerdict.RESET
    assert meter.total_wh == 15_000.0
    assert not meter.restart_suspected
    assert meter.update(4_000.0) is MeterVerdict.BACKWARDS
    assert meter.total_wh == 15_000.0


def test_suspected_restart_cleared_by_a_normal_reading() -> None:
    """No restart after all: the next reading is normal and the suspicion is dropped."""
    meter = meter_at(10_000.0)
    meter.restart_suspected = True
    assert meter.update(10_500.0) is MeterVerdict.ACCEPTED
    assert not meter.restart_suspected
    assert meter.update(5_000.0) is MeterVerdict.BACKWARDS


# --- properties ----------------------------------------------------------------------------------

# Whole watt-hours keep sums exact in floating point.
STEPS = st.lists(st.integers(min_value=0, max_value=10_000), max_size=8)
JUNK = st.sampled_from([math.nan, math.inf, -math.inf, -1.0])


@st.composite
def station_lives(draw: st.DrawFn) -> list[list[float]]:
    """Counter readings of a station over several lives (restarts), each life non-decreasing.

    The first life starts anywhere (a station that has been counting for years); each later
    life starts below where the previous one ended, as a freshly restarted counter does.
    """
    lives: list[list[float]] = []
    start = draw(st.integers(min_value=0, max_value=10**9))
    for index in range(draw(st.integers(min_value=1, max_value=6))):
        if index:
            previous_end = int(lives[-1][-1])
            start = draw(st.integers(min_value=0, max_value=max(previous_end - 1, 0)))
        readings = [float(start)]
        for step in draw(STEPS):
            readings.append(readings[-1] + step)
        lives.append(readings)
    return lives


@given(lives=station_lives(), data=st.data())
def test_total_is_the_sum_of_every_life(lives: list[list[float]], data: st.DataObject) -> None:
    """With the restart flagged at each new life, the total is exactly Σ last reading of each life.

    The first life's first reading is where the meter started, so the energy the meter saw
    (total - that first reading) is everything the station counted afterwards, each kWh once.
    Invalid readings slipped in anywhere change nothing.
    """
    meter = EnergyMeter()
    previous_total = -math.inf
    for index, life in enumerate(lives):
        if index:
            meter.restart_suspected = True
        for raw_wh in life:
            if data.draw(st.booleans(), label="junk before"):
                assert meter.update(data.draw(JUNK, label="junk")) is MeterVerdict.INVALID
            assert meter.update(raw_wh) in (MeterVerdict.ACCEPTED, MeterVerdict.RESET)
            assert meter.total_wh is not None
            assert meter.total_wh >= previous_total
            previous_total = meter.total_wh
    assert meter.total_wh == sum(life[-1] for life in lives)
    assert meter.total_wh - lives[0][0] == sum(life[-1] - life[0] for life in lives) + sum(
        life[0] for life in lives[1:]
    )


@given(
    st.lists(
        st.one_of(
            # Up to a thousand GWh: beyond any station's counter, short of float overflow.
            st.floats(min_value=-1e3, max_value=1e12),
            JUNK,
            st.just("restart"),
        ),
        max_size=40,
    )
)
def test_total_never_decreases(events: list[float | str]) -> None:
    """Whatever arrives, the total only moves forward, by the step or by a reset's reading."""
    meter = EnergyMeter()
    for event in events:
        if event == "restart":
            meter.restart_suspected = True
            continue
        assert isinstance(event, float)
        before, last = meter.total_wh, meter.last_raw_wh
        outcome = meter.update(event)
        after = meter.total_wh
        if outcome in (MeterVerdict.INVALID, MeterVerdict.BACKWARDS):
            assert (after, meter.last_raw_wh) == (before, last)
            continue
        assert after is not None
        assert math.isfinite(after)
        assert meter.last_raw_wh == event
        if before is None:
            assert after == event
        elif outcome is MeterVerdict.RESET:
            assert last is not None
            assert event < last
            assert after == before + event
        else:
            assert last is not None
            assert after == before + (event - last)
        assert before is None or after >= before
