"""Physics of the simulated station, stepped by hand: no sockets, no event loop."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings, strategies as st
import pytest

from hardware.station_sim import DischargeNotAllowedError, SetpointError, SimulatedStation, Vehicle


class FakeClock:
    """A wall clock that moves only when told."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        """Start at `now` (unix seconds)."""
        self.now = now

    def __call__(self) -> float:
        """Return the current fake time."""
        return self.now


def charging_station(**options: float) -> SimulatedStation:
    """A switched-on station with a V2G car at 50 %."""
    station = SimulatedStation(**options)  # type: ignore[arg-type]
    station.plug(Vehicle(capacity_kwh=40, soc=50, v2g=True))
    station.set_switch(True)
    return station


def run(station: SimulatedStation, seconds: float, dt: float = 0.1) -> None:
    """Advance `station` by `seconds` in steps of `dt`."""
    for _ in range(round(seconds / dt)):
        station.advance(dt)


def test_current_ramps_towards_the_setpoint() -> None:
    """At 10 A/s, 16 A takes 1.6 s; then the current holds."""
    station = charging_station()
    station.set_regulator(16000)
    station.advance(0.5)
    assert station.current_a == pytest.approx(5.0)
    run(station, 1.0)
    assert station.current_a == pytest.approx(15.0)
    run(station, 1.0)
    assert station.current_a == pytest.approx(16.0)
    assert station.power_w == pytest.approx(16.0 * station.voltage)
    assert 225 < station.voltage < 230


def test_no_current_when_switched_off_unplugged_or_zero() -> None:
    """Target is zero unless switched on, plugged and given a setpoint."""
    station = charging_station()
    assert station.target_a() == 0.0
    station.set_regulator(10000)
    assert station.target_a() == 10.0
    station.set_switch(False)
    assert station.target_a() == 0.0
    station.set_switch(True)
    run(station, 2.0)
    station.unplug()
    assert station.current_a == 0.0
    assert station.target_a() == 0.0


def test_discharge_needs_a_v2g_vehicle_and_a_capable_station() -> None:
    """Negative setpoints are refused (DischargeNotAllowedError) unless both can discharge."""
    station = charging_station()
    station.set_regulator(-10000)
    run(station, 2.0)
    assert station.current_a == pytest.approx(-10.0)
    assert station.power_w < 0

    station.plug(Vehicle(soc=50, v2g=False))
    with pytest.raises(DischargeNotAllowedError):
        station.set_regulator(-10000)
    run(station, 1.0)
    assert station.current_a == 0.0  # the earlier negative setpoint is not applied

    no_hardware = charging_station(max_discharge_ma=0)
    with pytest.raises(DischargeNotAllowedError):
        no_hardware.set_regulator(-6000)


@pytest.mark.parametrize("setpoint", [1, 5999, 32001, -5999, -16001])
def test_out_of_range_setpoints_are_rejected(setpoint: int) -> None:
    """Magnitudes outside [min, max] (or [min, max_discharge]) are a SetpointError."""
    station = charging_station()
    with pytest.raises(SetpointError) as caught:
        station.set_regulator(setpoint)
    assert not isinstance(caught.value, DischargeNotAllowedError)


def test_until_falls_back_and_must_be_in_the_future() -> None:
    """A setpoint expires into fallback_ma; an expiry already past is refused."""
    clock = FakeClock()
    station = charging_station(fallback_ma=6000)
    station.clock = clock
    with pytest.raises(SetpointError):
        station.set_regulator(16000, until=int(clock.now))
    station.set_regulator(16000, until=int(clock.now) + 60)
    run(station, 2.0)
    assert (station.setpoint_ma, station.until) == (16000, int(clock.now) + 60)
    clock.now += 60
    station.advance(0.1)
    assert (station.setpoint_ma, station.until) == (6000, None)


def test_energy_integrates_power_and_moves_the_soc() -> None:
    """One hour at 16 A imports about 3.66 kWh: 9.2 % of a 40 kWh battery."""
    station = charging_station()
    station.set_regulator(16000)
    run(station, 3600.0, dt=1.0)
    assert station.energy_import_wh == pytest.approx(16 * station.voltage, rel=0.01)
    assert station.energy_export_wh == 0.0
    assert station.vehicle is not None
    assert station.vehicle.soc == pytest.approx(50 + 100 * 3.66 / 40, abs=0.1)

    station.set_regulator(-16000)
    run(station, 600.0, dt=1.0)
    assert station.energy_export_wh == pytest.approx(16 * 230.8 / 6, rel=0.02)
    assert station.vehicle.soc < 59


def test_charging_tapers_to_a_stop_when_full() -> None:
    """Near 100 % the current falls away and stops; the soc reads 100."""
    station = charging_station()
    station.plug(Vehicle(capacity_kwh=0.01, soc=97, v2g=True))
    station.set_regulator(32000)
    run(station, 5.0, dt=0.05)
    assert station.current_a == 0.0
    assert station.reported_soc() == 100


def test_discharge_stops_at_the_floor() -> None:
    """Discharge stops at the configured floor."""
    station = charging_station(soc_floor=20.0)
    station.plug(Vehicle(capacity_kwh=0.01, soc=25, v2g=True))
    station.set_regulator(-16000)
    run(station, 5.0, dt=0.05)
    assert station.current_a == 0.0
    assert station.reported_soc() == 20


def test_reboot_forgets_volatile_state() -> None:
    """Counters zero, switch off, setpoint back to fallback; the vehicle stays."""
    station = charging_station(fallback_ma=6000)
    station.set_regulator(16000, until=int(station.clock()) + 100)
    run(station, 10.0)
    station.reboot()
    assert (station.energy_import_wh, station.energy_export_wh) == (0.0, 0.0)
    assert (station.switch_on, station.setpoint_ma, station.until) == (False, 6000, None)
    assert station.current_a == 0.0
    assert station.vehicle is not None


def test_soc_is_absent_when_the_vehicle_does_not_tell() -> None:
    """reported_soc is None when unplugged or when the vehicle keeps it to itself."""
    station = SimulatedStation()
    assert station.reported_soc() is None
    station.plug(Vehicle(soc=42.4, reports_soc=False))
    assert station.reported_soc() is None
    station.plug(Vehicle(soc=42.4))
    assert station.reported_soc() == 42


def test_impossible_configurations_are_refused() -> None:
    """A vehicle or station that could not exist raises ValueError."""
    with pytest.raises(ValueError, match="capacity"):
        Vehicle(capacity_kwh=0)
    with pytest.raises(ValueError, match="soc"):
        Vehicle(soc=101)
    with pytest.raises(ValueError, match="min_ma"):
        SimulatedStation(min_ma=40000)
    with pytest.raises(ValueError, match="max_discharge_ma"):
        SimulatedStation(max_discharge_ma=1000)


operations = st.lists(
    st.one_of(
        st.tuples(st.just("setpoint"), st.sampled_from([0, 6000, 16000, 32000, -6000, -16000])),
        st.tuples(st.just("switch"), st.booleans()),
        st.tuples(st.just("plug"), st.booleans()),
        st.tuples(st.just("advance"), st.floats(min_value=0.01, max_value=30.0)),
    ),
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(operations)
def test_counters_never_decrease_and_soc_stays_in_range(ops: list[tuple[str, object]]) -> None:
    """Whatever happens, meters only go up and the soc stays within 0..100."""
    station = SimulatedStation()
    imported = exported = 0.0
    for op, arg in ops:
        if op == "setpoint":
            assert isinstance(arg, int)
            with contextlib.suppress(SetpointError):
                station.set_regulator(arg)
        elif op == "switch":
            station.set_switch(bool(arg))
        elif op == "plug":
            if arg:
                station.plug(Vehicle(capacity_kwh=0.5, soc=50, v2g=True))
            else:
                station.unplug()
        else:
            assert isinstance(arg, float)
            station.advance(arg)
        assert station.energy_import_wh >= imported
        assert station.energy_export_wh >= exported
        imported, exported = station.energy_import_wh, station.energy_export_wh
        if station.vehicle is not None:
            assert 0.0 <= station.vehicle.soc <= 100.0
        assert abs(station.current_a) <= 32.0
