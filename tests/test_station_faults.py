"""Bad input and faults from a station: logged once, never a crash, never a wrong total."""

from __future__ import annotations

import logging
import time

from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_v2g.transport.coap.observer import silence_limit
from hardware.station_sim import SimulatedStation, StationServer

from .common import number_of, set_manual, state_of, wait_for

CURRENT = "sensor.bay_1_current"
ENERGY = "sensor.bay_1_energy_imported"
PLUGGED = "binary_sensor.bay_1_vehicle_plugged"
CONNECTED = "binary_sensor.bay_1_connectivity"
STATE = "sensor.bay_1_state"
REGISTER_WH = 5000.0
"""The station's register when Home Assistant first reads it (a jump later would be dropped)."""


@pytest.fixture
def sim_station(sim_station: SimulatedStation) -> SimulatedStation:
    """The suite's quick station, its register at 5 kWh before first contact."""
    sim_station.energy_import_wh = REGISTER_WH
    return sim_station


def _kwh(hass: HomeAssistant) -> float:
    return number_of(hass, ENERGY)


async def _charge(hass: HomeAssistant, server: StationServer, amps: int = 16) -> None:
    """Make the car draw: a manual current limit from HA, the relay closed at the station."""
    await wait_for(hass, lambda: state_of(hass, CONNECTED) == STATE_ON, what="contact")
    await set_manual(hass)
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": "number.bay_1_current_limit", "value": amps},
        blocking=True,
    )
    server.station.set_switch(True)


def _warnings(caplog: pytest.LogCaptureFixture, *texts: str) -> int:
    return sum(
        1
        for r in caplog.records
        if r.levelno >= logging.WARNING and all(text in r.getMessage() for text in texts)
    )


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("malformed_senml", "not valid JSON"),
        ("non_numeric", "is not a number"),
        ("nan_values", "non-finite number"),
        ("unknown_content_format", "unexpected content format"),
    ],
)
async def test_bad_senml_is_ignored_and_logged_once(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    station_server: StationServer,
    caplog: pytest.LogCaptureFixture,
    fault: str,
    reason: str,
) -> None:
    """A bad payload keeps the last good value, logs its reason once, then recovers."""
    await _charge(hass, station_server)
    await wait_for(hass, lambda: number_of(hass, CURRENT) > 15, what="charging")
    await wait_for(hass, lambda: _kwh(hass) > 0, what="energy counted")
    setattr(station_server.station.faults, fault, True)
    await wait_for(hass, lambda: _warnings(caplog, reason) >= 2, what="both SenML resources")
    frozen_current, frozen_energy = state_of(hass, CURRENT), _kwh(hass)
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:  # several bad notifications arrive meanwhile
        await wait_for(hass, lambda: True)
    assert _warnings(caplog, "ignored /current", reason) == 1
    assert _warnings(caplog, "ignored /energy", reason) == 1
    assert state_of(hass, CURRENT) == frozen_current
    assert _kwh(hass) == frozen_energy
    setattr(station_server.station.faults, fault, False)
    await wait_for(hass, lambda: _kwh(hass) > frozen_energy, what="recovery")
    sim_kwh = station_server.station.energy_import_wh / 1000
    assert abs(_kwh(hass) - sim_kwh) < 0.01


async def test_energy_counter_stepping_back_is_rejected(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    station_server: StationServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A counter that steps back without a restart is a glitch, logged once; it adds nothing."""
    await _charge(hass, station_server)
    await wait_for(hass, lambda: _kwh(hass) > 5, what="energy counted")
    station_server.station.faults.energy_backwards = True
    await wait_for(hass, lambda: _warnings(caplog, "ignored energy_import") == 1)
    held = _kwh(hass)
    await wait_for(hass, lambda: station_server.station.energy_import_wh > held * 1000 + 5)
    assert _kwh(hass) == held
    station_server.station.faults.energy_backwards = False
    await wait_for(hass, lambda: _kwh(hass) > held, what="counting again")
    assert abs(_kwh(hass) - station_server.station.energy_import_wh / 1000) < 0.01
    assert _warnings(caplog, "ignored energy_import") == 1


async def test_missing_resource_is_logged_once(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    station_server: StationServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """4.04 on /vehicle after a restart: logged once; the rest of the station keeps working."""
    await wait_for(hass, lambda: state_of(hass, PLUGGED) == STATE_ON)
    station_server.station.faults.missing = {"vehicle"}
    await station_server.restart()
    await wait_for(hass, lambda: _warnings(caplog, "ignored /vehicle") == 1, within=15)
    await _charge(hass, station_server)
    await wait_for(hass, lambda: number_of(hass, CURRENT) > 15, what="current")
    assert state_of(hass, PLUGGED) == STATE_ON  # last known value kept
    assert _warnings(caplog, "ignored /vehicle") == 1


async def test_silent_station_goes_unavailable_and_comes_back(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    station_server: StationServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Silence for 2 x Max-Age + 5 s: unavailable, logged once; back on recovery, logged once."""
    await wait_for(hass, lambda: state_of(hass, CONNECTED) == STATE_ON)
    max_age = station_server.station.max_age
    await station_server.freeze()
    took = await wait_for(
        hass,
        lambda: state_of(hass, CURRENT) == STATE_UNAVAILABLE,
        within=silence_limit(max_age) + 3,
    )
    assert took <= silence_limit(max_age) + 1
    assert state_of(hass, CONNECTED) == STATE_OFF
    assert state_of(hass, STATE) == "contact_lost"
    assert _warnings(caplog, "Bay 1 is unavailable") == 1
    await station_server.resume()
    await wait_for(hass, lambda: state_of(hass, CONNECTED) == STATE_ON, within=10)
    assert state_of(hass, CURRENT) != STATE_UNAVAILABLE
    assert state_of(hass, STATE) in ("idle", "plugged_in")
    assert sum("Bay 1 is back in contact" in r.getMessage() for r in caplog.records) == 1
    assert _warnings(caplog, "Bay 1 is unavailable") == 1


async def test_restart_resets_counters_without_losing_or_doubling(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    station_server: StationServer,
) -> None:
    """After a firmware restart the counter starts at 0: the total goes on from where it was."""
    await _charge(hass, station_server)
    await wait_for(hass, lambda: _kwh(hass) > 5.002, what="energy counted")
    await station_server.restart()
    before = _kwh(hass)
    await _charge(hass, station_server)
    await wait_for(
        hass,
        lambda: station_server.station.energy_import_wh > 2 and _kwh(hass) > before,
        within=15,
        what="counting after the restart",
    )
    expected = before + station_server.station.energy_import_wh / 1000
    assert abs(_kwh(hass) - expected) < 0.005
    assert _kwh(hass) < 5.5  # not 5 kWh counted twice


async def test_a_low_counter_without_a_restart_adds_nothing(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    station_server: StationServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """/energy glitches to 50 Wh for a while (boot unchanged): no phantom energy, logged once.

    The old rule took every reading under 100 Wh for a reboot and added it, once per
    notification. The truth is the simulator's own `delivered_wh`.
    """
    sim = station_server.station
    await _charge(hass, station_server)
    await wait_for(hass, lambda: _kwh(hass) > 5, what="energy counted")
    start_kwh = _kwh(hass) - sim.delivered_wh / 1000
    sim.faults.energy_reported_wh = 50.0
    await wait_for(hass, lambda: _warnings(caplog, "ignored energy_import") == 1)
    notified = sim.delivered_wh
    await wait_for(hass, lambda: sim.delivered_wh > notified + 3, what="more notifications")
    sim.faults.energy_reported_wh = None
    await wait_for(hass, lambda: _kwh(hass) > start_kwh + notified / 1000, what="counting again")
    await hass.async_block_till_done()
    assert abs(_kwh(hass) - (start_kwh + sim.delivered_wh / 1000)) < 0.002
    assert _warnings(caplog, "ignored energy_import") == 1


@pytest.mark.parametrize("boot_record", [True, False], ids=["boot_record", "no_boot_record"])
async def test_a_reboot_counts_each_kwh_once(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    station_server: StationServer,
    boot_record: bool,
) -> None:
    """The station reboots mid-charge (counter back to 0): before and after both count, once.

    With a boot record the changed number tells it; without one, the lost contact does, and
    the restart may add at most max power x the time it was out of contact.
    """
    sim = station_server.station
    sim.boot_record = boot_record
    await _charge(hass, station_server)
    await wait_for(hass, lambda: _kwh(hass) > 5.002, what="energy counted")
    if not boot_record:
        # Not charging while out of contact: what a frozen station counts and never reports
        # before it reboots is lost to everyone.
        sim.set_switch(False)
        await wait_for(hass, lambda: number_of(hass, CURRENT) == 0, what="the car stopped")
        await wait_for(hass, lambda: _kwh(hass) * 1000 >= REGISTER_WH + sim.delivered_wh - 0.1)
    start_kwh = _kwh(hass) - sim.delivered_wh / 1000
    if not boot_record:
        await station_server.freeze()
        await wait_for(
            hass, lambda: state_of(hass, STATE) == "contact_lost", within=10, what="lost"
        )
        await station_server.resume()
    await station_server.restart()
    await _charge(hass, station_server)
    restarted = sim.delivered_wh
    await wait_for(hass, lambda: sim.delivered_wh > restarted + 2, what="charging again")
    await wait_for(
        hass,
        lambda: abs(_kwh(hass) - (start_kwh + sim.delivered_wh / 1000)) < 0.002,
        within=20,  # the station dropped its observations: found again by the watchdog
        what="the total as delivered",
    )
