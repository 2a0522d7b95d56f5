"""The station's behaviour without a network: relay, setpoint fallback, watchdog, metering."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hardware.firmware import config, meter
from hardware.firmware.app import ENERGY_FILE, Firmware
from hardware.firmware.hal_sim import TICKS_PERIOD, SimulatedHal
from hardware.firmware.station import DischargeNotAllowedError, SetpointError, Station

from .conftest import CALIBRATION, make_settings


def charging(station: Station, hal: SimulatedHal, setpoint_ma: int = 16000) -> None:
    """Plug a car drawing the setpoint, set it and switch on."""
    hal.load_a = abs(setpoint_ma) / 1000
    station.set_regulator(setpoint_ma)
    station.set_switch(True)
    station.tick()


def test_boots_safe(station: Station, hal: SimulatedHal) -> None:
    """Relay open, switch off, setpoint at the fallback."""
    assert not hal.relay
    assert not station.switch_on
    assert station.setpoint_ma == 0


def test_relay_needs_switch_and_setpoint(station: Station, hal: SimulatedHal) -> None:
    """Switch alone or setpoint alone keeps the relay open; both close it; 0 A pauses."""
    station.set_switch(True)
    assert not hal.relay
    station.set_regulator(10000)
    assert hal.relay
    station.set_regulator(0)
    assert not hal.relay
    station.set_regulator(10000)
    station.set_switch(False)
    assert not hal.relay


def test_current_comes_from_the_ct_through_the_calibration(
    station: Station, hal: SimulatedHal
) -> None:
    """16 A through the CT reads as 16 A (RMS over whole cycles, bias taken out), 3680 W."""
    charging(station, hal, 16000)
    assert station.current_a == pytest.approx(16.0, rel=0.01)
    assert station.power_w == pytest.approx(3680, rel=0.01)
    assert station.plugged
    station.set_switch(False)
    station.tick()
    assert station.current_a == 0.0
    assert not station.plugged


def test_noise_reads_as_zero_below_the_intercept(settings: dict[str, Any], tmp_path: Path) -> None:
    """A negative intercept (as in the paper's line) clamps a noisy idle CT to 0 A."""
    hal = SimulatedHal(settings, str(tmp_path), noise_counts=3.0)
    station = Station(settings, (config.THEORETICAL_SLOPE, -0.2), hal)
    station.tick()
    assert station.reading > 0
    assert station.current_a == 0.0


def test_setpoint_validation(station: Station) -> None:
    """Out of range is refused; the previous setpoint stays."""
    station.set_regulator(12000)
    for bad in (1000, 40000, -1000, -20000):
        with pytest.raises(SetpointError):
            station.set_regulator(bad)
    assert station.setpoint_ma == 12000
    with pytest.raises(SetpointError, match="not in the future"):
        station.set_regulator(8000, until=station.hal.unix_time() - 1)


def test_discharge_only_with_discharge_hardware(hal: SimulatedHal, tmp_path: Path) -> None:
    """max_discharge_ma 0 refuses discharge with the 4.03 error."""
    settings = make_settings(max_discharge_ma=0)
    station = Station(settings, CALIBRATION, SimulatedHal(settings, str(tmp_path)))
    with pytest.raises(DischargeNotAllowedError):
        station.set_regulator(-8000)


def test_discharge_is_negative_and_counts_as_export(station: Station, hal: SimulatedHal) -> None:
    """Direction comes from the setpoint; the relay opens before the direction flips."""
    charging(station, hal, 10000)
    switches = hal.relay_switches
    station.set_regulator(-10000)
    assert hal.discharging
    assert hal.relay
    assert hal.relay_switches == switches + 2  # opened, then closed the other way
    station.tick()
    hal.advance(36)
    station.tick()
    assert station.current_a == pytest.approx(-10.0, rel=0.01)
    assert station.energy.export_mj == pytest.approx(2300 * 36 * 1000, rel=0.02)


def test_until_falls_back_by_itself(station: Station, hal: SimulatedHal) -> None:
    """After `until`, the setpoint is fallback_ma (0 here) and the relay opens."""
    hal.load_a = 16
    station.set_switch(True)
    station.set_regulator(16000, until=hal.unix_time() + 300)
    station.tick()
    assert hal.relay
    hal.advance(299)
    station.tick()
    assert station.setpoint_ma == 16000
    hal.advance(2)
    station.tick()
    assert (station.setpoint_ma, station.until, hal.relay) == (0, None, False)
    assert any("until passed" in line for line in hal.logs)


def test_fallback_can_keep_charging(tmp_path: Path) -> None:
    """A non-zero fallback_ma keeps a slow charge going after `until`."""
    settings = make_settings(fallback_ma=6000)
    hal = SimulatedHal(settings, str(tmp_path))
    station = Station(settings, CALIBRATION, hal)
    station.set_switch(True)
    station.set_regulator(16000, until=hal.unix_time() + 10)
    hal.advance(11)
    station.tick()
    assert station.setpoint_ma == 6000
    assert hal.relay


def test_without_a_clock_until_is_a_lease(station: Station, hal: SimulatedHal) -> None:
    """No NTP: `until` cannot be judged, so the setpoint holds for unsynced_lease_s."""
    hal.clock_synced = False
    station.set_switch(True)
    station.set_regulator(16000, until=1)  # would be long past on a set clock
    hal.advance(299)
    station.tick()
    assert station.setpoint_ma == 16000
    hal.advance(2)
    station.tick()
    assert station.setpoint_ma == 0


@pytest.mark.parametrize("start", [0, TICKS_PERIOD - 30_000])
def test_watchdog_opens_the_relay_and_recovers(start: int, tmp_path: Path) -> None:
    """Silence for watchdog_s opens the relay (also across the ticks wrap); a message restores it."""
    settings = make_settings(watchdog_s=60, fallback_ma=6000)
    hal = SimulatedHal(settings, str(tmp_path), ticks_start=start)
    station = Station(settings, CALIBRATION, hal)
    charging(station, hal, 16000)
    hal.advance(59)
    station.tick()
    assert hal.relay
    hal.advance(2)
    station.tick()
    assert station.watchdog_tripped
    assert not hal.relay
    assert station.setpoint_ma == 6000  # the fallback, for when contact returns
    assert station.heard_from("192.0.2.7")
    assert not station.watchdog_tripped
    assert hal.relay  # switch still on, fallback setpoint: the paper's "previous state"


def test_watchdog_listens_to_controllers_only(tmp_path: Path) -> None:
    """With controllers configured, other hosts do not keep the relay closed."""
    settings = make_settings(watchdog_s=10, controllers=["192.0.2.1"])
    hal = SimulatedHal(settings, str(tmp_path))
    station = Station(settings, CALIBRATION, hal)
    charging(station, hal)
    hal.advance(9)
    assert not station.heard_from("192.0.2.99")
    assert station.heard_from("192.0.2.1")
    hal.advance(9)
    station.tick()
    assert hal.relay
    hal.advance(2)
    station.tick()
    assert not hal.relay


def test_overcurrent_switches_off(station: Station, hal: SimulatedHal) -> None:
    """A car drawing above setpoint + margin for overcurrent_s is switched off; a command re-arms."""
    charging(station, hal, 10000)
    hal.load_a = 16.0
    station.tick()
    hal.advance(9)
    station.tick()
    assert hal.relay
    hal.advance(2)
    station.tick()
    assert not hal.relay
    assert (station.switch_on, station.trip_reason) == (False, "overcurrent")
    station.set_regulator(16000)
    station.set_switch(True)
    assert hal.relay
    assert station.trip_reason is None


def test_energy_integrates_and_survives_a_reboot(
    settings: dict[str, Any], hal: SimulatedHal
) -> None:
    """An hour at 16 A is 3.68 kWh; the lifetime total is saved when the relay opens.

    After a reboot /energy counts from zero again (what ev_v2g's meter takes as a restart) and
    the lifetime total carries on.
    """
    firmware = Firmware(hal, settings, CALIBRATION)
    charging(firmware.station, hal, 16000)
    firmware.step()
    hal.advance(3600)
    firmware.step()
    assert firmware.station.energy.import_mj / meter.MJ_PER_WH == pytest.approx(3680, rel=0.01)
    firmware.station.set_switch(False)
    firmware.step()
    saved = json.loads(Path(hal.directory, ENERGY_FILE).read_text())
    assert saved["import_mj"] == firmware.station.energy.import_mj
    rebooted = Firmware(SimulatedHal(settings, hal.directory), settings, CALIBRATION)
    assert rebooted.station.energy.import_mj == 0
    assert rebooted.station.energy.lifetime_mj() == (saved["import_mj"], saved["export_mj"])
    assert not rebooted.station.relay_closed


def test_energy_is_saved_every_persist_s(tmp_path: Path) -> None:
    """While charging, the counters reach flash every persist_s."""
    settings = make_settings(persist_s=300)
    hal = SimulatedHal(settings, str(tmp_path))
    firmware = Firmware(hal, settings, CALIBRATION)
    charging(firmware.station, hal)
    firmware.step()
    assert hal.read_file(ENERGY_FILE) is None
    hal.advance(301)
    firmware.step()
    assert json.loads(hal.read_file(ENERGY_FILE) or "{}")["import_mj"] > 0


def test_damaged_energy_file_is_ignored(settings: dict[str, Any], hal: SimulatedHal) -> None:
    """A half-written file does not stop the station; counting starts from zero."""
    hal.write_file(ENERGY_FILE, '{"import_mj": 12')
    firmware = Firmware(hal, settings, CALIBRATION)
    assert firmware.station.energy.import_mj == 0
    assert any("unreadable" in line for line in hal.logs)


def test_energy_text_is_exact_for_large_counters() -> None:
    """Printed from integers: 1 GWh and a bit, to the Wh decimal, no float rounding."""
    counter = meter.EnergyCounter()
    counter.import_mj = 1_000_000_000 * meter.MJ_PER_WH + 3600
    assert counter.import_wh() == "1000000000.001"
    counter.restore(json.dumps({"import_mj": 9, "export_mj": 7}))
    counter.restore(json.dumps({"import_mj": 5, "export_mj": 3}))  # an older file
    assert counter.lifetime_mj() == (9 + counter.import_mj, 7)


def test_rms_takes_out_the_bias() -> None:
    """A constant signal (pure bias) reads zero; a +-1 square wave reads one."""
    assert meter.rms_reading(4, 4 * 2048, 4 * 2048**2) == 0.0
    assert meter.rms_reading(4, 2 * 2047 + 2 * 2049, 2 * 2047**2 + 2 * 2049**2) == 1.0
    assert meter.rms_reading(1, 5, 25) == 0.0


def test_a_reboot_is_counted_once_by_the_integrations_meter(
    settings: dict[str, Any], hal: SimulatedHal
) -> None:
    """ev_v2g's EnergyMeter adds the energy before and after a reboot, nothing twice.

    The firmware's boot number, stored in its flash, is what tells the reboot.
    """
    from custom_components.ev_v2g.core.meter import EnergyMeter, MeterVerdict

    ha_meter = EnergyMeter()
    firmware = Firmware(hal, settings, CALIBRATION)
    charging(firmware.station, hal, 16000)
    for _ in range(3):
        hal.advance(600)
        firmware.step()
        reading = firmware.station.energy.import_mj / meter.MJ_PER_WH
        assert ha_meter.update(reading, boot=firmware.station.boot) == "accepted"
    before = firmware.station.energy.import_mj / meter.MJ_PER_WH
    rebooted = Firmware(SimulatedHal(settings, hal.directory), settings, CALIBRATION)
    charging(rebooted.station, rebooted.hal, 16000)
    rebooted.hal.advance(60)
    rebooted.step()
    after = rebooted.station.energy.import_mj / meter.MJ_PER_WH
    assert rebooted.station.boot == firmware.station.boot + 1
    assert ha_meter.update(after) == MeterVerdict.GLITCH  # without its boot number: a glitch
    assert ha_meter.update(after, boot=rebooted.station.boot) == MeterVerdict.RESET
    assert ha_meter.total_wh == pytest.approx(before + after)
