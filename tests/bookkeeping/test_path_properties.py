"""Every kWh billed once, to the right resident, in the right period: the whole write path.

Hypothesis draws a site's days across a month end (and the night clocks fall back): stations
with or without a boot record, visits of residents (and of nobody), and faults. Counters
reboot, glitch, and send stale values; stations drop out of contact (and may reboot unseen);
Home Assistant restarts, and records queued while the database fails survive it. Database
commits fail, before or after they commit. The wall clock steps back. The generator keeps its
own totals per resident and month, priced by its own copy of the time-of-use schedule. The
statements must match them to the Wh and the cent, on SQLite and on PostgreSQL.

The path is the integration's: station meter → session book (with its bound readings on
Home Assistant's timers) → ledger writer → database → the statement service's builder. Only
the links stand aside: each notification updates the station's meter as a link does, and
first contact after a restart settles the sessions on record with the links' own
`settle_sessions`. Where the ledger cannot know how energy was spread (a station out of
contact, Home Assistant stopped), it spreads it evenly over the time; so such gaps fall where
a car draws a steady power or none. The clock steps back away from the bounds a bill is cut
at: a reading can only be dated by the clock it has.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
import itertools
from pathlib import Path
import random
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
import sqlalchemy as sa

from custom_components.ev_v2g.bookkeeping.price import PriceSource
from custom_components.ev_v2g.bookkeeping.session_book import SessionBook
from custom_components.ev_v2g.bookkeeping.statements import Site, async_statement
from custom_components.ev_v2g.bookkeeping.writer import LedgerWriter
from custom_components.ev_v2g.core.ledger import Ledger
from custom_components.ev_v2g.core.meter import allowance_wh
from custom_components.ev_v2g.core.period import month_bounds
from custom_components.ev_v2g.core.records import Authorization, AuthorizationKind, Session
from custom_components.ev_v2g.core.resident import Resident
from custom_components.ev_v2g.core.shared_costs import SharedCosts
from custom_components.ev_v2g.core.station import Station
from custom_components.ev_v2g.links.settle import settle_sessions
from tests.ledger_servers import PostgresServer

STEP = 60
"""Seconds of a step: a station reports its register every step, 10 ms after counting."""
LAG = 0.01
WINDOWS = {0: 0.12, 7: 0.30, 17: 0.42, 22: 0.18}
"""The time-of-use schedule, as the test reads it: hour of the window's start → price."""
SCHEDULE = ", ".join(f"{hour:02}:00={price}" for hour, price in WINDOWS.items())
RESIDENTS = {"ann": "Ann", "ben": "Ben"}
WHO = [*RESIDENTS, None]


def price_at(moment: datetime) -> float:
    """The schedule's price at a local time."""
    return WINDOWS[max(hour for hour in WINDOWS if hour <= moment.hour)]


@dataclass
class Visit:
    """A car at a station from step `start` to step `end`, drawing `power_w` for `who`."""

    start: int
    end: int
    who: str | None
    power_w: float


@dataclass
class Gap:
    """A station silent after step `start` until step `end`; `reboot`: it restarts meanwhile."""

    start: int
    end: int
    reboot: bool


@dataclass
class StationPlan:
    """One station's days: its visits and faults."""

    key: str
    boot: bool
    visits: list[Visit]
    reboots: set[int]
    glitches: set[int]
    stale: set[int]
    gaps: list[Gap]


@dataclass
class Plan:
    """A site's days: stations, Home Assistant's restarts, database faults and clock steps."""

    start: float
    steps: int
    stations: list[StationPlan]
    restarts: list[Gap]
    """Home Assistant stops after `start` and is back at `end`; `reboot`: stations restart."""
    db_faults: dict[int, str]
    """Step → how each commit fails then: "before" (nothing written) or "after" it committed."""
    clock: dict[int, float]
    """Step → how far the wall clock is behind (s)."""


def steady(visits: list[Visit], start: int, end: int) -> bool:
    """Whether the same car (or none) draws power in every step from `start` to `end`."""
    drawing = {id(running_visit(visits, step)) for step in range(start - 1, end + 2)}
    return len(drawing) == 1


def running_visit(visits: list[Visit], step: int) -> Visit | None:
    """The visit whose car draws power in the step ending at `step`."""
    return next((visit for visit in visits if visit.start < step <= visit.end), None)


def quiet(plan: Plan, start: int, end: int) -> bool:
    """Whether every station is steady and in contact over [start, end]."""
    return all(
        steady(station.visits, start, end)
        and all(end < gap.start or start > gap.end for gap in station.gaps)
        for station in plan.stations
    )


def bounds_near(plan: Plan, step: int, margin: int) -> bool:
    """Whether a month end or a price change falls within `margin` steps of `step`."""
    zone = dt_util.get_default_time_zone()
    for near in range(step - margin, step + margin + 1):
        moment = datetime.fromtimestamp(plan.start + near * STEP, zone)
        if moment.minute == 0 and (moment.hour in WINDOWS or (moment.day, moment.hour) == (1, 0)):
            return True
    return False


def station_plan(rng: random.Random, key: str, steps: int) -> StationPlan:
    """Visits with idle time between them, and faults at random steps."""
    visits: list[Visit] = []
    at = rng.randint(1, 300)  # step 0 is first contact: visits start after it
    while (end := at + rng.randint(30, 600)) < steps:
        visits.append(Visit(at, end, rng.choice(WHO), rng.uniform(1400, 7400)))
        at = end + rng.randint(5, 400)
    station = StationPlan(key, rng.random() < 0.6, visits, set(), set(), set(), [])
    for _ in range(rng.randint(0, 4)):
        start = rng.randint(1, steps - 3)
        end = min(steps - 2, start + rng.randint(2, 150))
        if steady(visits, start, end) and all(
            end < gap.start - 2 or start > gap.end + 2 for gap in station.gaps
        ):
            station.gaps.append(Gap(start, end, rng.random() < 0.5))
    for faults in (station.reboots, station.glitches, station.stale):
        faults.update(rng.randint(1, steps - 1) for _ in range(rng.randint(0, 6)))
    if not station.boot:
        station.reboots.clear()  # without a boot record, only a restart out of contact is known
    return station


def make_plan(seed: int) -> Plan:
    """Two or three days from a random minute of the day before a month ends."""
    rng = random.Random(seed)
    zone = dt_util.get_default_time_zone()
    first = datetime(2025, 10, 30, tzinfo=zone).timestamp()
    start = first + 60 * rng.randint(0, 24 * 60)
    steps = rng.randint(36 * 60, 60 * 60)
    stations = [station_plan(rng, f"bay{index}", steps) for index in range(rng.randint(1, 3))]
    plan = Plan(start, steps, stations, [], {}, {})
    for _ in range(rng.randint(0, 2)):
        down = rng.randint(1, steps - 3)
        up = min(steps - 2, down + rng.randint(1, 120))
        if quiet(plan, down - 1, up + 1) and all(
            up < r.start or down > r.end for r in plan.restarts
        ):
            plan.restarts.append(Gap(down, up, rng.random() < 0.4))
    for _ in range(rng.randint(0, 3)):
        start_step = rng.randint(1, steps - 2)
        kind = rng.choice(["before", "after"])
        for step in range(start_step, min(steps - 1, start_step + rng.randint(1, 200))):
            plan.db_faults[step] = kind
    for _ in range(rng.randint(0, 2)):
        behind, start_step = rng.uniform(1, 600), rng.randint(1, steps - 40)
        end_step = start_step + rng.randint(1, 30)
        margin = int(behind // STEP) + 3
        far = range(start_step - 20, end_step + 20)
        if not any(
            bounds_near(plan, step, margin) for step in range(start_step, end_step + 1)
        ) and (
            all(step < r.start or step > r.end for step in far for r in plan.restarts)
            and all(
                step < gap.start or step > gap.end
                for step in far
                for station in plan.stations
                for gap in station.gaps
            )
        ):
            plan.clock.update(dict.fromkeys(range(start_step, end_step), behind))
    return plan


@dataclass
class Truth:
    """What the generator delivered: Wh and cost per (month, resident), sessions per month."""

    wh: dict[tuple[str, str | None], float] = field(default_factory=lambda: defaultdict(float))
    cost: dict[tuple[str, str | None], float] = field(default_factory=lambda: defaultdict(float))
    sessions: dict[tuple[str, str | None], int] = field(default_factory=lambda: defaultdict(int))


class Faults:
    """Commits of a ledger's engine that fail, before or after committing."""

    def __init__(self) -> None:
        """No fault yet."""
        self.kind: str | None = None

    def attach(self, ledger: Ledger) -> None:
        """Watch the commits of an opened ledger."""
        sa.event.listen(ledger._require_engine(), "commit", self._commit)

    def _commit(self, connection: sa.Connection) -> None:
        if self.kind == "after":
            connection.connection.dbapi_connection.commit()  # type: ignore[union-attr]
        if self.kind is not None:
            raise sa.exc.OperationalError("COMMIT", None, Exception(f"commit failed {self.kind}"))


@dataclass
class World:
    """The stations' own registers and boot records, as they count whatever we hear."""

    raw: dict[str, float]
    boot: dict[str, int]
    previous: dict[str, float]

    def reboot(self, station: StationPlan, unseen_s: float) -> None:
        """The station restarts, unseen for `unseen_s`: its counter from 0, a new boot record.

        Without a boot record, a restart is known only by a lower counter: one that counts
        past its old value meanwhile is indistinguishable from one that never restarted, so
        such a station restarts unseen only when its counter is well above what it can count.
        """
        most = allowance_wh(Station(key="", name="").capabilities.max_power_w(), unseen_s + STEP)
        if station.boot or self.raw[station.key] > most:
            self.raw[station.key], self.boot[station.key] = 0.0, self.boot[station.key] + 1


class Life:
    """Home Assistant's part: one life from start to stop, on the same database each time."""

    def __init__(self, hass: HomeAssistant, url: str, entry: str, faults: Faults) -> None:
        """Not started yet."""
        self.hass, self.url, self.entry, self.faults = hass, url, entry, faults
        self.stations: dict[str, Station] = {}
        self.unseen: dict[str, float] = {}

    async def start(self, plan: Plan, world: World, at_step: int) -> None:
        """Open the ledger, load the book, and make first contact with every station."""
        self.ledger = Ledger(self.url)
        self.writer = LedgerWriter(self.hass, self.entry, "Condo", self.ledger)
        # The database answers while Home Assistant starts (else setup is retried later).
        kind, self.faults.kind = self.faults.kind, None
        await self.writer.async_open()
        self.faults.attach(self.ledger)
        residents = {key: Resident(key=key, name=name) for key, name in RESIDENTS.items()}
        self.stations = {s.key: Station(key=s.key, name=s.key.title()) for s in plan.stations}
        price = PriceSource(self.hass, {"tariff": "time_of_use", "tou_schedule": SCHEDULE})
        self.book = SessionBook(self.hass, self.writer, price, self.stations, residents)
        pending = await self.book.async_load()
        self.faults.kind = kind
        self.book.start()
        for station_plan in plan.stations:
            station = self.stations[station_plan.key]
            running = running_visit(station_plan.visits, at_step)
            station.telemetry.switch_on = running is not None
            station.connect()
            self.update(station_plan, world)
            settle_sessions(station, pending.get(station_plan.key), lambda: None)
            station.notify()

    def update(self, station_plan: StationPlan, world: World, raw: float | None = None) -> None:
        """A notification of the station's register (and boot record, if it sends one)."""
        meter = self.stations[station_plan.key].energy_import
        boot = world.boot[station_plan.key] if station_plan.boot else None
        meter.update(world.raw[station_plan.key] if raw is None else raw, boot=boot)

    async def stop(self) -> None:
        """Home Assistant stops: the book stops, the writer writes what it can and closes."""
        self.book.stop()
        await self.writer.async_close()


async def replay(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, url: str, entry: str, plan: Plan
) -> tuple[Truth, Life]:
    """Run the plan through the path; returns the generator's truth and the last life."""
    zone = dt_util.get_default_time_zone()
    rng = random.Random(plan.steps)

    def move(step: int, lag: float = 0.0) -> None:
        wall = plan.start + step * STEP - plan.clock.get(step, 0.0) - lag
        freezer.move_to(datetime.fromtimestamp(wall, UTC))

    world = World(
        raw={s.key: rng.uniform(1e4, 9e5) for s in plan.stations},
        boot=dict.fromkeys((s.key for s in plan.stations), 1),
        previous={},
    )
    truth, faults = Truth(), Faults()
    site = Life(hass, url, entry, faults)
    move(0)
    await site.start(plan, world, 0)
    up = True
    for step in range(1, plan.steps):
        faults.kind = plan.db_faults.get(step)
        middle = datetime.fromtimestamp(plan.start + step * STEP - STEP / 2, zone)
        month = f"{middle:%Y-%m}"
        for station in plan.stations:
            world.previous[station.key] = world.raw[station.key]
            if (visit := running_visit(station.visits, step)) is not None:
                wh = visit.power_w * STEP / 3600
                world.raw[station.key] += wh
                truth.wh[(month, visit.who)] += wh
                truth.cost[(month, visit.who)] += wh / 1000 * price_at(middle)
        restart = next((r for r in plan.restarts if r.start < step <= r.end), None)
        if restart is not None and step == restart.end:
            move(step, LAG)
            await site.start(plan, world, step)
            up = True
        elif restart is not None:
            continue
        move(step, LAG)
        for station in plan.stations:
            notify(site, station, world, step, month, truth)
        move(step)
        async_fire_time_changed(hass, dt_util.utcnow())
        if step % 10 == 0:
            await site.writer.async_flush()
        if restart is None and (down := next((r for r in plan.restarts if r.start == step), None)):
            await site.stop()
            up = False
            if down.reboot:
                for station in plan.stations:
                    world.reboot(station, (down.end - down.start) * STEP)
    assert up
    faults.kind = None
    move(plan.steps)
    assert await site.writer.async_flush()
    return truth, site


def notify(
    site: Life, plan: StationPlan, world: World, step: int, month: str, truth: Truth
) -> None:
    """What a link does with what the station sends at `step`, and the car's comings and goings."""
    station = site.stations[plan.key]
    gap = next((gap for gap in plan.gaps if gap.start <= step <= gap.end), None)
    if gap is not None and step == gap.start:
        site.unseen[plan.key] = dt_util.utcnow().timestamp()
        site.update(plan, world)
        station.contact_lost()
        station.notify()
        if gap.reboot:
            world.reboot(plan, (gap.end - gap.start) * STEP)
        return
    if gap is not None and step < gap.end:
        return
    if gap is not None:  # contact again: the station may have restarted meanwhile
        elapsed = dt_util.utcnow().timestamp() - site.unseen.pop(plan.key)
        most = allowance_wh(station.capabilities.max_power_w(), elapsed)
        station.energy_import.expect_restart(most)
        station.energy_export.expect_restart(most)
        site.update(plan, world)
        station.connect()
    else:
        site.update(plan, world)
    station.notify()
    if step in plan.glitches:
        site.update(plan, world, world.raw[plan.key] - random.Random(step).uniform(1, 900))
        station.notify()
    if step in plan.stale and step not in plan.reboots and step - 1 not in plan.reboots:
        site.update(plan, world, world.previous[plan.key])
        station.notify()
    if step in plan.reboots:
        world.raw[plan.key], world.boot[plan.key] = 0.0, world.boot[plan.key] + 1
    for visit in plan.visits:
        if visit.end == step and station.session is not None:
            station.telemetry.switch_on = False
            station.disable()
        if visit.start == step:
            station.telemetry.switch_on = True
            started = dt_util.utcnow().timestamp()
            session = Session(
                id=f"{plan.key}-{step}",
                station=plan.key,
                resident=visit.who,
                resident_name=RESIDENTS.get(visit.who or ""),
                authorization=Authorization(kind=AuthorizationKind.AUTOMATION, by="test"),
                started_at=started,
            )
            station.enable(session)
            truth.sessions[
                (
                    f"{datetime.fromtimestamp(started, dt_util.get_default_time_zone()):%Y-%m}",
                    visit.who,
                )
            ] += 1


@pytest.fixture
def new_ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Makes empty databases: SQLite files, or PostgreSQL databases (parametrized)."""
    count = itertools.count()
    if request.param == "sqlite":
        yield lambda: f"sqlite:///{tmp_path / f'ledger{next(count)}.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    yield server.create_database


ENTRIES = itertools.count()


@pytest.mark.parametrize("new_ledger_url", ["sqlite", "postgresql"], indirect=True)
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(0, 2**32 - 1))
async def test_every_kwh_is_billed_once_to_the_right_resident_and_month(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    new_ledger_url: Callable[[], str],
    seed: int,
) -> None:
    """The statements of each month match the generator's totals: 1 Wh, 1 cent, each session."""
    plan = make_plan(seed)
    truth, site = await replay(hass, freezer, new_ledger_url(), f"path{next(ENTRIES)}", plan)
    zone = dt_util.get_default_time_zone()
    try:
        for name in sorted(
            {month for month, _ in truth.wh} | {month for month, _ in truth.sessions}
        ):
            year, month = map(int, name.split("-"))
            start, end = month_bounds(year, month, zone)
            statement = await async_statement(
                site.book, start, end, SharedCosts(), Site(RESIDENTS, {}, "EUR")
            )
            lines = {line.resident: line for line in (*statement.residents, statement.unassigned)}
            for who in WHO:
                line = lines.get(who)
                got: dict[str, Any] = {
                    "wh": line.import_wh if line else 0.0,
                    "cost": line.cost if line else 0.0,
                    "sessions": line.sessions if line else 0,
                }
                want = {
                    "wh": truth.wh.get((name, who), 0.0),
                    "cost": truth.cost.get((name, who), 0.0),
                    "sessions": truth.sessions.get((name, who), 0),
                }
                assert abs(got["wh"] - want["wh"]) <= 1.0, (name, who, got, want)
                assert abs(got["cost"] - want["cost"]) <= 0.01, (name, who, got, want)
                assert got["sessions"] == want["sessions"], (name, who, got, want)
            delivered = sum(wh for (month_name, _), wh in truth.wh.items() if month_name == name)
            assert abs(statement.metered_import_wh - delivered) <= 1.0, (name, delivered)
    finally:
        await site.stop()
