"""Closed periods: statements kept as issued, later corrections billed as adjustments.

Once a period is closed its statement never changes. When the ledger later reads differently
for it (a session re-assigned, readings written late), the difference between the period as it
reads now and what was billed for it (its statement plus the adjustments already issued) goes
into the next period still open after it, and is billed there once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
import json
from typing import Any

from .billing import ResidentLine, Statement
from .shared_costs import CostSplit, SharedCosts
from .statement_parts import Adjustment, Band, SessionLine

RECORD_VERSION = 1

type Figures = tuple[float, float, float, float, float]
"""Import Wh, export Wh, cost, credit, shared."""

# Below this, two energies are the same (float summation error, far below the Wh shown).
SAME_WH = 0.5


def next_open(period: Statement, closed: Mapping[datetime, Statement]) -> datetime:
    """Where the first period still open after `period` starts (closed periods, by start)."""
    start = period.end
    while (following := closed.get(start)) is not None:
        start = following.end
    return start


def due_in(start: datetime, closed: Sequence[Statement]) -> list[Statement]:
    """The closed periods whose corrections a statement starting at `start` bills."""
    by_start = {statement.start: statement for statement in closed}
    return [c for c in closed if c.end <= start and next_open(c, by_start) == start]


def corrections(
    period: Statement, restated: Statement, closed: Iterable[Statement]
) -> list[Adjustment]:
    """What `period` (as issued) lacks against `restated` (the same period, read now).

    `closed` are all the closed statements: their adjustments of `period` were billed already.
    """
    billed: dict[str | None, tuple[str, Figures]] = {
        line.resident: (line.name, _figures(line)) for line in _lines(period)
    }
    for statement in closed:
        for adjustment in statement.adjustments:
            if adjustment.period_start == period.start:
                name, figures = billed.get(adjustment.resident, (adjustment.name, _ZERO))
                billed[adjustment.resident] = (name, _plus(figures, _adjusted(adjustment)))
    now = {line.resident: (line.name, _figures(line)) for line in _lines(restated)}
    found = []
    for key in sorted(billed.keys() | now.keys(), key=lambda key: key or ""):
        name = now[key][0] if key in now else billed[key][0]
        delta = _minus(now.get(key, (name, _ZERO))[1], billed.get(key, (name, _ZERO))[1])
        if abs(delta[0]) < SAME_WH and abs(delta[1]) < SAME_WH and not any(map(round2, delta[2:])):
            continue
        found.append(
            Adjustment(
                period_start=period.start,
                period_end=period.end,
                resident=key,
                name=name,
                import_wh=delta[0],
                export_wh=delta[1],
                cost=round2(delta[2]),
                credit=round2(delta[3]),
                shared=round2(delta[4]),
            )
        )
    return found


_ZERO: Figures = (0.0, 0.0, 0.0, 0.0, 0.0)


def round2(amount: float) -> float:
    """Money to the cent (the lines are in cents already: this only drops float noise)."""
    return round(amount, 2) + 0.0


def _lines(statement: Statement) -> tuple[ResidentLine, ...]:
    return (*statement.residents, statement.unassigned)


def _figures(line: ResidentLine) -> Figures:
    return (line.import_wh, line.export_wh, line.cost, line.credit, line.shared)


def _adjusted(adjustment: Adjustment) -> Figures:
    a = adjustment
    return (a.import_wh, a.export_wh, a.cost, a.credit, a.shared)


def _plus(a: Figures, b: Figures) -> Figures:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3], a[4] + b[4])


def _minus(a: Figures, b: Figures) -> Figures:
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2], a[3] - b[3], a[4] - b[4])


# --- the issued statement as stored ----------------------------------------------------------


def statement_record(statement: Statement) -> str:
    """The statement as the ledger keeps it: every figure at full precision, as JSON."""
    return json.dumps(
        {
            "version": RECORD_VERSION,
            "start": statement.start.isoformat(),
            "end": statement.end.isoformat(),
            "currency": statement.currency,
            "closed_at": None if statement.closed_at is None else statement.closed_at.isoformat(),
            "metered": [statement.metered_import_wh, statement.metered_export_wh],
            "shared": [statement.shared_costs.amount, statement.shared_costs.split.value],
            "residents": [_line_record(line) for line in statement.residents],
            "unassigned": _line_record(statement.unassigned),
            "adjustments": [_adjustment_record(a) for a in statement.adjustments],
        },
        ensure_ascii=False,
    )


def statement_from_record(text: str) -> Statement:
    """The statement as it was issued, from `statement_record`'s JSON."""
    data = json.loads(text)
    closed_at = data["closed_at"]
    return Statement(
        start=datetime.fromisoformat(data["start"]),
        end=datetime.fromisoformat(data["end"]),
        currency=data["currency"],
        residents=tuple(_line_of(line) for line in data["residents"]),
        unassigned=_line_of(data["unassigned"]),
        metered_import_wh=data["metered"][0],
        metered_export_wh=data["metered"][1],
        shared_costs=SharedCosts(data["shared"][0], CostSplit(data["shared"][1])),
        adjustments=tuple(_adjustment_of(a) for a in data["adjustments"]),
        closed_at=None if closed_at is None else datetime.fromisoformat(closed_at),
    )


def _line_record(line: ResidentLine) -> dict[str, Any]:
    return {
        "resident": line.resident,
        "name": line.name,
        "import_wh": line.import_wh,
        "export_wh": line.export_wh,
        "cost": line.cost,
        "credit": line.credit,
        "shared": line.shared,
        "sessions": line.sessions,
        "adjustment": line.adjustment,
        "session_list": [vars(session) for session in line.session_list],
        "bands": [vars(band) for band in line.bands],
    }


def _line_of(data: dict[str, Any]) -> ResidentLine:
    return ResidentLine(
        resident=data["resident"],
        name=data["name"],
        import_wh=data["import_wh"],
        export_wh=data["export_wh"],
        cost=data["cost"],
        credit=data["credit"],
        shared=data["shared"],
        sessions=data["sessions"],
        adjustment=data["adjustment"],
        session_list=tuple(SessionLine(**session) for session in data["session_list"]),
        bands=tuple(Band(**band) for band in data["bands"]),
    )


def _adjustment_record(adjustment: Adjustment) -> dict[str, Any]:
    return {
        **vars(adjustment),
        "period_start": adjustment.period_start.isoformat(),
        "period_end": adjustment.period_end.isoformat(),
    }


def _adjustment_of(data: dict[str, Any]) -> Adjustment:
    return Adjustment(
        **{
            **data,
            "period_start": datetime.fromisoformat(data["period_start"]),
            "period_end": datetime.fromisoformat(data["period_end"]),
        }
    )
