"""OCPP faults at the site: restarts, reloads, a taken port, a charge point that never answers."""

from __future__ import annotations

import asyncio
from pathlib import Path
import socket

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_v2g.const import DOMAIN
from custom_components.ev_v2g.error_translation import station_errors
from hardware.station_sim.ocpp import SimulatedChargePoint
from hardware.station_sim.ports import free_tcp_port
from tests.common import number_of, set_manual, state_of, wait_for


async def _charging(hass: HomeAssistant, charger: SimulatedChargePoint) -> None:
    await charger.plug(1, soc=20)
    assert await charger.swipe(1, "CARD-ALICE")
    await wait_for(
        hass, lambda: state_of(hass, "sensor.charger_state") == "charging", what="charging"
    )


def _session(site: MockConfigEntry):  # type: ignore[no-untyped-def]
    return next(iter(site.runtime_data.hub.stations.values())).session


async def test_restart_resumes_the_session_without_counting_twice(
    hass: HomeAssistant, site: MockConfigEntry, charger: SimulatedChargePoint, ocpp_port: int
) -> None:
    """Home Assistant stops mid-session; the car charges on; nothing is lost or counted twice.

    While Home Assistant is away the charge point queues its meter values and sends them on
    reconnect with their own timestamps; it also re-sends an old one: ignored.
    """
    await _charging(hass, charger)
    await wait_for(
        hass, lambda: number_of(hass, "sensor.charger_session_energy") > 0.002, what="energy"
    )
    before = _session(site)
    meter_start = before.import_start_wh
    at_stop = next(iter(site.runtime_data.hub.stations.values())).energy_import.total_wh
    assert await hass.config_entries.async_unload(site.entry_id)
    await wait_for(hass, lambda: not charger.connected, what="disconnected")
    await asyncio.sleep(0.6)  # the car charges on; meter values queue at the charge point
    assert await hass.config_entries.async_setup(site.entry_id)
    await hass.async_block_till_done()
    await charger.connect(f"ws://127.0.0.1:{ocpp_port}")
    await wait_for(
        hass, lambda: state_of(hass, "sensor.charger_state") == "charging", what="resumed"
    )
    after = _session(site)
    assert after.id == before.id
    assert after.import_start_wh == meter_start
    await charger.meter_now(1)
    station = next(iter(site.runtime_data.hub.stations.values()))
    reported = site.runtime_data.charge_points.central.states["cp-1"].connectors[1]
    await wait_for(
        hass,
        lambda: station.energy_import.last_raw_wh == reported.energy_import_wh,
        what="the register applied",
    )
    # The station's lifetime total is the charge point's register: nothing counted twice.
    assert station.energy_import.total_wh == pytest.approx(reported.energy_import_wh)
    assert station.session_energy_wh == pytest.approx(reported.energy_import_wh - meter_start)
    assert reported.energy_import_wh > at_stop  # it charged on while Home Assistant was away


async def test_reload_keeps_every_connection(
    hass: HomeAssistant, site: MockConfigEntry, charger: SimulatedChargePoint
) -> None:
    """A change that reloads the site (a new resident) does not disconnect the charge points."""
    await _charging(hass, charger)
    connection = site.runtime_data.charge_points.central._connections["cp-1"]
    hass.config_entries.async_update_entry(site, title="Garage 2")
    await hass.async_block_till_done()
    await wait_for(
        hass,
        lambda: (
            site.state is ConfigEntryState.LOADED and site.runtime_data.charge_points is not None
        ),
        what="reloaded",
    )
    await wait_for(
        hass, lambda: state_of(hass, "sensor.charger_state") == "charging", what="charging"
    )
    assert site.runtime_data.charge_points.central._connections["cp-1"] is connection
    assert charger.connected


async def test_taken_port_is_a_setup_error_and_a_repair(
    hass: HomeAssistant, site_entry: MockConfigEntry, ocpp_port: int
) -> None:
    """Another program on the port: the site retries, and a repair issue says what to do."""
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("0.0.0.0", ocpp_port))  # noqa: S104 - as the central system binds
        squatter.listen()
        site_entry.add_to_hass(hass)
        await hass.config_entries.async_setup(site_entry.entry_id)
        await hass.async_block_till_done()
        assert site_entry.state is ConfigEntryState.SETUP_RETRY
        assert str(ocpp_port) in (site_entry.reason or "")
        issue = ir.async_get(hass).async_get_issue(
            DOMAIN, f"ocpp_port_in_use_{site_entry.entry_id}"
        )
        assert issue is not None
        assert issue.translation_placeholders == {"site": "Garage", "port": str(ocpp_port)}
    await hass.config_entries.async_reload(site_entry.entry_id)
    await hass.async_block_till_done()
    assert site_entry.state is ConfigEntryState.LOADED
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, f"ocpp_port_in_use_{site_entry.entry_id}")
        is None
    )
    await hass.config_entries.async_unload(site_entry.entry_id)


@pytest.fixture
def quick_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    """Calls to charge points time out after 0.3 s."""
    monkeypatch.setattr("custom_components.ev_v2g.charge_points.server.OCPP_CALL_TIMEOUT", 0.3)


async def test_a_charge_point_that_never_answers(
    hass: HomeAssistant, quick_calls: None, charger: SimulatedChargePoint
) -> None:
    """Our call times out: a translated error, nothing hangs, the next call works."""
    await set_manual(hass, "charger")
    charger.state.answer_calls = False
    with pytest.raises(HomeAssistantError) as caught:
        await hass.services.async_call(
            "number",
            "set_value",
            {"entity_id": "number.charger_current_limit", "value": 10},
            blocking=True,
        )
    assert caught.value.translation_key == "station_unreachable"
    charger.state.answer_calls = True
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": "number.charger_current_limit", "value": 12},
        blocking=True,
    )
    assert number_of(hass, "number.charger_current_limit") == 12


async def test_a_bad_certificate_is_a_setup_error(
    hass: HomeAssistant, site_entry: MockConfigEntry, ocpp_port: int, tmp_path: Path
) -> None:
    """Security profile 2 with files that are not a certificate and key: a clear retry reason."""
    (tmp_path / "cert.pem").write_text("not a certificate")
    (tmp_path / "key.pem").write_text("not a key")
    options = {
        "ocpp_port": ocpp_port,
        "ocpp_certfile": str(tmp_path / "cert.pem"),
        "ocpp_keyfile": str(tmp_path / "key.pem"),
    }
    site_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(site_entry, options=options)
    await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    assert site_entry.state is ConfigEntryState.SETUP_RETRY
    assert "certificate" in (site_entry.reason or "")


async def test_a_new_port_moves_the_central_system(
    hass: HomeAssistant,
    site: MockConfigEntry,
    charger: SimulatedChargePoint,
    ocpp_port: int,
) -> None:
    """Changing the port reloads the site on the new port; the old one is closed."""
    new_port = free_tcp_port()
    hass.config_entries.async_update_entry(site, options={**site.options, "ocpp_port": new_port})
    await hass.async_block_till_done()
    await wait_for(hass, lambda: not charger.connected, what="the old port closed")
    await charger.connect(f"ws://127.0.0.1:{new_port}")
    await wait_for(
        hass,
        lambda: state_of(hass, "sensor.charger_state") in ("idle", "plugged_in"),
        what="online",
    )
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", ocpp_port)


async def test_a_command_to_a_charger_that_went_away(
    hass: HomeAssistant, site: MockConfigEntry, charger: SimulatedChargePoint
) -> None:
    """The socket is gone when a command goes out: a translated error saying so."""
    hub = site.runtime_data.hub
    key = next(iter(hub.links))
    await charger.disconnect()
    await wait_for(hass, lambda: not hub.links[key].connected, what="offline")
    with pytest.raises(HomeAssistantError) as caught:
        async with station_errors(hub.station(key)):
            await hub.link(key).set_setpoint(10.0)
    assert caught.value.translation_key == "charge_point_offline"
    assert caught.value.translation_placeholders == {"station": "Charger"}
