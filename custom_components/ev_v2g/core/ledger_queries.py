"""The ledger's read side: usage aggregated in SQL, and rows turned back into records.

Each query is one statement, so that a month of a large site is summed by the database.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .ledger_schema import readings, residency, sessions
from .records import Authorization, AuthorizationKind, EndReason, Reading, Session, Usage


def session_of(row: sa.Row[Any]) -> Session:
    """A session from its row."""
    return Session(
        id=row.id,
        station=row.station,
        resident=row.resident,
        resident_name=row.resident_name,
        authorization=Authorization(
            kind=AuthorizationKind(row.auth_kind),
            by=row.auth_by,
            user_id=row.auth_user_id,
            context_id=row.auth_context_id,
            id_tag=row.auth_id_tag,
        ),
        started_at=row.started_at,
        import_start_wh=row.import_start_wh,
        export_start_wh=row.export_start_wh,
        ended_at=row.ended_at,
        import_stop_wh=row.import_stop_wh,
        export_stop_wh=row.export_stop_wh,
        end_reason=EndReason(row.end_reason) if row.end_reason else None,
    )


def load_last_readings(connection: sa.Connection) -> dict[str, Reading]:
    """Per station, the reading with the latest time (accepted readings only move forward)."""
    latest = (
        sa.select(readings.c.station, sa.func.max(readings.c.at).label("at"))
        .group_by(readings.c.station)
        .subquery()
    )
    query = sa.select(readings).join(
        latest, sa.and_(readings.c.station == latest.c.station, readings.c.at == latest.c.at)
    )
    return {
        row.station: Reading(
            station=row.station,
            at=row.at,
            session=row.session_id,
            import_wh=row.import_wh,
            export_wh=row.export_wh,
            meter_import_wh=row.meter_import_wh,
            meter_export_wh=row.meter_export_wh,
            meter_boot=row.meter_boot,
            power_w=row.power_w,
            price=row.price,
            credit_rate=row.credit_rate,
        )
        for row in connection.execute(query)
    }


def usage_query(start: float, end: float) -> sa.Select[Any]:
    """One aggregate query: readings summed per session and station, then per resident.

    Summing per session first keeps the join to sessions to a few rows instead of every reading.
    """
    per_session = (
        sa.select(
            readings.c.session_id,
            readings.c.station,
            sa.func.sum(readings.c.import_delta_wh).label("import_wh"),
            sa.func.sum(readings.c.export_delta_wh).label("export_wh"),
            sa.func.sum(readings.c.cost).label("cost"),
            sa.func.sum(readings.c.credit).label("credit"),
        )
        .where(readings.c.at >= start, readings.c.at < end)
        .group_by(readings.c.session_id, readings.c.station)
        .subquery()
    )
    resident = sessions.c.resident
    return (
        sa.select(
            resident,
            sa.func.max(sessions.c.resident_name),
            per_session.c.station,
            sa.func.sum(per_session.c.import_wh),
            sa.func.sum(per_session.c.export_wh),
            sa.func.sum(per_session.c.cost),
            sa.func.sum(per_session.c.credit),
            # A session counts in the period it started in, once, however long it ran.
            sa.func.coalesce(
                sa.func.sum(
                    sa.case(
                        (sa.and_(sessions.c.started_at >= start, sessions.c.started_at < end), 1),
                        else_=0,
                    )
                ),
                0,
            ),
        )
        .select_from(per_session.outerjoin(sessions, per_session.c.session_id == sessions.c.id))
        .group_by(resident, per_session.c.station)
        .order_by(resident, per_session.c.station)
    )


def session_usage_query(session_id: str) -> sa.Select[Any]:
    """One session's readings summed, in the columns of `usage_query` (zeros if none yet)."""
    columns = (
        readings.c.import_delta_wh,
        readings.c.export_delta_wh,
        readings.c.cost,
        readings.c.credit,
    )
    return (
        sa.select(
            sessions.c.resident,
            sessions.c.resident_name,
            sessions.c.station,
            *(sa.func.coalesce(sa.func.sum(column), 0.0) for column in columns),
            sa.literal(1),
        )
        .select_from(sessions.outerjoin(readings, readings.c.session_id == sessions.c.id))
        .where(sessions.c.id == session_id)
        .group_by(sessions.c.id, sessions.c.resident, sessions.c.resident_name, sessions.c.station)
    )


def usage_of(row: sa.Row[Any]) -> Usage:
    """A usage from a row of `usage_query`."""
    return Usage(
        resident=row[0],
        resident_name=row[1],
        station=row[2],
        import_wh=float(row[3]),
        export_wh=float(row[4]),
        cost=float(row[5]),
        credit=float(row[6]),
        sessions=int(row[7]),
    )


def register_change(connection: sa.Connection, start: float, end: float) -> tuple[float, float]:
    """What every station's lifetime totals moved by in [start, end): (import, export) Wh.

    From each station's totals at the last reading before `end`, less those at the last reading
    before `start` (or, for a station first read in the period, at that first reading: a first
    reading counts nothing). Independent of the per-reading deltas a statement sums.
    """

    def totals_at(query: sa.Select[Any]) -> dict[str, tuple[float, float]]:
        picked = query.group_by(readings.c.station).subquery()
        rows = connection.execute(
            sa.select(readings.c.station, readings.c.import_wh, readings.c.export_wh).join(
                picked,
                sa.and_(readings.c.station == picked.c.station, readings.c.at == picked.c.at),
            )
        )
        return {row.station: (row.import_wh, row.export_wh) for row in rows}

    def latest(*where: sa.ColumnElement[bool]) -> sa.Select[Any]:
        return sa.select(readings.c.station, sa.func.max(readings.c.at).label("at")).where(*where)

    before = totals_at(latest(readings.c.at < start))
    first = sa.select(readings.c.station, sa.func.min(readings.c.at).label("at")).where(
        readings.c.at >= start, readings.c.at < end
    )
    firsts = totals_at(first)
    ends = totals_at(latest(readings.c.at < end))
    imported = exported = 0.0
    for station, (end_import, end_export) in ends.items():
        base = before.get(station) or firsts.get(station) or (end_import, end_export)
        imported += end_import - base[0]
        exported += end_export - base[1]
    return imported, exported


def presence(connection: sa.Connection, start: float, end: float) -> dict[str, tuple[float, str]]:
    """Seconds each resident lived here within [start, end), and the name they had."""
    rows = connection.execute(
        sa.select(residency.c.resident, residency.c.name, residency.c.since, residency.c.until)
        .where(
            residency.c.since < end, sa.or_(residency.c.until.is_(None), residency.c.until > start)
        )
        .order_by(residency.c.since)
    )
    present: dict[str, tuple[float, str]] = {}
    for row in rows:
        overlap = min(end, row.until if row.until is not None else end) - max(start, row.since)
        if overlap > 0:
            seconds = present.get(row.resident, (0.0, row.name))[0]
            present[row.resident] = (seconds + overlap, row.name)
    return present


def residents_on_record(connection: sa.Connection) -> dict[str, bool]:
    """Every resident the ledger knows of, and whether they live here now (an open residency)."""
    rows = connection.execute(sa.select(residency.c.resident, residency.c.until))
    known: dict[str, bool] = {}
    for row in rows:
        known[row.resident] = known.get(row.resident, False) or row.until is None
    return known
