"""Sessions end to end over real UDP: who may start one, what the ledger books, the month sensors.

A simulated station charges a real car model; the ledger is the real SQLite file of the site.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
import math
import time

from homeassistant.auth.models import User
from homeassistant.const import (
    ATTR_ENTITY_ID,
    EVENT_HOMEASSISTANT_STOP,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_ON,
)
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.ev_v2g.bookkeeping import month_totals, session_book
from custom_components.ev_v2g.const import DOMAIN, EVENT_SESSION_ENDED, EVENT_SESSION_STARTED
from custom_components.ev_v2g.core.ledger import Ledger
from custom_components.ev_v2g.core.records import Session, Usage
from custom_components.ev_v2g.runtime import default_ledger_url
from hardware.station_sim import StationServer
from tests.common import (
    call,
    charge_a_little,
    number_of,
    resident,
    state_of,
    station_device,
    usage,
    wait_for,
)
from tests.conftest import SITE_DATA, station_subentry

SWITCH = "switch.bay_1_charging"
RESIDENT = "sensor.bay_1_session_resident"
STATE = "sensor.bay_1_state"
CONNECTED = "binary_sensor.bay_1_connectivity"
PRICE = 0.30
CREDIT = 0.10
BILLING = {"tariff": "fixed", "price": PRICE, "credit_rate": CREDIT, "full_minutes": 0}


@pytest.fixture(autouse=True)
def every_change_is_a_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read the meter on every change, not once a minute, so seconds of charging are booked."""
    monkeypatch.setattr(session_book, "READING_INTERVAL", 0)


@pytest.fixture
async def ann(hass: HomeAssistant, hass_owner_user: User) -> User:
    """A plain (non-admin) user, linked to the resident Ann (the owner exists first)."""
    return await hass.auth.async_create_user("Ann", group_ids=["system-users"])


@pytest.fixture
def mock_config_entry(station_server: StationServer, ann: User) -> MockConfigEntry:
    """A site with one station (no owner) and two residents; Ann is linked to a user."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Garage",
        unique_id="garage",
        data=SITE_DATA,
        options=BILLING,
        subentries_data=[
            station_subentry("Bay 1", station_server.port),
            resident("ann", "Ann", user_id=ann.id),
            resident("ben", "Ben"),
        ],
    )


@pytest.fixture
async def site(hass: HomeAssistant, init_integration: MockConfigEntry) -> MockConfigEntry:
    """The site once its station is in contact."""
    await wait_for(hass, lambda: state_of(hass, CONNECTED) == STATE_ON, what="contact")
    return init_integration


async def switch(hass: HomeAssistant, service: str, context: Context | None = None) -> None:
    """Turn the charging switch on or off."""
    await hass.services.async_call(
        "switch", service, {ATTR_ENTITY_ID: SWITCH}, blocking=True, context=context
    )


async def stored(entry: MockConfigEntry, session_id: str) -> Session:
    """A session as the ledger holds it."""
    writer = entry.runtime_data.book.writer
    session = await writer.async_read(writer.ledger.session, session_id)
    assert session is not None
    return session


def by_resident(rows: list[Usage]) -> dict[str | None, float]:
    """Wh imported by resident."""
    totals: dict[str | None, float] = {}
    for row in rows:
        totals[row.resident] = totals.get(row.resident, 0.0) + row.import_wh
    return totals


async def test_linked_user_charges_as_their_resident_and_is_billed(
    hass: HomeAssistant, site: MockConfigEntry, ann: User
) -> None:
    """Ann's session is hers: events, the ledger, the audit and her month sensors agree."""
    started = async_capture_events(hass, EVENT_SESSION_STARTED)
    ended = async_capture_events(hass, EVENT_SESSION_ENDED)
    context = Context(user_id=ann.id)
    await switch(hass, SERVICE_TURN_ON, context)
    assert state_of(hass, RESIDENT) == "Ann"
    session_id = hass.states.get(RESIDENT).attributes["session_id"]
    await charge_a_little(hass, site, wh=2.0)
    await switch(hass, SERVICE_TURN_OFF, context)
    await hass.async_block_till_done()

    assert [e.data["resident"] for e in started] == ["Ann"]
    assert started[0].data["user_id"] == ann.id
    assert started[0].data["session_id"] == session_id
    [event] = ended
    assert event.data["reason"] == "stopped"
    energy = event.data["energy_kwh"]
    assert energy >= 0.002
    assert event.data["cost"] == round(energy * PRICE, 2)

    session = await stored(site, session_id)
    assert (session.resident, session.end_reason) == ("ann", "stopped")
    assert session.authorization.user_id == ann.id
    assert session.authorization.context_id == context.id
    assert session.import_stop_wh is not None
    assert session.import_start_wh is not None
    booked = by_resident(await usage(site))
    assert booked["ann"] == pytest.approx(session.import_stop_wh - session.import_start_wh)
    assert booked["ann"] / 1000 == pytest.approx(energy, abs=0.0005)
    writer = site.runtime_data.book.writer
    audit = await writer.async_read(writer.ledger.audit, session_id)
    assert [entry.action for entry in audit] == ["session_started", "session_ended"]
    assert audit[0].user_id == ann.id

    assert number_of(hass, "sensor.ann_charged_this_month") == pytest.approx(
        booked["ann"] / 1000, abs=1e-4
    )
    cost = hass.states.get("sensor.ann_cost_this_month")
    assert float(cost.state) == pytest.approx(booked["ann"] / 1000 * PRICE, abs=1e-4)
    assert cost.attributes["unit_of_measurement"] == hass.config.currency
    assert cost.attributes["state_class"] == "total"
    assert number_of(hass, "sensor.ben_charged_this_month") == 0.0


async def test_start_session_names_a_resident(
    hass: HomeAssistant, site: MockConfigEntry, ann: User, hass_admin_user: User
) -> None:
    """Admins name any resident; a resident only themself; unknown names are refused."""
    station = station_device(hass)
    with pytest.raises(ServiceValidationError) as raised:
        await call(
            hass, "start_session", {"station": station, "resident": "Ben"}, Context(user_id=ann.id)
        )
    assert raised.value.translation_key == "not_authorized"
    with pytest.raises(ServiceValidationError) as raised:
        await call(hass, "start_session", {"station": station, "resident": "Zoe"})
    assert raised.value.translation_key == "unknown_resident"
    with pytest.raises(ServiceValidationError) as raised:
        await call(hass, "start_session", {"station": "no-such-device"})
    assert raised.value.translation_key == "station_not_found"
    assert state_of(hass, SWITCH) == "off"

    ben_device = next(d.id for d in dr.async_get(hass).devices.values() if d.name == "Ben")
    await call(
        hass,
        "start_session",
        {"station": station, "resident": ben_device},
        Context(user_id=hass_admin_user.id),
    )
    assert (state_of(hass, SWITCH), state_of(hass, RESIDENT)) == ("on", "Ben")
    attributes = hass.states.get(RESIDENT).attributes
    assert (attributes["authorization"], attributes["authorized_by"]) == (
        "user",
        hass_admin_user.name,
    )
    await call(hass, "stop_session", {"station": station})
    assert state_of(hass, SWITCH) == "off"
    assert state_of(hass, RESIDENT) == "unknown"


async def test_a_session_needs_a_resident_when_the_site_has_residents(
    hass: HomeAssistant, site: MockConfigEntry
) -> None:
    """An automation cannot start an unowned station's session for nobody."""
    with pytest.raises(ServiceValidationError) as raised:
        await switch(hass, SERVICE_TURN_ON)
    assert raised.value.translation_key == "resident_required"
    assert state_of(hass, SWITCH) == "off"
    await call(hass, "start_session", {"station": station_device(hass), "resident": "ben"})
    assert state_of(hass, RESIDENT) == "Ben"
    assert hass.states.get(RESIDENT).attributes["authorization"] == "automation"


async def test_restart_mid_session_loses_and_doubles_nothing(
    hass: HomeAssistant, site: MockConfigEntry, ann: User, station_server: StationServer
) -> None:
    """Home Assistant restarts while Ann charges: the same session goes on, every Wh once."""
    sim = station_server.station
    await switch(hass, SERVICE_TURN_ON, Context(user_id=ann.id))
    session_id = hass.states.get(RESIDENT).attributes["session_id"]
    await charge_a_little(hass, site, wh=1.0)
    sim_at_start = sim.energy_import_wh - (
        site.runtime_data.hub.stations[next(iter(site.runtime_data.hub.stations))].session_energy_wh
        or 0.0
    )

    assert await hass.config_entries.async_unload(site.entry_id)
    await hass.async_block_till_done()
    charged_while_down = sim.energy_import_wh
    await wait_for(
        hass, lambda: sim.energy_import_wh - charged_while_down >= 1.0, what="charging on"
    )
    assert await hass.config_entries.async_setup(site.entry_id)
    await hass.async_block_till_done()
    await wait_for(hass, lambda: state_of(hass, RESIDENT) == "Ann", what="session resumed")
    assert hass.states.get(RESIDENT).attributes["session_id"] == session_id
    await charge_a_little(hass, site, wh=1.0)
    await switch(hass, SERVICE_TURN_OFF, Context(user_id=ann.id))
    await hass.async_block_till_done()
    sim_at_stop = sim.energy_import_wh

    session = await stored(site, session_id)
    assert session.end_reason == "stopped"
    assert session.import_stop_wh is not None
    assert session.import_start_wh is not None
    booked = by_resident(await usage(site))
    in_session = session.import_stop_wh - session.import_start_wh
    assert booked["ann"] == pytest.approx(in_session)
    # What the station metered in the session, to within one notification's worth.
    assert in_session == pytest.approx(sim_at_stop - sim_at_start, abs=0.5)


async def test_a_station_rebooting_while_home_assistant_is_down_loses_nothing(
    hass: HomeAssistant, site: MockConfigEntry, ann: User, station_server: StationServer
) -> None:
    """It reboots and counts past its old register meanwhile: its boot record says so."""
    sim = station_server.station
    await switch(hass, SERVICE_TURN_ON, Context(user_id=ann.id))
    await charge_a_little(hass, site, wh=2.0)
    await switch(hass, SERVICE_TURN_OFF, Context(user_id=ann.id))
    await hass.async_block_till_done()
    await site.runtime_data.book.writer.async_flush()
    booked_before = sum(row.import_wh for row in await usage(site))
    total_before = next(iter(site.runtime_data.hub.stations.values())).energy_import.total_wh
    assert await hass.config_entries.async_unload(site.entry_id)
    await hass.async_block_till_done()
    register_before = sim.energy_import_wh
    await station_server.restart()
    # Counted since its boot while nobody watched: more than its register held before.
    sim.energy_import_wh = register_before + 3.0

    assert await hass.config_entries.async_setup(site.entry_id)
    await hass.async_block_till_done()
    meter = next(iter(site.runtime_data.hub.stations.values())).energy_import
    await wait_for(
        hass,
        lambda: meter.last_raw_wh == pytest.approx(sim.energy_import_wh, abs=0.001),
        what="the new register read",
    )
    assert total_before is not None
    assert meter.total_wh == pytest.approx(total_before + register_before + 3.0, abs=0.002)
    # The register is read before contact is declared (every resource's first answer comes
    # first); the reading is booked at contact.
    station = next(iter(site.runtime_data.hub.stations.values()))
    await wait_for(hass, lambda: station.available, what="contact")
    await site.runtime_data.book.writer.async_flush()
    booked = sum(row.import_wh for row in await usage(site))
    assert booked - booked_before == pytest.approx(register_before + 3.0, abs=0.01)


async def test_station_counter_reset_mid_session(
    hass: HomeAssistant, site: MockConfigEntry, ann: User, station_server: StationServer
) -> None:
    """A station whose counter restarts from zero: the lifetime total and the ledger go on."""
    sim = station_server.station
    await switch(hass, SERVICE_TURN_ON, Context(user_id=ann.id))
    await charge_a_little(hass, site, wh=1.0)
    station = next(iter(site.runtime_data.hub.stations.values()))
    before = station.energy_import.total_wh or 0.0
    sim.energy_import_wh = 0.0
    await charge_a_little(hass, site, wh=1.0)
    assert (station.energy_import.total_wh or 0.0) > before
    await switch(hass, SERVICE_TURN_OFF, Context(user_id=ann.id))
    await hass.async_block_till_done()
    rows = await usage(site)
    assert all(row.import_wh >= 0 for row in rows)
    assert by_resident(rows)["ann"] >= 2.0
    assert not math.isnan(number_of(hass, "sensor.ann_charged_this_month"))


async def test_statement_json_and_csv(
    hass: HomeAssistant, site: MockConfigEntry, ann: User
) -> None:
    """The month's statement lists both residents, balances, and is written as CSV on request."""
    await switch(hass, SERVICE_TURN_ON, Context(user_id=ann.id))
    await charge_a_little(hass, site, wh=1.0)
    await switch(hass, SERVICE_TURN_OFF, Context(user_id=ann.id))
    await hass.async_block_till_done()
    data = {"config_entry_id": site.entry_id, "shared_costs": 10.0}
    statement = await call(hass, "get_statement", data)
    assert statement["balanced"] is True
    lines = {line["name"]: line for line in statement["residents"]}
    assert set(lines) == {"Ann", "Ben"}
    assert lines["Ann"]["import_kwh"] > 0
    assert lines["Ben"]["import_kwh"] == 0
    assert lines["Ann"]["shared"] + lines["Ben"]["shared"] == pytest.approx(10.0)
    assert statement["unassigned"]["import_kwh"] == 0

    written = await call(hass, "get_statement", {**data, "format": "csv"})
    raw = await hass.async_add_executor_job(_read_bytes, written["csv_path"])
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, for spreadsheet programs
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0].startswith(
        "site,period_start,period_end,currency,closed,resident_id,"
    )
    assert "Garage" in text
    assert ",ann,Ann," in text

    empty = await call(
        hass, "get_statement", {"config_entry_id": site.entry_id, "period": "2020-01"}
    )
    assert empty["balanced"] is True
    assert [line["import_kwh"] for line in empty["residents"]] == [0, 0]
    with pytest.raises(ServiceValidationError) as raised:
        await call(hass, "get_statement", {"config_entry_id": site.entry_id, "period": "2026-13"})
    assert raised.value.translation_key == "invalid_period"


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


async def test_assign_session_moves_its_energy(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    station_server: StationServer,
    hass_admin_user: User,
    ann: User,
) -> None:
    """A session booked to Ann by mistake moves, with its energy, to Ben; the audit says who."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    site = mock_config_entry
    await wait_for(hass, lambda: state_of(hass, SWITCH) == "off", what="contact")
    await switch(hass, SERVICE_TURN_ON, Context(user_id=ann.id))
    session_id = hass.states.get(RESIDENT).attributes["session_id"]
    await charge_a_little(hass, site, wh=1.0)
    admin = Context(user_id=hass_admin_user.id)
    await switch(hass, SERVICE_TURN_OFF, admin)
    await hass.async_block_till_done()
    assert by_resident(await usage(site)).get("ben") is None

    data = {"config_entry_id": site.entry_id, "session_id": session_id, "resident": "Ben"}
    await call(hass, "assign_session", data, admin)
    booked = by_resident(await usage(site))
    assert booked["ben"] > 0
    assert booked.get("ann", 0.0) == 0.0
    assert booked.get(None, 0.0) == 0.0
    assert number_of(hass, "sensor.ben_charged_this_month") == pytest.approx(
        booked["ben"] / 1000, abs=1e-4
    )
    writer = site.runtime_data.book.writer
    audit = await writer.async_read(writer.ledger.audit, session_id)
    assigned = [entry for entry in audit if entry.action == "session_assigned"]
    assert [entry.user_id for entry in assigned] == [hass_admin_user.id]

    with pytest.raises(ServiceValidationError) as raised:
        await call(hass, "assign_session", {**data, "session_id": "nope"}, admin)
    assert raised.value.translation_key == "unknown_session"
    await hass.config_entries.async_unload(site.entry_id)


async def test_a_new_month_starts_from_zero(
    hass: HomeAssistant, site: MockConfigEntry, ann: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At the turn of the month the residents' sensors start again, with a new last_reset."""
    await switch(hass, SERVICE_TURN_ON, Context(user_id=ann.id))
    await charge_a_little(hass, site, wh=1.0)
    await switch(hass, SERVICE_TURN_OFF, Context(user_id=ann.id))
    await hass.async_block_till_done()
    sensor = "sensor.ann_charged_this_month"
    assert number_of(hass, sensor) > 0
    _, end = site.runtime_data.book.month
    for module in (session_book, month_totals):
        monkeypatch.setattr(module, "this_month", lambda: (end, end + timedelta(days=30)))
    async_fire_time_changed(hass, end + timedelta(seconds=1))
    await wait_for(hass, lambda: number_of(hass, sensor) == 0.0, what="new month")
    assert hass.states.get(sensor).attributes["last_reset"] == end.isoformat()
    assert site.runtime_data.book.month == (end, end + timedelta(days=30))


async def test_home_assistant_stopping_writes_the_last_records(
    hass: HomeAssistant, site: MockConfigEntry, ann: User
) -> None:
    """A session started a moment before Home Assistant stops is on record after it."""
    await switch(hass, SERVICE_TURN_ON, Context(user_id=ann.id))
    session_id = hass.states.get(RESIDENT).attributes["session_id"]
    writer = site.runtime_data.book.writer
    assert writer.queue  # not written yet: the batch waits for its flush delay
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert not writer.queue
    ledger = Ledger(default_ledger_url(hass, site.entry_id))
    await hass.async_add_executor_job(ledger.open)
    try:
        stored_session = await hass.async_add_executor_job(ledger.session, session_id)
    finally:
        await hass.async_add_executor_job(ledger.close)
    assert stored_session is not None
    assert stored_session.resident == "ann"
    assert stored_session.ended_at is None  # still running: it resumes at the next start
    assert await hass.config_entries.async_unload(site.entry_id)


async def test_an_owned_station_found_charging_needs_a_new_authorization(
    hass: HomeAssistant, station_server: StationServer, ann: User
) -> None:
    """A relay found closed at Ann's station, nothing on record: opened, no session is assumed.

    The car plugged in next charges only once someone starts a session: no energy without one.
    """
    sim = station_server.station
    sim.set_switch(True)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Garage",
        data=SITE_DATA,
        options=BILLING,
        subentries_data=[
            station_subentry("Bay 1", station_server.port, owner="ann"),
            resident("ann", "Ann", user_id=ann.id),
            resident("ben", "Ben"),
        ],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await wait_for(hass, lambda: not sim.switch_on, what="the relay opened")
    assert state_of(hass, RESIDENT) == "unknown"
    vehicle = sim.vehicle
    sim.unplug()
    sim.plug(vehicle)
    await asyncio.sleep(0.5)
    assert not sim.switch_on
    assert sim.current_a == 0
    assert by_resident(await usage(entry)).get(None, 0.0) == 0.0  # nothing charged
    await switch(hass, SERVICE_TURN_ON, Context(user_id=ann.id))
    await wait_for(hass, lambda: state_of(hass, RESIDENT) == "Ann", what="Ann's session")
    await charge_a_little(hass, entry, wh=1.0)
    await hass.config_entries.async_unload(entry.entry_id)


class _SteppedClock:
    """The book's view of time with the wall clock stepped back (NTP, a dead RTC battery)."""

    monotonic = staticmethod(time.monotonic)

    def __init__(self, step_s: float) -> None:
        self.step_s = step_s
        self.wall = time.time

    def time(self) -> float:
        return self.wall() - self.step_s


async def test_a_clock_stepping_back_loses_no_energy(
    hass: HomeAssistant,
    site: MockConfigEntry,
    ann: User,
    station_server: StationServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The clock steps back 300 s mid-session: all of Ann's energy is hers, none unassigned.

    Checked against the station's own counter: before, the readings of the next 300 s, the
    session's last one included, were dropped as stale and the rest went to no one.
    """
    sim = station_server.station
    await switch(hass, SERVICE_TURN_ON, Context(user_id=ann.id))
    start_wh = sim.delivered_wh
    await charge_a_little(hass, site, wh=1.0)
    monkeypatch.setattr(session_book, "time", _SteppedClock(300.0))
    await charge_a_little(hass, site, wh=1.0)
    await switch(hass, SERVICE_TURN_OFF, Context(user_id=ann.id))
    await hass.async_block_till_done()
    delivered = sim.delivered_wh - start_wh
    rows = by_resident(await usage(site))
    assert rows.get(None, 0.0) == 0.0
    assert rows["ann"] == pytest.approx(delivered, abs=0.5)


async def test_a_sessions_last_count_is_its_own(
    hass: HomeAssistant, site: MockConfigEntry, ann: User, station_server: StationServer
) -> None:
    """A session's last count, notified after it ended, is still Ann's, not unassigned.

    That is the energy counted between the station's last notification and the relay opening;
    the station notifies /energy per whole Wh (and at its heartbeat, made rare here). It is read
    at once when the session ends; before, it came with a later notification, unassigned.
    """
    sim = station_server.station
    await switch(hass, SERVICE_TURN_ON, Context(user_id=ann.id))
    await charge_a_little(hass, site, wh=2.5)
    sim.max_age = 60  # no heartbeat for 30 s
    station = next(iter(site.runtime_data.hub.stations.values()))
    await wait_for(
        hass,
        lambda: sim.energy_import_wh - (station.energy_import.total_wh or 0.0) > 0.3,
        what="part of a Wh not notified yet",
    )
    await switch(hass, SERVICE_TURN_OFF, Context(user_id=ann.id))
    station_server.notify_all()  # a notification brings it at the latest
    await wait_for(
        hass,
        lambda: abs((station.energy_import.total_wh or 0.0) - sim.energy_import_wh) < 0.002,
        what="the station's last count",
    )
    await hass.async_block_till_done()
    rows = by_resident(await usage(site))
    assert rows.get(None, 0.0) == pytest.approx(0.0, abs=1e-6)
    assert rows["ann"] == pytest.approx(sum(rows.values()), abs=1e-6)


async def test_a_resident_who_moved_out_pays_the_shared_costs_of_their_time(
    hass: HomeAssistant, site: MockConfigEntry
) -> None:
    """Ben is removed today: this month's 10.00 shared goes to Ann and Ben by days lived here.

    Before, it went to the residents configured now: all of it to Ann, and Ben vanished.
    """
    ben = site.subentries["ben"]
    moved_out = time.time()
    hass.config_entries.async_remove_subentry(site, ben.subentry_id)
    await hass.async_block_till_done()
    statement = await call(
        hass, "get_statement", {"config_entry_id": site.entry_id, "shared_costs": 10.0}
    )
    lines = {line["resident"]: line for line in statement["residents"]}
    start, end = month_totals.this_month()
    ben_part = (moved_out - start.timestamp()) / (end - start).total_seconds()
    assert lines["ben"]["name"] == "Ben"
    assert lines["ben"]["shared"] == pytest.approx(10.0 * ben_part / (1 + ben_part), abs=0.011)
    assert lines["ann"]["shared"] + lines["ben"]["shared"] == pytest.approx(10.0)
