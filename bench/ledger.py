"""Benchmark the ledger (core/ledger.py) on the condo case study: writes, then monthly statements.

Three stations read once a minute from 20 Jan 2019 (450,000 readings, about 3.5 months), 300
sessions of 1-9 h (mean about 5 h) of three residents and some unassigned ones, about 2450 kWh in
all, a time-of-use price and some V2G export. Records go through `Ledger.write` in batches as Home
Assistant sends them (100 readings a batch, then 1000), each batch size into a fresh database; the
figures are the insert rate, then the time of `usage()` and of the statements of every month.

Run: ``.venv/bin/python -m bench.ledger [--url URL] [--readings N] [--batches 100 1000]``.
The default is SQLite in a temporary folder. `--url` must name a scratch database without ledger
tables: the benchmark creates them, and drops them after each run.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import UTC, datetime
import itertools
from pathlib import Path
import random
import statistics
import tempfile
import time

import sqlalchemy as sa

from bench.machine import machine_facts
from custom_components.ev_v2g.core import ledger_schema
from custom_components.ev_v2g.core.billing import build_statement
from custom_components.ev_v2g.core.ledger import Ledger
from custom_components.ev_v2g.core.records import (
    Assignment,
    Authorization,
    AuthorizationKind,
    EndReason,
    LedgerRecord,
    Reading,
    Session,
    SessionClosed,
)
from custom_components.ev_v2g.core.shared_costs import CostSplit, SharedCosts

START = datetime(2019, 1, 20, tzinfo=UTC).timestamp()
STATIONS = ("bay-1", "bay-2", "bay-3")
RESIDENTS = {"ana": "Ana", "ben": "Ben", "chloe": "Chloé"}
TOTAL_KWH_PER_READING = 2450 / 450_000
SESSIONS_PER_READING = 300 / 450_000
STEP_S = 60.0
SHARED = SharedCosts(amount=45.0, split=CostSplit.ENERGY)


@dataclass
class Plan:
    """One station's session: minutes [start, stop), its resident and power."""

    session: Session
    start: int
    stop: int
    power_w: float
    export_from: int | None
    reassign_to: str | None


def plan_sessions(rng: random.Random, station: str, minutes: int, count: int) -> list[Plan]:
    """`count` sessions of 1-9 h spread over the station's minutes, with idle gaps between."""
    lengths = [round(60 * min(9.0, max(1.0, rng.gauss(5.12, 2.03)))) for _ in range(count)]
    idle = max(0, minutes - sum(lengths) - count)  # room for rounding each gap
    cuts = sorted(rng.uniform(0, idle) for _ in range(count))
    gaps = [round(b - a) for a, b in itertools.pairwise([0.0, *cuts])]
    owner = list(RESIDENTS)[STATIONS.index(station) % len(RESIDENTS)]
    plans = []
    minute = 0
    for index, (gap, length) in enumerate(zip(gaps, lengths, strict=True)):
        minute += gap
        roll = rng.random()
        resident = None if roll < 0.08 else (rng.choice(list(RESIDENTS)) if roll < 0.2 else owner)
        weight = max(0.3, rng.gauss(1.0, 0.35))  # relative power: scaled to the total later
        plans.append(
            Plan(
                session=Session(
                    id=f"{station}-{index:04}",
                    station=station,
                    resident=resident,
                    resident_name=RESIDENTS.get(resident or ""),
                    authorization=Authorization(
                        kind=AuthorizationKind.ID_TAG if resident else AuthorizationKind.AUTOMATION,
                        by=f"tag-{resident}" if resident else "automation",
                        id_tag=f"tag-{resident}" if resident else None,
                    ),
                    started_at=START + minute * STEP_S,
                ),
                start=minute,
                stop=minute + length,
                power_w=weight,
                export_from=minute + length - 60 if length > 120 and rng.random() < 0.2 else None,
                reassign_to=rng.choice(list(RESIDENTS))
                if resident is None and roll < 0.03
                else None,
            )
        )
        minute += length
    return plans


def price_at(at: float) -> float:
    """Time of use: peak 07:00-23:00, off-peak at night (per kWh)."""
    return 0.30 if 7 <= datetime.fromtimestamp(at, UTC).hour < 23 else 0.18


def build_records(total: int, seed: int) -> tuple[list[LedgerRecord], float]:
    """The case study's records in the order Home Assistant writes them; returns the end time."""
    rng = random.Random(seed)
    minutes = total // len(STATIONS)
    count = max(1, round(total * SESSIONS_PER_READING / len(STATIONS)))
    plans = {station: plan_sessions(rng, station, minutes, count) for station in STATIONS}
    # Each session's power starts as a relative weight, scaled so that the site imports its total.
    every = [plan for station_plans in plans.values() for plan in station_plans]
    weights = sum(p.power_w * ((p.export_from or p.stop) - p.start) for p in every)
    wh_per_weight_minute = total * TOTAL_KWH_PER_READING * 1000 / weights
    for plan in every:
        plan.power_w *= wh_per_weight_minute * 60  # Wh a minute -> W
    records: list[LedgerRecord] = []
    totals = {station: [1_000_000.0, 5_000.0] for station in STATIONS}
    current = dict.fromkeys(STATIONS, 0)
    for minute in range(minutes):
        at = START + minute * STEP_S
        price = price_at(at)
        for station in STATIONS:
            queue = plans[station]
            index = current[station]
            plan = queue[index] if index < len(queue) else None
            if plan and minute == plan.start:
                records.append(plan.session)
            active = plan is not None and plan.start <= minute < plan.stop
            power = 0.0
            if plan and active:
                exporting = plan.export_from is not None and minute >= plan.export_from
                power = -2000.0 if exporting else plan.power_w
                totals[station][1 if exporting else 0] += abs(power) / 60
            records.append(
                Reading(
                    station=station,
                    at=at,
                    session=plan.session.id if plan and active else None,
                    import_wh=totals[station][0],
                    export_wh=totals[station][1],
                    meter_import_wh=totals[station][0],
                    meter_export_wh=totals[station][1],
                    power_w=power,
                    price=price,
                    credit_rate=0.12,
                )
            )
            if plan and minute == plan.stop - 1:
                records.append(
                    SessionClosed(
                        session=plan.session.id,
                        ended_at=at + STEP_S,
                        reason=EndReason.UNPLUGGED,
                        import_stop_wh=totals[station][0],
                        export_stop_wh=totals[station][1],
                    )
                )
                if plan.reassign_to:
                    records.append(
                        Assignment(
                            session=plan.session.id,
                            resident=plan.reassign_to,
                            resident_name=RESIDENTS[plan.reassign_to],
                            at=at + 3600,
                            user_id="admin",
                        )
                    )
                current[station] += 1
    return records, START + minutes * STEP_S


def batches(records: list[LedgerRecord], size: int) -> list[list[LedgerRecord]]:
    """Cut after every `size` readings, as Home Assistant's write queue does."""
    result: list[list[LedgerRecord]] = [[]]
    readings = 0
    for record in records:
        result[-1].append(record)
        if isinstance(record, Reading):
            readings += 1
            if readings % size == 0:
                result.append([])
    return [batch for batch in result if batch]


def months(start: float, end: float) -> list[tuple[datetime, datetime]]:
    """Calendar months (UTC) that meet [start, end)."""
    first = datetime.fromtimestamp(start, UTC).replace(day=1, hour=0, minute=0, second=0)
    result = []
    while first.timestamp() < end:
        following = first.replace(year=first.year + first.month // 12, month=first.month % 12 + 1)
        result.append((first, following))
        first = following
    return result


def monthly(ledger: Ledger, periods: list[tuple[datetime, datetime]]) -> tuple[float, float, int]:
    """Seconds for every month's usage, then for every month's statement; and how many don't balance."""
    started = time.perf_counter()
    for start, end in periods:
        ledger.usage(start.timestamp(), end.timestamp())
    usage_s = time.perf_counter() - started
    started = time.perf_counter()
    unbalanced = 0
    for start, end in periods:
        usage = ledger.usage(start.timestamp(), end.timestamp())
        statement = build_statement(
            start, end, usage, residents=RESIDENTS, shared=SHARED, currency="EUR"
        )
        unbalanced += not statement.balanced
    return usage_s, time.perf_counter() - started, unbalanced


def run(url: str, records: list[LedgerRecord], size: int, end: float) -> dict[str, float]:
    """Write every record in batches of `size` readings, then time the monthly statements."""
    ledger = Ledger(url)
    ledger.open()
    try:
        work = batches(records, size)
        started = time.perf_counter()
        accepted = sum(ledger.write(batch).accepted for batch in work)
        write_s = time.perf_counter() - started
        periods = months(START, end)
        timings = [monthly(ledger, periods) for _ in range(3)]
        usages = [u for a, b in periods for u in ledger.usage(a.timestamp(), b.timestamp())]
    finally:
        ledger.close()
        drop_tables(url)
    return {
        "readings": accepted,
        "batches": len(work),
        "write_s": write_s,
        "months": len(periods),
        "usage_ms": 1000 * statistics.median(t[0] for t in timings),
        "statements_ms": 1000 * statistics.median(t[1] for t in timings),
        "unbalanced": max(t[2] for t in timings),
        "kwh": sum(u.import_wh for u in usages) / 1000,
        "export_kwh": sum(u.export_wh for u in usages) / 1000,
        "unassigned_kwh": sum(u.import_wh for u in usages if u.resident is None) / 1000,
    }


def drop_tables(url: str) -> None:
    """Drop the ledger's tables, so that the next run starts empty."""
    engine = sa.create_engine(url)
    try:
        ledger_schema.metadata.drop_all(engine)
    finally:
        engine.dispose()


def server_version(url: str) -> str:
    """The database and its version, for the machine facts."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            info = ".".join(str(part) for part in connection.dialect.server_version_info or ())
            return f"{engine.dialect.name} {info}, SQLAlchemy {sa.__version__}"
    finally:
        engine.dispose()


def main() -> None:
    """Print the ledger's write rate and the time of every month's statement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a scratch database (default: SQLite in a temp folder)")
    parser.add_argument("--readings", type=int, default=450_000)
    parser.add_argument("--batches", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--seed", type=int, default=2019)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite:///{Path(folder) / 'ledger.db'}"
        print(machine_facts(server_version(url)))
        started = time.perf_counter()
        records, end = build_records(args.readings, args.seed)
        print(f"{len(records):,} records synthesized in {time.perf_counter() - started:.1f} s")
        print(
            f"{'batch':>6} {'readings':>9} {'writes':>7} {'write s':>8} {'readings/s':>11}"
            f" {'months':>6} {'usage ms':>9} {'stmts ms':>9} {'kWh':>7} {'V2G kWh':>8}"
            f" {'unassigned':>10}"
        )
        for size in args.batches:
            figures = run(url, records, size, end)
            assert figures["unbalanced"] == 0, "a statement does not balance"
            print(
                f"{size:>6} {figures['readings']:>9,.0f} {figures['batches']:>7,.0f}"
                f" {figures['write_s']:>8.1f} {figures['readings'] / figures['write_s']:>11,.0f}"
                f" {figures['months']:>6.0f} {figures['usage_ms']:>9.1f}"
                f" {figures['statements_ms']:>9.1f} {figures['kwh']:>7.0f}"
                f" {figures['export_kwh']:>8.1f} {figures['unassigned_kwh']:>10.1f}"
            )


if __name__ == "__main__":
    main()
