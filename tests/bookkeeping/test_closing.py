"""Closing a month: its statement stays as issued, later corrections are billed in the next open one.

The ledger is the site's real SQLite file; January and February's records are written to it as
the writer would have (readings of two stations, sessions of Ann and Ben). The truth is those
records: what each session metered, at the price it was metered at.
"""

from __future__ import annotations

from datetime import datetime
import json
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_v2g.const import DOMAIN
from custom_components.ev_v2g.core.records import LedgerRecord
from hardware.station_sim import StationServer
from tests.common import call, resident
from tests.conftest import SITE_DATA, station_subentry
from tests.core.ledger.build import reading, session

PRICE = 0.30


def at(month: int, day: int, hour: int = 12) -> float:
    """A moment of 2026 in Home Assistant's time zone."""
    zone = dt_util.get_default_time_zone()
    return datetime(2026, month, day, hour, tzinfo=zone).timestamp()


def metered(
    station: str, session_id: str, start: float, wh: float, base: float = 0.0
) -> list[LedgerRecord]:
    """A session's first and last readings of the station's register: `wh` in an hour."""
    return [
        reading(start, base, station=station, session_id=session_id, price=PRICE),
        reading(start + 3600, base + wh, station=station, session_id=session_id, price=PRICE),
    ]


@pytest.fixture
def mock_config_entry(station_server: StationServer) -> MockConfigEntry:
    """A site with one station and two residents, a fixed price, 10.00 of shared costs."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Garage",
        unique_id="garage",
        data=SITE_DATA,
        options={"tariff": "fixed", "price": PRICE, "full_minutes": 0, "shared_costs": 10.0},
        subentries_data=[
            station_subentry("Bay 1", station_server.port),
            resident("ann", "Ann"),
            resident("ben", "Ben"),
        ],
    )


async def write(entry: MockConfigEntry, records: list[LedgerRecord]) -> None:
    """Records as the writer would have written them."""
    await entry.runtime_data.book.writer.async_write_now(records)


async def statement(hass: HomeAssistant, entry: MockConfigEntry, period: str) -> dict[str, Any]:
    """The month's statement, as the service returns it."""
    data = {"config_entry_id": entry.entry_id, "period": period}
    return dict(await call(hass, "get_statement", data))


def read_csv(path: str) -> str:
    """A CSV file as the service wrote it (UTF-8 with a BOM)."""
    return Path(path).read_text(encoding="utf-8-sig")


def lines(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The residents' lines by key."""
    return {line["resident"]: line for line in data["residents"]}


async def test_a_closed_month_stays_as_issued(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """January is closed, then its session moves to Ben and a late session of Ann arrives.

    January stays as issued; February bills the move; the late session, after February is
    closed too, is billed in March. Every Wh and cent of the records is billed once.
    """
    entry = init_integration
    await write(
        entry,
        [
            session("jan", station="st1", resident="ann", started_at=at(1, 10)),
            *metered("st1", "jan", at(1, 10), 5000.0),
            session("feb", station="st1", resident="ben", started_at=at(2, 10)),
            *metered("st1", "feb", at(2, 10), 2000.0, base=5000.0),
        ],
    )
    issued = await call(
        hass, "close_period", {"config_entry_id": entry.entry_id, "period": "2026-01"}
    )
    assert issued["closed"] is True
    assert (lines(issued)["ann"]["import_kwh"], lines(issued)["ann"]["cost"]) == (5.0, 1.5)
    [jan] = lines(issued)["ann"]["session_list"]
    assert (jan["session_id"], jan["import_kwh"], jan["cost"]) == ("jan", 5.0, 1.5)
    assert lines(issued)["ann"]["bands"] == [{"price": PRICE, "import_kwh": 5.0, "cost": 1.5}]

    await call(
        hass,
        "assign_session",
        {"config_entry_id": entry.entry_id, "session_id": "jan", "resident": "ben"},
    )
    again = await statement(hass, entry, "2026-01")
    assert again == issued  # not Ben's: January was closed before the move

    february = await statement(hass, entry, "2026-02")
    assert february["closed"] is False
    moved = {(a["resident"], a["import_kwh"], a["cost"]) for a in february["adjustments"]}
    assert moved == {("ann", -5.0, -1.5), ("ben", 5.0, 1.5)}
    assert {a["period_start"][:7] for a in february["adjustments"]} == {"2026-01"}
    assert lines(february)["ann"]["adjustment"] == -1.5
    assert lines(february)["ann"]["net"] == pytest.approx(5.0 - 1.5)
    assert lines(february)["ben"]["net"] == pytest.approx(0.6 + 5.0 + 1.5)
    assert february["balanced"] is True  # February's own energy: the adjustments are January's

    closed_february = await call(
        hass, "close_period", {"config_entry_id": entry.entry_id, "period": "2026-02"}
    )
    assert closed_february["adjustments"] == february["adjustments"]
    # Records of January written late (the database was down): billed in March, the next open.
    await write(
        entry,
        [
            session("late", station="st2", resident="ann", started_at=at(1, 20)),
            *metered("st2", "late", at(1, 20), 1000.0),
        ],
    )
    march = await statement(hass, entry, "2026-03")
    late = [(a["resident"], a["import_kwh"], a["cost"]) for a in march["adjustments"]]
    assert late == [("ann", 1.0, 0.3)]
    assert await statement(hass, entry, "2026-02") == closed_february

    # Every Wh of the records is billed once over the issued statements and March's adjustments.
    billed = {"ann": 0.0, "ben": 0.0}
    for data in (issued, closed_february, march):
        for key in billed:
            billed[key] += lines(data)[key]["import_kwh"] if data is not march else 0.0
        for adjustment in data["adjustments"]:
            billed[adjustment["resident"]] += adjustment["import_kwh"]
    assert billed == pytest.approx({"ann": 1.0, "ben": 7.0})


async def test_a_month_closes_once_and_only_once_it_is_over(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Closing again, or closing the month in progress, is refused with a translated reason."""
    entry = init_integration
    data = {"config_entry_id": entry.entry_id, "period": "2026-01"}
    await call(hass, "close_period", data)
    with pytest.raises(ServiceValidationError) as again:
        await call(hass, "close_period", data)
    assert again.value.translation_key == "period_closed"
    now = dt_util.now()
    with pytest.raises(ServiceValidationError) as early:
        await call(hass, "close_period", {**data, "period": f"{now:%Y-%m}"})
    assert early.value.translation_key == "period_not_over"
    with pytest.raises(ServiceValidationError) as bad:
        await call(hass, "close_period", {**data, "period": "2026-13"})
    assert bad.value.translation_key == "invalid_period"


async def test_a_closed_month_survives_a_restart_and_says_so_in_csv(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The issued statement is in the ledger: after a reload it reads the same, CSV included."""
    entry = init_integration
    await write(
        entry,
        [
            session("jan", station="st1", resident="ann", started_at=at(1, 10)),
            *metered("st1", "jan", at(1, 10), 5000.0),
        ],
    )
    issued = await call(
        hass, "close_period", {"config_entry_id": entry.entry_id, "period": "2026-01"}
    )
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    data = {"config_entry_id": entry.entry_id, "period": "2026-01", "format": "csv"}
    again = await call(hass, "get_statement", data)
    assert {key: value for key, value in again.items() if not key.endswith("csv_path")} == issued
    rows = (await hass.async_add_executor_job(read_csv, again["csv_path"])).splitlines()
    assert rows[1].split(",")[4] == issued["closed_at"]
    sessions = (
        await hass.async_add_executor_job(read_csv, again["sessions_csv_path"])
    ).splitlines()
    assert len(sessions) == 2
    assert sessions[1].split(",")[5:9] == ["ann", "Ann", "jan", "st1"]
    stored = await entry.runtime_data.book.writer.async_read(
        entry.runtime_data.book.writer.ledger.audit
    )
    assert json.loads(stored[-1].detail)["period_start"] == at(1, 1, 0)
