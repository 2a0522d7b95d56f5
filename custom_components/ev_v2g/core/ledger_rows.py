"""How the ledger's records become rows inside a write transaction.

Each function runs in the caller's transaction: a failure anywhere rolls the whole batch back.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from .ledger_schema import audit, readings, residency, sessions
from .records import Assignment, AuditEntry, Reading, Residency, Session, SessionClosed


def reading_row(reading: Reading, last: Reading | None) -> dict[str, Any] | None:
    """The stored row of a reading after `last`, or None if it is replayed or out of order."""
    import_delta = export_delta = 0.0
    if last is not None:
        if (
            reading.at <= last.at
            or reading.import_wh < last.import_wh
            or reading.export_wh < last.export_wh
        ):
            return None
        import_delta = reading.import_wh - last.import_wh
        export_delta = reading.export_wh - last.export_wh
    return {
        "station": reading.station,
        "at": reading.at,
        "session_id": reading.session,
        "import_wh": reading.import_wh,
        "export_wh": reading.export_wh,
        "meter_import_wh": reading.meter_import_wh,
        "meter_export_wh": reading.meter_export_wh,
        "meter_boot": reading.meter_boot,
        "power_w": reading.power_w,
        "price": reading.price,
        "credit_rate": reading.credit_rate,
        "import_delta_wh": import_delta,
        "export_delta_wh": export_delta,
        "cost": import_delta / 1000 * reading.price,
        "credit": export_delta / 1000 * reading.credit_rate,
    }


def insert_readings(connection: sa.Connection, pending: list[dict[str, Any]]) -> None:
    """Insert the readings gathered so far, in one statement, and forget them."""
    if pending:
        connection.execute(sa.insert(readings), pending)
        pending.clear()


def apply(
    connection: sa.Connection,
    record: Session | SessionClosed | Assignment | AuditEntry | Residency,
) -> str | None:
    """Write one record other than a reading; returns the id of a session it names not on record."""
    if isinstance(record, Residency):
        record_residency(connection, record)
    elif isinstance(record, Session):
        start_session(connection, record)
    elif isinstance(record, SessionClosed):
        if not close_session(connection, record):
            return record.session
    elif isinstance(record, Assignment):
        if not assign_session(connection, record):
            return record.session
    else:
        insert_audit(connection, record)
    return None


def start_session(connection: sa.Connection, session: Session) -> None:
    """Insert a session once (queued batches may be retried) and audit it."""
    if connection.scalar(sa.select(sessions.c.id).where(sessions.c.id == session.id)):
        return
    authorization = session.authorization
    connection.execute(
        sa.insert(sessions).values(
            **fitted(
                sessions,
                id=session.id,
                station=session.station,
                resident=session.resident,
                resident_name=session.resident_name,
                auth_kind=authorization.kind.value,
                auth_by=authorization.by,
                auth_user_id=authorization.user_id,
                auth_context_id=authorization.context_id,
                auth_id_tag=authorization.id_tag,
                started_at=session.started_at,
                import_start_wh=session.import_start_wh,
                export_start_wh=session.export_start_wh,
                ended_at=session.ended_at,
                import_stop_wh=session.import_stop_wh,
                export_stop_wh=session.export_stop_wh,
                end_reason=session.end_reason.value if session.end_reason else None,
            )
        )
    )
    detail = {
        "kind": authorization.kind.value,
        "by": authorization.by,
        "user_id": authorization.user_id,
        "context_id": authorization.context_id,
        "id_tag": authorization.id_tag,
        "resident": session.resident,
    }
    entry = AuditEntry(
        at=session.started_at,
        action="session_started",
        session=session.id,
        user_id=authorization.user_id,
        context_id=authorization.context_id,
        detail=json.dumps(detail),
    )
    insert_audit(connection, entry)


def close_session(connection: sa.Connection, closed: SessionClosed) -> bool:
    """Record a session's end once, and audit it; False if the session is not on record."""
    ended_at = connection.execute(
        sa.select(sessions.c.ended_at).where(sessions.c.id == closed.session)
    ).first()
    if ended_at is None:
        return False
    if ended_at[0] is not None:  # already closed: a retried batch
        return True
    connection.execute(
        sa.update(sessions)
        .where(sessions.c.id == closed.session)
        .values(
            ended_at=closed.ended_at,
            end_reason=closed.reason.value,
            import_stop_wh=closed.import_stop_wh,
            export_stop_wh=closed.export_stop_wh,
        )
    )
    detail = {
        "reason": closed.reason.value,
        "import_stop_wh": closed.import_stop_wh,
        "export_stop_wh": closed.export_stop_wh,
    }
    entry = AuditEntry(
        at=closed.ended_at,
        action="session_ended",
        session=closed.session,
        detail=json.dumps(detail),
    )
    insert_audit(connection, entry)
    return True


def assign_session(connection: sa.Connection, assignment: Assignment) -> bool:
    """Move a session to another resident (or to unassigned), audited; False if not on record."""
    found = connection.execute(
        sa.select(sessions.c.resident).where(sessions.c.id == assignment.session)
    ).first()
    if found is None:
        return False
    if _audited(connection, "session_assigned", assignment.session, assignment.at):
        return True  # a retried batch: already moved, and audited once
    connection.execute(
        sa.update(sessions)
        .where(sessions.c.id == assignment.session)
        .values(
            **fitted(sessions, resident=assignment.resident, resident_name=assignment.resident_name)
        )
    )
    entry = AuditEntry(
        at=assignment.at,
        action="session_assigned",
        session=assignment.session,
        user_id=assignment.user_id,
        context_id=assignment.context_id,
        detail=json.dumps({"from": found[0], "to": assignment.resident}),
    )
    insert_audit(connection, entry)
    return True


def _audited(connection: sa.Connection, action: str, session: str | None, at: float) -> bool:
    """Whether the audit trail already holds this action on this session at this time."""
    return (
        connection.execute(
            sa.select(audit.c.id).where(
                audit.c.action == action,
                audit.c.at == at,
                audit.c.session_id.is_(None) if session is None else audit.c.session_id == session,
            )
        ).first()
        is not None
    )


def insert_audit(connection: sa.Connection, entry: AuditEntry) -> None:
    """Insert one audit entry, once: a retried batch finds it there and adds nothing."""
    if _audited(connection, entry.action, entry.session, entry.at):
        return
    connection.execute(
        sa.insert(audit).values(
            **fitted(
                audit,
                at=entry.at,
                action=entry.action,
                session_id=entry.session,
                user_id=entry.user_id,
                context_id=entry.context_id,
                detail=entry.detail,
            )
        )
    )


def fitted(table: sa.Table, **values: Any) -> dict[str, Any]:
    """`values` with each text cut to its column's length.

    A name or tag longer than the column would make PostgreSQL refuse the whole batch ("value
    too long"); SQLite never checks. Ids are ours and short; names and tags come from users and
    chargers.
    """
    for name, value in values.items():
        column = table.c[name]
        length = getattr(column.type, "length", None)
        if isinstance(value, str) and length is not None and len(value) > length:
            values[name] = value[:length]
    return values


def record_residency(connection: sa.Connection, record: Residency) -> None:
    """Open a residency at a move-in, close the open one at a move-out; a repeat changes nothing."""
    open_one = connection.execute(
        sa.select(residency.c.id).where(
            residency.c.resident == record.resident, residency.c.until.is_(None)
        )
    ).first()
    if record.moved_out:
        if open_one is not None:
            connection.execute(
                sa.update(residency).where(residency.c.id == open_one[0]).values(until=record.at)
            )
    elif open_one is None and not connection.scalar(
        sa.select(residency.c.id).where(
            residency.c.resident == record.resident, residency.c.since == record.at
        )
    ):
        connection.execute(
            sa.insert(residency).values(
                **fitted(residency, resident=record.resident, name=record.name, since=record.at)
            )
        )
