"""Replay the condo pilot through the real write path and compare every month with its own truth.

Three stations, 3.5 months from 20 Jan 2019, sessions of three residents (and some nobody
claimed). The generator delivers energy to each station's counter every 20 s of a virtual clock
and keeps its own totals per resident and month. The integration's path does the rest as in
Home Assistant: station meter (core/meter.py, with counter glitches and reboots injected) →
session book (a reading when energy changed, at most once a minute, and at every month end) →
ledger writer (batched, off the event loop) → SQLite ledger → the statement service's builder.
Printed per month: the generator's kWh and cost against the statements', and the worst
difference per resident (all 0 to the Wh and the cent), with the time each stage took.

The clock is virtual: the session book's and the stations' `time` is the replay's clock, and
the bound readings of month ends fire when the replay passes them. The price is fixed (0.25):
the pilot's bills are compared on energy, which the price multiplies.

Run: ``.venv/bin/python -m bench.ledger_replay [--days N] [--seed S]``.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import defaultdict
from datetime import UTC, datetime
import random
import tempfile
import time
from types import SimpleNamespace

from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_test_home_assistant
import sqlalchemy as sa

from bench.machine import machine_facts
from custom_components.ev_v2g.bookkeeping import session_book
from custom_components.ev_v2g.bookkeeping.price import PriceSource
from custom_components.ev_v2g.bookkeeping.session_book import SessionBook
from custom_components.ev_v2g.bookkeeping.statements import Site, async_statement
from custom_components.ev_v2g.bookkeeping.writer import LedgerWriter
from custom_components.ev_v2g.core import station as station_module
from custom_components.ev_v2g.core.ledger import Ledger
from custom_components.ev_v2g.core.ledger_schema import readings
from custom_components.ev_v2g.core.period import month_bounds
from custom_components.ev_v2g.core.records import Authorization, AuthorizationKind, Session
from custom_components.ev_v2g.core.resident import Resident
from custom_components.ev_v2g.core.shared_costs import SharedCosts
from custom_components.ev_v2g.core.station import Station

START = datetime(2019, 1, 20, tzinfo=UTC).timestamp()
PRICE = 0.25
STEP_S = 20.0
RESIDENTS = {"ana": "Ana", "ben": "Ben", "chloe": "Chloé"}
STATIONS = ("bay-1", "bay-2", "bay-3")


class Clock:
    """The replay's clock, standing in for the `time` module where the path reads the time."""

    def __init__(self) -> None:
        """The replay starts at the pilot's first day."""
        self.now = START

    def time(self) -> float:
        """The wall clock."""
        return self.now

    def monotonic(self) -> float:
        """The monotonic clock: the same virtual seconds."""
        return self.now


class Counter:
    """A station's own register, with its boot record."""

    def __init__(self, rng: random.Random) -> None:
        """A register that has counted for a while."""
        self.rng = rng
        self.raw_wh = rng.uniform(10_000, 900_000)
        self.boot = 1.0
        self.reboots = 0

    def deliver(self, wh: float) -> tuple[float, float]:
        """Count `wh`; now and then the station reboots (counter from 0, new boot record)."""
        if self.rng.random() < 0.0003:
            self.raw_wh, self.boot = 0.0, self.boot + 1
            self.reboots += 1
        self.raw_wh += wh
        return self.raw_wh, self.boot


def plan(rng: random.Random, days: int) -> list[tuple[float, float, str, str | None, float]]:
    """Sessions (start, end, station, resident, power W): 1-9 h, about one a day per station."""
    sessions = []
    for station in STATIONS:
        at = START + rng.uniform(0, 6 * 3600)
        while at < START + days * 86400:
            hours = min(9.0, max(1.0, rng.gauss(5.1, 2.0)))
            roll = rng.random()
            owner = list(RESIDENTS)[STATIONS.index(station)]
            who = None if roll < 0.08 else (rng.choice(list(RESIDENTS)) if roll < 0.2 else owner)
            power = rng.choice([3700.0, 7400.0, 11000.0]) * rng.uniform(0.15, 0.3)
            sessions.append((at, at + hours * 3600, station, who, power))
            at += hours * 3600 + rng.uniform(4, 40) * 3600
    return sorted(sessions)


async def replay(days: int, seed: int) -> None:
    """Run the replay and print its comparison and timings."""
    rng = random.Random(seed)
    clock = Clock()
    session_book.time = clock  # type: ignore[assignment]
    station_module.time = clock  # type: ignore[assignment]
    with tempfile.TemporaryDirectory() as folder:
        async with async_test_home_assistant(config_dir=folder) as hass:
            zone = dt_util.get_default_time_zone()
            ledger = Ledger(f"sqlite:///{folder}/ledger.db")
            writer = LedgerWriter(hass, "bench", "Condo", ledger)
            await writer.async_open()
            residents = {key: Resident(key=key, name=name) for key, name in RESIDENTS.items()}
            stations = {key: Station(key=key, name=key.title()) for key in STATIONS}
            price = PriceSource(hass, {"tariff": "fixed", "price": PRICE})
            book = SessionBook(hass, writer, price, stations, residents)
            await book.async_load()
            book.start()
            for station in stations.values():
                station.connect()
            counters = {key: Counter(rng) for key in STATIONS}
            for key, counter in counters.items():  # first contact: the register as it stands
                stations[key].energy_import.update(counter.raw_wh, boot=counter.boot)
                stations[key].notify()
            truth: dict[tuple[str, str | None], float] = defaultdict(float)
            bounds, year, month = [], 2019, 1
            while (end := month_bounds(year, month, zone)[1]).timestamp() < START + days * 86400:
                bounds.append(end.timestamp())
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            timing = SimpleNamespace(path=0.0, flush=0.0, notifications=0, glitches=0)
            running: dict[str, tuple[float, float, str | None]] = {}
            sessions = plan(rng, days)
            index, last_flush = 0, START
            while clock.now < START + days * 86400:
                clock.now += STEP_S
                while bounds and clock.now >= bounds[0]:
                    book._bounds._reached(bounds.pop(0))  # noqa: SLF001 - the timer's own call
                started = time.perf_counter()
                while index < len(sessions) and sessions[index][0] <= clock.now:
                    _, stop, key, who, power = sessions[index]
                    index += 1
                    if key in running:
                        continue  # the station is busy: this car does not plug in
                    record = Session(
                        id=f"{key}-{index:05}",
                        station=key,
                        resident=who,
                        resident_name=RESIDENTS.get(who or ""),
                        authorization=Authorization(kind=AuthorizationKind.AUTOMATION, by="bench"),
                        started_at=clock.now,
                    )
                    stations[key].enable(record, residents.get(who or ""))
                    running[key] = (stop, power, who)
                for key, (stop, power, who) in list(running.items()):
                    station = stations[key]
                    wh = power * STEP_S / 3600
                    truth[(_month(clock.now, zone), who)] += wh
                    raw, boot = counters[key].deliver(wh)
                    station.energy_import.update(raw, boot=boot)
                    station.notify()
                    timing.notifications += 1
                    if rng.random() < 0.0005:  # a counter glitch: a lower value, no reboot
                        station.energy_import.update(raw - rng.uniform(1, 900), boot=boot)
                        timing.glitches += 1
                    if clock.now >= stop:
                        station.disable()
                        del running[key]
                timing.path += time.perf_counter() - started
                if clock.now - last_flush >= 600:  # the writer's batches, every 10 min
                    started = time.perf_counter()
                    await writer.async_flush()
                    timing.flush += time.perf_counter() - started
                    last_flush = clock.now
            for key in list(running):
                stations[key].disable()
            book.stop()
            await writer.async_flush()
            readings = await writer.async_read(_count_readings, ledger)
            print(machine_facts(f"SQLite, {days} days, seed {seed}"))
            print(
                f"{timing.notifications:,} notifications, {timing.glitches} glitches and"
                f" {sum(c.reboots for c in counters.values())} reboots injected,"
                f" {readings:,} readings written; path {timing.path:.1f} s"
                f" ({1e6 * timing.path / timing.notifications:.0f} µs a notification),"
                f" writer {timing.flush:.1f} s"
            )
            await _compare(book, truth, zone, days)
            await writer.async_close()


async def _compare(
    book: SessionBook, truth: dict[tuple[str, str | None], float], zone: object, days: int
) -> None:
    site = Site(residents=RESIDENTS, stations={}, currency="EUR")
    print(
        f"{'month':>7} {'truth kWh':>10} {'billed kWh':>10} {'worst Wh':>9} {'worst ct':>9} {'stmt ms':>8}"
    )
    months = sorted({month for month, _ in truth})
    worst_all = 0.0
    for name in months:
        year, month = map(int, name.split("-"))
        start, end = month_bounds(year, month, zone)  # type: ignore[arg-type]
        started = time.perf_counter()
        statement = await async_statement(book, start, end, SharedCosts(), site)
        elapsed = 1000 * (time.perf_counter() - started)
        lines = {line.resident: line for line in (*statement.residents, statement.unassigned)}
        worst_wh = worst_ct = 0.0
        for who in [*RESIDENTS, None]:
            want = truth.get((name, who), 0.0)
            line = lines.get(who)
            got, cost = (line.import_wh, line.cost) if line else (0.0, 0.0)
            worst_wh = max(worst_wh, abs(round(got) - round(want)))
            worst_ct = max(worst_ct, abs(round(cost * 100) - round(want / 1000 * PRICE * 100)))
        worst_all = max(worst_all, worst_wh, worst_ct)
        total = sum(v for (m, _), v in truth.items() if m == name) / 1000
        billed = sum(line.import_wh for line in lines.values()) / 1000
        print(
            f"{name:>7} {total:>10.3f} {billed:>10.3f} {worst_wh:>9.0f} {worst_ct:>9.0f} {elapsed:>8.1f}"
        )
    print("every month matches its truth" if worst_all == 0 else f"DIFFERENCES: worst {worst_all}")


def _month(at: float, zone: object) -> str:
    return f"{datetime.fromtimestamp(at, zone):%Y-%m}"  # type: ignore[arg-type]


def _count_readings(ledger: Ledger) -> int:
    return len(ledger._rows(sa.select(readings.c.id)))  # noqa: SLF001 - a count for the figures


def main() -> None:
    """Parse the options and replay."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=105)
    parser.add_argument("--seed", type=int, default=2019)
    args = parser.parse_args()
    asyncio.run(replay(args.days, args.seed))


if __name__ == "__main__":
    main()
