"""The ledger's faults as Home Assistant lives them: locked, unreachable, and a full car.

Nothing is dropped while Home Assistant runs: records wait in memory behind a repair issue.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from functools import partial
import sqlite3
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.ev_v2g import runtime
from custom_components.ev_v2g.bookkeeping import session_book
from custom_components.ev_v2g.const import DOMAIN, EVENT_SESSION_ENDED
from custom_components.ev_v2g.core.ledger import Ledger
from hardware.station_sim import StationServer
from tests.common import call, charge_a_little, resident, state_of, station_device, usage, wait_for
from tests.conftest import SITE_DATA, station_subentry

CONNECTED = "binary_sensor.bay_1_connectivity"


@pytest.fixture(autouse=True)
def quick_ledger(monkeypatch: pytest.MonkeyPatch) -> None:
    """A locked SQLite file fails in 0.1 s instead of 5; every change is a reading."""
    monkeypatch.setattr(runtime, "Ledger", partial(Ledger, busy_timeout_s=0.1))
    monkeypatch.setattr(session_book, "READING_INTERVAL", 0)


@pytest.fixture
def mock_config_entry(station_server: StationServer) -> MockConfigEntry:
    """One station owned by nobody, one resident; a full car ends its session after 1 min."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Garage",
        unique_id="garage",
        data=SITE_DATA,
        options={"price": 0.25, "full_minutes": 1, "full_power_w": 100},
        subentries_data=[
            station_subentry("Bay 1", station_server.port),
            resident("ben", "Ben"),
        ],
    )


@pytest.fixture
async def site(hass: HomeAssistant, init_integration: MockConfigEntry) -> MockConfigEntry:
    """The site once its station is in contact."""
    await wait_for(hass, lambda: state_of(hass, CONNECTED) == STATE_ON, what="contact")
    return init_integration


@pytest.fixture
def lock(hass: HomeAssistant, site: MockConfigEntry) -> Iterator[sqlite3.Connection]:
    """Another process holding the site's SQLite ledger in an exclusive transaction."""
    path = runtime.default_ledger_url(hass, site.entry_id).removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    yield holder
    holder.close()


def issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    """The site's ledger repair issue, if raised."""
    return ir.async_get(hass).async_get_issue(DOMAIN, f"ledger_unavailable_{entry.entry_id}")


async def test_locked_ledger_keeps_every_record_and_raises_a_repair(
    hass: HomeAssistant, site: MockConfigEntry, lock: sqlite3.Connection
) -> None:
    """A whole session booked while the database is locked is written once it is free."""
    writer = site.runtime_data.book.writer
    station = station_device(hass)
    await call(hass, "start_session", {"station": station, "resident": "Ben"})
    await charge_a_little(hass, site, wh=1.0)
    await call(hass, "stop_session", {"station": station})
    assert not await writer.async_flush()
    assert writer.queue
    raised = issue(hass, site)
    assert raised is not None
    assert raised.translation_key == "ledger_unavailable"
    assert "locked" in (raised.translation_placeholders or {})["error"]
    with pytest.raises(HomeAssistantError) as error:
        await call(hass, "get_statement", {"config_entry_id": site.entry_id})
    assert error.value.translation_key == "ledger_unreachable"
    queued = len(writer.queue)

    lock.execute("ROLLBACK")
    assert await writer.async_flush()
    assert not writer.queue
    assert issue(hass, site) is None
    stations = site.runtime_data.hub.stations
    session_wh = sum(s.energy_import.total_wh or 0.0 for s in stations.values())
    rows = await usage(site)
    booked = sum(row.import_wh for row in rows if row.resident == "ben")
    assert booked >= 1.0
    assert sum(row.import_wh for row in rows) <= session_wh
    assert queued >= 3  # the session, its readings and its end


async def test_retry_after_backoff_writes_by_itself(
    hass: HomeAssistant, site: MockConfigEntry, lock: sqlite3.Connection
) -> None:
    """A failed write is retried on its own after the back-off; the repair then goes away."""
    writer = site.runtime_data.book.writer
    await call(hass, "start_session", {"station": station_device(hass), "resident": "Ben"})
    assert not await writer.async_flush()
    assert issue(hass, site) is not None
    lock.execute("ROLLBACK")
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=10))
    await wait_for(hass, lambda: not writer.queue, what="retried write")
    assert issue(hass, site) is None
    assert writer.failures == 0


async def test_unreachable_database_at_setup_retries(
    hass: HomeAssistant, station_server: StationServer
) -> None:
    """A PostgreSQL URL nobody answers: setup is retried later, with the reason."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Garage",
        data=SITE_DATA,
        options={"ledger_url": "postgresql://ev:secret@127.0.0.1:1/ev"},
        subentries_data=[station_subentry("Bay 1", station_server.port)],
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert "ledger database cannot be opened" in (entry.reason or "")


async def test_full_car_ends_its_session(
    hass: HomeAssistant, site: MockConfigEntry, station_server: StationServer
) -> None:
    """A car that stops drawing while it may charge is full: the session ends with that reason."""
    ended = async_capture_events(hass, EVENT_SESSION_ENDED)
    await call(hass, "start_session", {"station": station_device(hass), "resident": "Ben"})
    await wait_for(
        hass, lambda: state_of(hass, "sensor.bay_1_state") == "charging", what="charging"
    )
    vehicle = station_server.station.vehicle
    assert vehicle is not None
    vehicle.soc = 100.0
    await wait_for(hass, lambda: _power(hass) < 100, what="the car stops drawing")
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=30))
    await hass.async_block_till_done()
    assert state_of(hass, "switch.bay_1_charging") == "on"
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=61))
    await wait_for(hass, lambda: bool(ended), what="session end")
    assert ended[0].data["reason"] == "full"
    assert ended[0].data["resident"] == "Ben"
    assert station_server.station.switch_on is False
    assert state_of(hass, "switch.bay_1_charging") == "off"


def _power(hass: HomeAssistant) -> float:
    state: Any = hass.states.get("sensor.bay_1_power")
    try:
        return float(state.state)
    except (AttributeError, ValueError):
        return float("inf")
