"""Closed periods: corrections found once, in the next open period; statements stored exactly."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import given, strategies as st

from custom_components.ev_v2g.core.billing import Details, Statement, build_statement
from custom_components.ev_v2g.core.closing import (
    corrections,
    due_in,
    statement_from_record,
    statement_record,
)
from custom_components.ev_v2g.core.period import month_bounds
from custom_components.ev_v2g.core.records import Usage
from custom_components.ev_v2g.core.shared_costs import CostSplit, SharedCosts
from custom_components.ev_v2g.core.statement_parts import Band, SessionLine

ROME = ZoneInfo("Europe/Rome")
RESIDENTS = {"ann": "Ann", "ben": "Ben"}


def month(number: int, usages: list[Usage], **kwargs: object) -> Statement:
    """A statement of 2026's month `number`."""
    start, end = month_bounds(2026, number, ROME)
    return build_statement(
        start, end, usages, RESIDENTS, SharedCosts(10.0, CostSplit.ENERGY), "EUR", **kwargs
    )  # type: ignore[arg-type]


def usage(resident: str | None, wh: float, price: float = 0.3) -> Usage:
    """A resident's usage at one station."""
    return Usage(
        resident=resident,
        resident_name=None,
        station="st1",
        import_wh=wh,
        export_wh=0.0,
        cost=wh / 1000 * price,
        credit=0.0,
        sessions=1,
    )


def test_a_stored_statement_reads_back_exactly() -> None:
    """Every figure, session, band and adjustment comes back as issued."""
    january = month(1, [usage("ann", 1234.5678)])
    details = Details(
        sessions=[
            SessionLine(
                session="s",
                resident="ann",
                station="Bay 1",
                started_at=1.0,
                ended_at=None,
                import_wh=1.5,
                export_wh=0.0,
                cost=0.1,
                credit=0.0,
            )
        ],
        bands=[Band(resident="ann", price=0.3, import_wh=1.5, cost=0.1)],
        adjustments=corrections(january, month(1, [usage("ben", 1234.5678)]), []),
    )
    february = replace(
        month(2, [usage("ann", 99.0)], details=details), closed_at=datetime(2026, 3, 2, tzinfo=ROME)
    )
    assert statement_from_record(statement_record(february)) == february
    assert statement_from_record(statement_record(february)).as_dict() == february.as_dict()


def test_corrections_go_to_the_first_open_period() -> None:
    """January's corrections: in February while it is open, in March once February is closed."""
    january, february, march = month(1, []), month(2, []), month(3, [])
    closed = [january]
    assert due_in(february.start, closed) == [january]
    assert due_in(march.start, closed) == []
    closed = [january, february]
    assert due_in(february.start, closed) == []  # February is closed: March bills them
    assert due_in(march.start, closed) == [january, february]


@given(
    issued=st.lists(
        st.tuples(st.sampled_from(["ann", "ben", None]), st.integers(0, 50_000)), max_size=6
    ),
    moves=st.lists(
        st.lists(
            st.tuples(st.sampled_from(["ann", "ben", None]), st.integers(0, 50_000)), max_size=6
        ),
        max_size=4,
    ),
)
def test_each_correction_is_billed_once(
    issued: list[tuple[str | None, int]], moves: list[list[tuple[str | None, int]]]
) -> None:
    """However often January changes after closing, issued + adjustments = January as it reads now.

    Each change is billed in a later month that is then closed; the sums per resident are
    checked against the last restatement, which the adjustments were not computed from alone.
    """
    january = month(1, [usage(key, wh) for key, wh in issued])
    closed = [january]
    restated = january
    for number, usages in enumerate(moves, start=2):
        restated = month(1, [usage(key, wh) for key, wh in usages])
        found = corrections(january, restated, closed)
        closed.append(month(number, [], details=Details(adjustments=found)))
    for key in ["ann", "ben", None]:
        line = next(
            line for line in (*january.residents, january.unassigned) if line.resident == key
        )
        now = next(
            line for line in (*restated.residents, restated.unassigned) if line.resident == key
        )
        adjustments = [a for s in closed for a in s.adjustments if a.resident == key]
        assert abs(line.import_wh + sum(a.import_wh for a in adjustments) - now.import_wh) < 1
        assert round(line.cost + sum(a.cost for a in adjustments), 2) == now.cost
        assert round(line.shared + sum(a.shared for a in adjustments), 2) == now.shared
