"""The lifetime energy meter: forward only, a restart only with evidence, no glitch counted."""

from __future__ import annotations

import math

from hypothesis import example, given, strategies as st
import pytest

from custom_components.ev_v2g.core.meter import (
    MAX_REGISTER_WH,
    POWER_MARGIN,
    STEP_SLACK_S,
    EnergyMeter,
    MeterVerdict,
    allowance_wh,
)


def meter_at(raw_wh: float, boot: float | None = None) -> EnergyMeter:
    """A meter that has seen one reading."""
    meter = EnergyMeter()
    assert meter.update(raw_wh, boot=boot) is MeterVerdict.ACCEPTED
    return meter


def test_new_meter_knows_nothing() -> None:
    """No reading, no total, no evidence of a restart."""
    meter = EnergyMeter()
    assert meter.total_wh is None
    assert meter.last_raw_wh is None
    assert meter.restart_allowance_wh is None


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


def test_increases_add_the_difference() -> None:
    """Each reading adds what the counter moved by; a repeat adds nothing."""
    meter = meter_at(1000.0)
    assert meter.update(1250.5) is MeterVerdict.ACCEPTED
    assert meter.update(2000.0) is MeterVerdict.ACCEPTED
    assert meter.update(2000.0) is MeterVerdict.ACCEPTED
    assert meter.total_wh == 2000.0
    assert meter.last_raw_wh == 2000.0


@pytest.mark.parametrize(
    "raw_wh", [math.nan, math.inf, -math.inf, -0.001, -1000.0, MAX_REGISTER_WH * 2, 1e308]
)
def test_invalid_readings_change_nothing(raw_wh: float) -> None:
    """NaN, infinities, negatives and absurd registers change nothing, not even the evidence."""
    meter = meter_at(1000.0)
    meter.expect_restart(500.0)
    assert meter.update(raw_wh) is MeterVerdict.INVALID
    assert (meter.total_wh, meter.last_raw_wh, meter.restart_allowance_wh) == (
        1000.0,
        1000.0,
        500.0,
    )


@pytest.mark.parametrize("raw_wh", [math.nan, math.inf, -1.0, 1e308])
def test_invalid_first_reading_leaves_the_meter_empty(raw_wh: float) -> None:
    """A meter whose first reading is bad still knows nothing."""
    meter = EnergyMeter()
    assert meter.update(raw_wh) is MeterVerdict.INVALID
    assert meter.total_wh is None
    assert meter.last_raw_wh is None


@pytest.mark.parametrize("raw_wh", [0.0, 42.0, 99.9, 500.0, 1999.0])
def test_a_lower_reading_without_evidence_is_a_glitch(raw_wh: float) -> None:
    """However low, a step back with no evidence of a restart adds nothing, every time."""
    meter = meter_at(2000.0)
    for _ in range(3):
        assert meter.update(raw_wh) is MeterVerdict.GLITCH
    assert meter.total_wh == 2000.0
    assert meter.last_raw_wh == 2000.0
    # The next sane reading counts from where the meter really was.
    assert meter.update(2100.0) is MeterVerdict.ACCEPTED
    assert meter.total_wh == 2100.0


def test_a_counter_that_only_goes_down_adds_nothing() -> None:
    """1000 Wh falling by 10 Wh a reading (the probe that once added 1.3 kWh): 0 Wh added."""
    meter = meter_at(1000.0)
    for raw_wh in range(990, -1, -10):
        assert meter.update(float(raw_wh)) is MeterVerdict.GLITCH
    assert meter.total_wh == 1000.0


def test_a_changed_boot_record_is_a_restart() -> None:
    """The station says it booted: all it counted since is new energy, however much."""
    meter = meter_at(10_000.0, boot=7)
    assert meter.update(8_000.0, boot=8) is MeterVerdict.RESET
    assert meter.total_wh == 18_000.0
    assert meter.update(8_100.0, boot=8) is MeterVerdict.ACCEPTED
    assert meter.total_wh == 18_100.0
    assert meter.update(8_050.0, boot=8) is MeterVerdict.GLITCH
    assert meter.total_wh == 18_100.0


def test_a_restart_after_lost_contact_adds_at_most_the_allowance() -> None:
    """A station without a boot record, back after 10 min at 7.4 kW max: at most 1.23 kWh."""
    most = allowance_wh(7400.0, 600.0)
    assert most == pytest.approx(1233.33, abs=0.01)
    meter = meter_at(50_000.0)
    meter.expect_restart(most)
    assert meter.update(900.0) is MeterVerdict.RESET
    assert meter.total_wh == 50_900.0
    meter.expect_restart(most)
    assert meter.update(1_000_000.0 - 1) is MeterVerdict.ACCEPTED  # higher: a plain step
    meter.expect_restart(most)
    assert meter.update(5_000.0) is MeterVerdict.RESET
    assert meter.total_wh == pytest.approx(50_900.0 + 1_000_000.0 - 1 - 900.0 + most)


def test_evidence_is_used_once() -> None:
    """After a restart, the next lower reading is a glitch again."""
    meter = meter_at(10_000.0)
    meter.expect_restart(math.inf)
    assert meter.update(5_000.0) is MeterVerdict.RESET
    assert meter.update(4_000.0) is MeterVerdict.GLITCH
    assert meter.total_wh == 15_000.0


def test_evidence_dropped_by_a_normal_reading() -> None:
    """No restart after all: the next reading is normal and the evidence is dropped."""
    meter = meter_at(10_000.0)
    meter.expect_restart(math.inf)
    assert meter.update(10_500.0) is MeterVerdict.ACCEPTED
    assert meter.restart_allowance_wh is None
    assert meter.update(5_000.0) is MeterVerdict.GLITCH


def test_the_larger_allowance_is_kept() -> None:
    """Evidence from a long outage is not shortened by a later, shorter one."""
    meter = meter_at(10_000.0)
    meter.expect_restart(2_000.0)
    meter.expect_restart(500.0)
    assert meter.restart_allowance_wh == 2_000.0


def test_rebase_adds_nothing() -> None:
    """A baseline the station vouches for (a transaction's meter start) adds nothing."""
    meter = meter_at(10_000.0)
    meter.rebase(0.0)
    assert meter.update(250.0) is MeterVerdict.ACCEPTED
    assert meter.total_wh == 10_250.0


# --- properties ----------------------------------------------------------------------------------

# Whole watt-hours keep sums exact in floating point.
STEPS = st.lists(st.integers(min_value=0, max_value=10_000), max_size=8)
JUNK = st.sampled_from([math.nan, math.inf, -math.inf, -1.0, 1e300])


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
    """With a boot record that changes at each life, the total is exactly Σ each life's end.

    Lower readings slipped in anywhere without a new boot (glitches), and invalid ones, change
    nothing.
    """
    meter = EnergyMeter()
    previous_total = -math.inf
    for boot, life in enumerate(lives):
        for raw_wh in life:
            if data.draw(st.booleans(), label="junk before"):
                junk = data.draw(JUNK, label="junk")
                assert meter.update(junk, boot=boot) is MeterVerdict.INVALID
            if meter.last_raw_wh and data.draw(st.booleans(), label="glitch before"):
                low = data.draw(st.floats(0, meter.last_raw_wh, exclude_max=True), label="low")
                if boot == 0 or raw_wh != life[0]:
                    assert meter.update(low, boot=boot) is MeterVerdict.GLITCH
            assert meter.update(raw_wh, boot=boot) in (MeterVerdict.ACCEPTED, MeterVerdict.RESET)
            assert meter.total_wh is not None
            assert meter.total_wh >= previous_total
            previous_total = meter.total_wh
    assert meter.total_wh == sum(life[-1] for life in lives)


@given(
    st.lists(
        st.one_of(
            st.floats(min_value=-1e3, max_value=1e12),
            JUNK,
            st.tuples(st.just("lost"), st.floats(min_value=0, max_value=1e6)),
        ),
        max_size=40,
    )
)
def test_total_never_decreases(events: list[float | tuple[str, float]]) -> None:
    """Whatever arrives, the total only moves forward: by the step, or by at most the allowance."""
    meter = EnergyMeter()
    for event in events:
        if isinstance(event, tuple):
            meter.expect_restart(event[1])
            continue
        before, last = meter.total_wh, meter.last_raw_wh
        allowance = meter.restart_allowance_wh
        outcome = meter.update(event)
        after = meter.total_wh
        if outcome in (MeterVerdict.INVALID, MeterVerdict.GLITCH):
            assert (after, meter.last_raw_wh) == (before, last)
            continue
        assert after is not None
        assert math.isfinite(after)
        assert meter.last_raw_wh == event
        if before is None:
            assert after == event
        elif outcome is MeterVerdict.RESET:
            assert last is not None
            assert allowance is not None
            assert event < last
            assert after == before + min(event, allowance)
        else:
            assert last is not None
            assert after == before + (event - last)


STATION_W = 7360.0  # 32 A x 230 V
"""The most a counter below may count: 32 A x 230 V, checked with the meter's 25 % margin."""


def test_a_spike_notified_again_adds_nothing() -> None:
    """5 GWh twice within a second: dropped both times; the honest reading after it counts."""
    meter = EnergyMeter()
    meter.update(1000.0, at=0.0, max_power_w=STATION_W)
    for at in (1.0, 2.0):
        assert meter.update(5e9, at=at, max_power_w=STATION_W) is MeterVerdict.IMPLAUSIBLE
    assert meter.update(1001.0, at=3.0, max_power_w=STATION_W) is MeterVerdict.ACCEPTED
    assert meter.total_wh == 1001.0


def test_a_swapped_meter_is_the_new_baseline_once_it_counts_on() -> None:
    """A register that jumps, repeats and then counts: the jump adds nothing, the counting does."""
    meter = EnergyMeter()
    meter.update(1000.0, at=0.0, max_power_w=STATION_W)
    assert meter.update(2e6, at=10.0, max_power_w=STATION_W) is MeterVerdict.IMPLAUSIBLE
    assert meter.update(2e6, at=20.0, max_power_w=STATION_W) is MeterVerdict.IMPLAUSIBLE
    assert meter.update(2e6 + 5, at=30.0, max_power_w=STATION_W) is MeterVerdict.REBASED
    assert meter.total_wh == 1005.0


@given(
    steps=st.lists(
        st.tuples(st.floats(0.0, 600.0), st.floats(0.0, 1.0), st.booleans()), max_size=40
    )
)
def test_a_counter_never_counts_more_than_the_station_can_draw(
    steps: list[tuple[float, float, bool]],
) -> None:
    """Honest readings at up to full power, spikes of any size between: only the honest count.

    The truth is the generator's own sum of what it counted.
    """
    meter = EnergyMeter()
    raw, now = 500.0, 0.0
    meter.update(raw, at=now, max_power_w=STATION_W)
    counted = 0.0
    for elapsed, load, spike in steps:
        now += elapsed
        wh = STATION_W * load * elapsed / 3600
        raw += wh
        counted += wh
        if spike:
            meter.update(raw + 1e6 + 1e9 * load, at=now, max_power_w=STATION_W)
        meter.update(raw, at=now, max_power_w=STATION_W)
    assert meter.total_wh == pytest.approx(500.0 + counted)


@given(
    readings=st.lists(
        st.tuples(st.floats(0.0, 120.0), st.floats(-0.5, 1.5), st.sampled_from([None, 1.0, 2.0])),
        max_size=60,
    )
)
@example(readings=[(0.01, 0.99, None)] * 50)
@example(readings=[(0.01, 0.99, float(1 + index % 2)) for index in range(50)])
def test_whatever_a_counter_says_it_adds_no_more_than_the_station_can_draw(
    readings: list[tuple[float, float, float | None]],
) -> None:
    """A hostile counter, each step just inside one step's allowance, boots toggled or not.

    However it spreads its steps, the total grows by at most the station's maximum power (with
    the margin) over the time that really passed, plus one slack.
    """
    meter = EnergyMeter()
    now = 0.0
    meter.update(100.0, boot=1.0, at=now, max_power_w=STATION_W)
    for elapsed, share, boot in readings:
        step = allowance_wh(STATION_W * POWER_MARGIN, elapsed + STEP_SLACK_S) * share
        now += elapsed
        raw = (meter.last_raw_wh or 0.0) + step if boot in (None, meter.boot) else step
        meter.update(raw, boot=boot, at=now, max_power_w=STATION_W)
    most = allowance_wh(STATION_W * POWER_MARGIN, now + STEP_SLACK_S)
    assert (meter.total_wh or 0.0) - 100.0 <= most + 1e-6
