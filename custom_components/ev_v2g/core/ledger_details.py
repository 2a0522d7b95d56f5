"""The ledger's detail queries: each session's part in a period, energy per price, closed periods.

Each takes an open connection and runs one statement (closing a period writes two rows).
"""

from __future__ import annotations

from dataclasses import dataclass
import json

import sqlalchemy as sa

from .ledger_rows import insert_audit
from .ledger_schema import closed_periods, readings, sessions
from .records import AuditEntry
from .statement_parts import Band, SessionLine


@dataclass(frozen=True)
class ClosedPeriod:
    """A closed period as stored: its bounds, when and by whom, and the statement issued."""

    start: float
    end: float
    closed_at: float
    user_id: str | None
    statement: str
    """The statement as `closing.statement_record` wrote it."""


class PeriodClosedError(Exception):
    """The period was closed already: its statement stays as issued."""


def session_lines(connection: sa.Connection, start: float, end: float) -> list[SessionLine]:
    """Every session with readings in [start, end): the part of it inside the period."""
    columns = (
        readings.c.import_delta_wh,
        readings.c.export_delta_wh,
        readings.c.cost,
        readings.c.credit,
    )
    keys = (sessions.c.id, sessions.c.station, sessions.c.resident)
    times = (sessions.c.started_at, sessions.c.ended_at)
    query = (
        sa.select(*keys, *times, *(sa.func.sum(column) for column in columns))
        .select_from(readings.join(sessions, readings.c.session_id == sessions.c.id))
        .where(readings.c.at >= start, readings.c.at < end)
        .group_by(*keys, *times)
        .order_by(sessions.c.started_at, sessions.c.id)
    )
    return [
        SessionLine(
            session=row[0],
            station=row[1],
            resident=row[2],
            started_at=row[3],
            ended_at=row[4],
            import_wh=float(row[5]),
            export_wh=float(row[6]),
            cost=float(row[7]),
            credit=float(row[8]),
        )
        for row in connection.execute(query)
    ]


def bands(connection: sa.Connection, start: float, end: float) -> list[Band]:
    """Each resident's energy imported in [start, end) at each price (None: unassigned)."""
    query = (
        sa.select(
            sessions.c.resident,
            readings.c.price,
            sa.func.sum(readings.c.import_delta_wh),
            sa.func.sum(readings.c.cost),
        )
        .select_from(readings.outerjoin(sessions, readings.c.session_id == sessions.c.id))
        .where(readings.c.at >= start, readings.c.at < end, readings.c.import_delta_wh > 0)
        .group_by(sessions.c.resident, readings.c.price)
    )
    return [
        Band(resident=row[0], price=row[1], import_wh=float(row[2]), cost=float(row[3]))
        for row in connection.execute(query)
    ]


def close_period(connection: sa.Connection, period: ClosedPeriod) -> None:
    """Keep a period's statement as issued, audited; PeriodClosedError if it was closed."""
    found = connection.execute(
        sa.select(closed_periods.c.period_start).where(
            closed_periods.c.period_start == period.start
        )
    ).first()
    if found is not None:
        raise PeriodClosedError(f"the period starting at {period.start} is closed already")
    connection.execute(
        sa.insert(closed_periods).values(
            period_start=period.start,
            period_end=period.end,
            closed_at=period.closed_at,
            user_id=period.user_id,
            statement=period.statement,
        )
    )
    detail = json.dumps({"period_start": period.start, "period_end": period.end})
    entry = AuditEntry(
        at=period.closed_at, action="period_closed", user_id=period.user_id, detail=detail
    )
    insert_audit(connection, entry)


def closed(connection: sa.Connection) -> list[ClosedPeriod]:
    """Every closed period, in time order."""
    rows = connection.execute(sa.select(closed_periods).order_by(closed_periods.c.period_start))
    return [
        ClosedPeriod(
            start=row.period_start,
            end=row.period_end,
            closed_at=row.closed_at,
            user_id=row.user_id,
            statement=row.statement,
        )
        for row in rows
    ]
