"""Properties of the ledger over random stations, sessions, assignments and readings (hypothesis).

Readings arrive with replays and out of order, in random batches; the test works out on its own
which ones count, and checks usage and statements against that.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
import itertools
import math
import random

from hypothesis import given, settings, strategies as st

from custom_components.ev_v2g.core.billing import build_statement
from custom_components.ev_v2g.core.ledger import Ledger
from custom_components.ev_v2g.core.records import Assignment, LedgerRecord, Reading, Session
from custom_components.ev_v2g.core.shared_costs import SharedCosts

from .build import session

RESIDENTS = [None, "ann", "bob", "cat"]


@dataclass
class History:
    """Records in the order written, the cut points between batches, and a period."""

    records: list[LedgerRecord]
    cuts: list[int]
    start: float
    end: float


def station_readings(rng: random.Random, station: str, sessions: list[str]) -> list[Reading]:
    """A station's readings in order: time and totals only move forward."""
    at, import_wh, export_wh = rng.uniform(0, 600), rng.uniform(0, 1e6), rng.uniform(0, 1e4)
    result = []
    for _ in range(rng.randint(0, 25)):
        at += rng.choice([1.0, 30.0, 60.0, rng.uniform(0.5, 600)])
        import_wh += rng.choice([0.0, rng.uniform(0, 2000)])
        export_wh += rng.choice([0.0, 0.0, rng.uniform(0, 300)])
        result.append(
            Reading(
                station=station,
                at=at,
                session=rng.choice([None, *sessions]),
                import_wh=import_wh,
                export_wh=export_wh,
                price=rng.choice([0.1, 0.25, 0.4]),
                credit_rate=rng.choice([0.0, 0.15]),
            )
        )
    return result


def disorder(rng: random.Random, readings: list[Reading]) -> list[Reading]:
    """Readings merged in time order, then some replayed and some swapped."""
    result = sorted(readings, key=lambda r: r.at)
    for _ in range(rng.randint(0, len(result))):
        index = rng.randrange(len(result))
        if rng.random() < 0.5:  # replay an earlier reading later on
            result.insert(rng.randint(index, len(result)), result[index])
        elif index + 1 < len(result):  # deliver two neighbours out of order
            result[index], result[index + 1] = result[index + 1], result[index]
    return result


@st.composite
def histories(draw: st.DrawFn) -> History:
    """Sessions first, then readings and assignments mixed, cut into batches, and a period."""
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    stations = [f"st{index}" for index in range(draw(st.integers(1, 3)))]
    records: list[LedgerRecord] = []
    sessions: dict[str, list[str]] = {station: [] for station in stations}
    for index in range(draw(st.integers(0, 6))):
        station = rng.choice(stations)
        sessions[station].append(f"s{index}")
        records.append(session(f"s{index}", station=station, resident=rng.choice(RESIDENTS)))
    readings = [
        r for station in stations for r in station_readings(rng, station, sessions[station])
    ]
    stream: list[LedgerRecord] = list(disorder(rng, readings))
    every_session = [s for ids in sessions.values() for s in ids]
    for _ in range(rng.randint(0, 4) if every_session else 0):
        resident = rng.choice(RESIDENTS)
        move = Assignment(
            session=rng.choice(every_session),
            resident=resident,
            resident_name=resident.title() if resident else None,
            at=rng.uniform(0, 1e4),
        )
        stream.insert(rng.randint(0, len(stream)), move)
    records += stream
    cuts = sorted(rng.sample(range(len(records) + 1), k=min(len(records) + 1, rng.randint(0, 6))))
    times = [r.at for r in readings] or [0.0]
    start = draw(st.sampled_from([-1.0, *times]))
    end = draw(st.sampled_from([max(times) + 1, *times]))
    return History(records=records, cuts=cuts, start=start, end=end)


def write_in_batches(ledger: Ledger, history: History) -> tuple[int, int]:
    """Write the history batch by batch; returns the readings accepted and stale."""
    accepted = stale = 0
    bounds = [0, *history.cuts, len(history.records)]
    for low, high in itertools.pairwise(bounds):
        result = ledger.write(history.records[low:high])
        accepted += result.accepted
        stale += result.stale
    return accepted, stale


@dataclass
class Expected:
    """What the test works out on its own."""

    accepted: int
    stale: int
    import_wh: dict[str | None, float]
    """Per resident (None: unassigned), of the readings in the period."""
    export_wh: dict[str | None, float]
    cost: float


def expected(history: History) -> Expected:
    """Which readings count, and whose energy they are once every assignment is applied."""
    resident = {}
    for record in history.records:
        if isinstance(record, Assignment):
            resident[record.session] = record.resident
        elif isinstance(record, Session):
            resident[record.id] = record.resident
    last: dict[str, Reading] = {}
    accepted = stale = 0
    import_wh: dict[str | None, float] = defaultdict(float)
    export_wh: dict[str | None, float] = defaultdict(float)
    cost = 0.0
    for record in history.records:
        if not isinstance(record, Reading):
            continue
        before = last.get(record.station)
        if before and not (
            record.at > before.at
            and record.import_wh >= before.import_wh
            and record.export_wh >= before.export_wh
        ):
            stale += 1
            continue
        accepted += 1
        last[record.station] = record
        if before and history.start <= record.at < history.end:
            owner = resident[record.session] if record.session else None
            import_wh[owner] += record.import_wh - before.import_wh
            export_wh[owner] += record.export_wh - before.export_wh
            cost += (record.import_wh - before.import_wh) / 1000 * record.price
    return Expected(accepted, stale, import_wh, export_wh, cost)


def close(a: float, b: float) -> bool:
    """Equal but for float summation error."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


@settings(max_examples=50, deadline=None)
@given(histories())
def test_usage_sums_to_the_accepted_deltas(history: History) -> None:
    """Σ usage is Σ of the deltas that count; each resident gets their sessions' energy."""
    ledger = Ledger("sqlite://")
    ledger.open()
    try:
        accepted, stale = write_in_batches(ledger, history)
        usages = ledger.usage(history.start, history.end)
    finally:
        ledger.close()
    want = expected(history)
    assert (accepted, stale) == (want.accepted, want.stale)
    got_import: dict[str | None, float] = defaultdict(float)
    got_export: dict[str | None, float] = defaultdict(float)
    for usage in usages:
        got_import[usage.resident] += usage.import_wh
        got_export[usage.resident] += usage.export_wh
    for who in set(got_import) | set(want.import_wh):
        assert close(got_import[who], want.import_wh[who]), who
        assert close(got_export[who], want.export_wh[who]), who
    assert close(sum(u.cost for u in usages), want.cost)


@settings(max_examples=50, deadline=None)
@given(histories())
def test_statements_from_usage_balance(history: History) -> None:
    """A statement built from the ledger's usage balances against what was metered."""
    ledger = Ledger("sqlite://")
    ledger.open()
    try:
        write_in_batches(ledger, history)
        usages = ledger.usage(history.start, history.end)
    finally:
        ledger.close()
    statement = build_statement(
        datetime.fromtimestamp(history.start, UTC),
        datetime.fromtimestamp(max(history.end, history.start + 1), UTC),
        usages,
        residents={"ann": "Ann", "bob": "Bob"},
        shared=SharedCosts(amount=30.0),
        currency="EUR",
    )
    assert statement.balanced
    want = expected(history)
    assert close(statement.metered_import_wh, math.fsum(want.import_wh.values()))
    lines = [*statement.residents, statement.unassigned]
    assert close(math.fsum(line.import_wh for line in lines), math.fsum(want.import_wh.values()))
    assert close(statement.unassigned.import_wh, want.import_wh[None])
    for line in statement.residents:
        assert close(line.import_wh, want.import_wh[line.resident])
