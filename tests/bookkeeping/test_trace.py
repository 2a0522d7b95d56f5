"""The whole path, from the station's counter to the statement, through the faults of a month.

A real simulated station over UDP; Ann and Ben take turns. Meanwhile the counter glitches, the
station reboots, the clock steps back, Home Assistant reloads the site and the database is
locked. The truth is the station's own `delivered_wh`, split by whose session was running
while it was delivered (the relay is closed only in a session): each resident's statement must
match it to the Wh the statement shows, nothing unassigned, and balance against the registers.
"""

from __future__ import annotations

import sqlite3
import time

from homeassistant.const import STATE_ON
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_v2g.bookkeeping import session_book
from custom_components.ev_v2g.const import DOMAIN
from custom_components.ev_v2g.runtime import default_ledger_url
from hardware.station_sim import StationServer
from tests.common import call, resident, state_of, station_device, wait_for
from tests.conftest import SITE_DATA, station_subentry

PRICE = 0.30
CONNECTED = "binary_sensor.bay_1_connectivity"


class _SteppedClock:
    """The book's wall clock, stepped back (an NTP correction) while `step_s` is set."""

    monotonic = staticmethod(time.monotonic)

    def __init__(self) -> None:
        self.step_s = 0.0
        self.wall = time.time

    def time(self) -> float:
        return self.wall() - self.step_s


@pytest.fixture
def mock_config_entry(station_server: StationServer) -> MockConfigEntry:
    """One station that has counted for years, two residents, a fixed price."""
    station_server.station.energy_import_wh = 12_345.0
    return MockConfigEntry(
        domain=DOMAIN,
        title="Garage",
        unique_id="garage",
        data=SITE_DATA,
        options={"tariff": "fixed", "price": PRICE, "full_minutes": 0},
        subentries_data=[
            station_subentry("Bay 1", station_server.port),
            resident("ann", "Ann"),
            resident("ben", "Ben"),
        ],
    )


class Trace:
    """Sessions run one after the other; the truth is what the station delivered in each."""

    def __init__(self, hass: HomeAssistant, entry: MockConfigEntry, server: StationServer) -> None:
        """Follow `server`'s station on `entry`'s site."""
        self.hass = hass
        self.entry = entry
        self.server = server
        self.truth: dict[str, float] = {"ann": 0.0, "ben": 0.0}
        self._who: str | None = None
        self._since = 0.0

    @property
    def delivered(self) -> float:
        """What the station delivered so far (its truth, never reset)."""
        return self.server.station.delivered_wh

    async def start(self, who: str) -> None:
        """A session for `who`, as the service starts it."""
        await call(
            self.hass, "start_session", {"station": station_device(self.hass), "resident": who}
        )
        self._who, self._since = who, self.delivered

    async def charge(self, wh: float) -> None:
        """Let the car draw `wh` more."""
        target = self.delivered + wh
        await wait_for(self.hass, lambda: self.delivered >= target, within=15, what=f"{wh} Wh")

    async def stop(self) -> None:
        """End the session; what was delivered since its start is its resident's."""
        await call(self.hass, "stop_session", {"station": station_device(self.hass)})
        assert self._who is not None
        self.truth[self._who] += self.delivered - self._since
        self._who = None

    async def contact(self) -> None:
        """Until Home Assistant is in contact with the station."""
        await wait_for(
            self.hass, lambda: state_of(self.hass, CONNECTED) == STATE_ON, within=20, what="contact"
        )


async def test_a_month_of_faults_bills_what_the_station_delivered(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    station_server: StationServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every resident's kWh and cost as delivered, whatever happened in between."""
    entry = init_integration
    trace = Trace(hass, entry, station_server)
    sim = station_server.station
    await trace.contact()

    await trace.start("ann")
    await trace.charge(3)
    sim.faults.energy_reported_wh = 40.0  # a glitching counter: no phantom energy
    await trace.charge(2)
    sim.faults.energy_reported_wh = None
    await trace.charge(1)
    await trace.stop()

    await station_server.restart()  # idle: the counter starts again from 0, its boot changes
    await trace.contact()
    await trace.start("ben")
    await trace.charge(3)
    clock = _SteppedClock()
    monkeypatch.setattr(session_book, "time", clock)
    clock.step_s = 120.0  # the wall clock steps back two minutes
    await trace.charge(2)
    await trace.stop()

    await trace.start("ann")
    await trace.charge(2)
    assert await hass.config_entries.async_reload(entry.entry_id)  # Home Assistant reloads
    await hass.async_block_till_done()
    await trace.contact()
    await trace.charge(2)
    path = default_ledger_url(hass, entry.entry_id).removeprefix("sqlite:///")
    locked = sqlite3.connect(path, isolation_level=None)
    locked.execute("BEGIN EXCLUSIVE")  # another program holds the database
    try:
        await trace.charge(2)
        await trace.stop()
        await trace.start("ben")
        await trace.charge(2)
    finally:
        locked.execute("ROLLBACK")
        locked.close()
    await trace.stop()
    await hass.async_block_till_done()

    statement = await call(hass, "get_statement", {"config_entry_id": entry.entry_id})
    lines = {line["resident"]: line for line in statement["residents"]}
    for who, wh in trace.truth.items():
        assert lines[who]["import_kwh"] == pytest.approx(wh / 1000, abs=0.0015), who
        assert lines[who]["cost"] == pytest.approx(wh / 1000 * PRICE, abs=0.01), who
    assert statement["unassigned"]["import_kwh"] == 0
    assert statement["balanced"] is True
    assert lines["ann"]["sessions"] == 2
    assert lines["ben"]["sessions"] == 2
