"""The ledger: sessions, meter readings and the audit trail in any SQLAlchemy database.

Synchronous on purpose: Home Assistant calls it from an executor thread, never on the event loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
import contextlib
from dataclasses import dataclass
import sqlite3
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry

from .ledger_details import ClosedPeriod, bands, close_period, closed, session_lines
from .ledger_queries import (
    load_last_readings,
    presence,
    register_change,
    residents_on_record,
    session_of,
    session_usage_query,
    usage_of,
    usage_query,
)
from .ledger_rows import apply, insert_readings, reading_row
from .ledger_schema import SCHEMA_VERSION, audit, migrate, sessions
from .records import AuditEntry, LedgerRecord, Reading, Session, Usage
from .statement_parts import Band, SessionLine

# Execution option naming the SQLite BEGIN flavour (IMMEDIATE for writes: no lock upgrade later).
SQLITE_BEGIN = "ev_v2g_sqlite_begin"


class LedgerError(Exception):
    """The ledger refused a request."""


class LedgerUnavailableError(LedgerError):
    """The database cannot be used right now (locked, unreachable, disk full...): retry later."""

    def __init__(self, reason: str) -> None:
        """Keep a short human text for a repair issue or the log."""
        super().__init__(reason)
        self.reason = reason


class UnknownSessionError(LedgerError):
    """A record names a session the ledger does not hold."""


@dataclass(frozen=True)
class WriteResult:
    """Readings of one write: accepted, and dropped as replayed or out of order."""

    accepted: int
    stale: int


def _reason(err: sa.exc.SQLAlchemyError) -> str:
    """The driver's first line, without SQLAlchemy's statement and background link."""
    text = str(getattr(err, "orig", None) or err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _known_version(version: int) -> int:
    """The schema version, unless a newer ev_v2g wrote it."""
    if version > SCHEMA_VERSION:
        raise LedgerError(
            f"the ledger was written by a newer ev_v2g (schema {version}, "
            f"this version knows up to {SCHEMA_VERSION})"
        )
    return version


@contextlib.contextmanager
def _database_errors() -> Iterator[None]:
    """Turn driver failures into the ledger's errors."""
    try:
        yield
    except sa.exc.IntegrityError as err:
        raise LedgerError(f"the database refused the records: {_reason(err)}") from err
    except (sa.exc.DBAPIError, sa.exc.TimeoutError) as err:
        raise LedgerUnavailableError(_reason(err)) from err


class Ledger:
    """Per-resident record of every session, reading and assignment, with an audit trail."""

    def __init__(self, url: str, *, busy_timeout_s: float = 5.0) -> None:
        """Keep the URL (`sqlite:///path` by default); nothing is opened yet."""
        self._url = url
        self._busy_timeout_s = busy_timeout_s
        self._engine: sa.Engine | None = None
        self._schema_version = 0
        self._last: dict[str, Reading] = {}
        self._in_doubt = False
        """A write failed: it may have committed all the same (the driver raising after the
        commit), so the next write first reads the last readings back from the database."""

    def open(self) -> None:
        """Connect, create or migrate the schema, and load every station's last reading."""
        if self._engine is not None:
            return
        try:
            engine = self._create_engine()
        except (sa.exc.ArgumentError, ImportError) as err:
            # A malformed URL, or a dialect whose driver is not installed: no retry can help.
            raise LedgerError(f"cannot use the ledger URL: {err}") from err
        try:
            with _database_errors():
                version = _known_version(migrate(engine))
                with engine.connect() as connection:
                    last = load_last_readings(connection)
        except BaseException:
            engine.dispose()
            raise
        self._engine = engine
        self._schema_version = version
        self._last = last

    def close(self) -> None:
        """Release every connection; closing twice is harmless."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    @property
    def schema_version(self) -> int:
        """The schema version the open database holds."""
        self._require_engine()
        return self._schema_version

    def write(self, records: Sequence[LedgerRecord]) -> WriteResult:
        """Apply `records` in order, in one transaction; replayed readings are counted as stale."""
        engine = self._require_engine().execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
        accepted = stale = 0
        pending: list[dict[str, Any]] = []
        in_doubt, self._in_doubt = self._in_doubt, True
        with _database_errors(), engine.begin() as connection:
            # Worked out on a copy, kept only once the transaction has committed. After a
            # failure the database says what is stored: a batch that did commit is skipped.
            last = load_last_readings(connection) if in_doubt else dict(self._last)
            for record in records:
                if isinstance(record, Reading):
                    row = reading_row(record, last.get(record.station))
                    if row is None:
                        stale += 1
                        continue
                    last[record.station] = record
                    pending.append(row)
                    accepted += 1
                    continue
                # Readings go in by the batch, but before any later record that may refer to them.
                insert_readings(connection, pending)
                missing = apply(connection, record)
                if missing is not None:
                    raise UnknownSessionError(f"no session {missing} on record")
            insert_readings(connection, pending)
        self._last = last
        self._in_doubt = False
        return WriteResult(accepted=accepted, stale=stale)

    def open_sessions(self) -> list[Session]:
        """Sessions that have not ended."""
        query = sa.select(sessions).where(sessions.c.ended_at.is_(None))
        return [session_of(row) for row in self._rows(query.order_by(sessions.c.started_at))]

    def session(self, session_id: str) -> Session | None:
        """One session, or None if the ledger does not hold it."""
        rows = self._rows(sa.select(sessions).where(sessions.c.id == session_id))
        return session_of(rows[0]) if rows else None

    def last_readings(self) -> dict[str, Reading]:
        """Per station, its last accepted reading (meters resume from these after a restart)."""
        self._require_engine()
        return dict(self._last)

    def presence(self, start: float, end: float) -> dict[str, tuple[float, str]]:
        """Seconds each resident lived here within [start, end), and the name they had."""
        return self._read(presence, start, end)

    def residents_on_record(self) -> dict[str, bool]:
        """Every resident with a residency, and whether it is still open."""
        return self._read(residents_on_record)

    def register_change(self, start: float, end: float) -> tuple[float, float]:
        """What the stations' registers moved by in [start, end): (import, export) Wh."""
        return self._read(register_change, start, end)

    def session_lines(self, start: float, end: float) -> list[SessionLine]:
        """Every session's part in [start, end) (its station is the station's key)."""
        return self._read(session_lines, start, end)

    def bands(self, start: float, end: float) -> list[Band]:
        """Each resident's energy imported in [start, end) at each price."""
        return self._read(bands, start, end)

    def closed_periods(self) -> list[ClosedPeriod]:
        """Every closed period with its statement as issued, in time order."""
        return self._read(closed)

    def close_period(self, period: ClosedPeriod) -> None:
        """Keep a period's statement as issued; PeriodClosedError if it is closed already."""
        engine = self._require_engine().execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
        with _database_errors(), engine.begin() as connection:
            close_period(connection, period)

    def usage(self, start: float, end: float) -> list[Usage]:
        """Energy, cost and credit of readings with start <= at < end, per resident and station.

        A reading without a session, or whose session has no resident, is unassigned (None).
        """
        return [usage_of(row) for row in self._rows(usage_query(start, end))]

    def session_usage(self, session_id: str) -> Usage | None:
        """One session's energy, cost and credit so far; None if the ledger does not hold it."""
        rows = self._rows(session_usage_query(session_id))
        return usage_of(rows[0]) if rows else None

    def sessions_between(self, start: float, end: float) -> list[Session]:
        """Sessions that overlap [start, end)."""
        query = sa.select(sessions).where(
            sessions.c.started_at < end,
            sa.or_(sessions.c.ended_at.is_(None), sessions.c.ended_at > start),
        )
        return [session_of(row) for row in self._rows(query.order_by(sessions.c.started_at))]

    def audit(self, session_id: str | None = None) -> list[AuditEntry]:
        """The audit trail in time order, of one session or of all."""
        query = sa.select(audit).order_by(audit.c.at, audit.c.id)
        if session_id is not None:
            query = query.where(audit.c.session_id == session_id)
        return [
            AuditEntry(
                at=row.at,
                action=row.action,
                session=row.session_id,
                user_id=row.user_id,
                context_id=row.context_id,
                detail=row.detail,
            )
            for row in self._rows(query)
        ]

    def _require_engine(self) -> sa.Engine:
        """The engine, or a LedgerError if the ledger is not open."""
        if self._engine is None:
            raise LedgerError("the ledger is not open")
        return self._engine

    def _read[T](self, query: Callable[..., T], *args: Any) -> T:
        """Run one read-only query function on a connection of its own."""
        engine = self._require_engine()
        with _database_errors(), engine.connect() as connection:
            return query(connection, *args)

    def _rows(self, query: sa.Select[Any]) -> list[sa.Row[Any]]:
        """Run one read-only query."""
        engine = self._require_engine()
        with _database_errors(), engine.connect() as connection:
            return list(connection.execute(query))

    def _create_engine(self) -> sa.Engine:
        """An engine for the URL; SQLite gets WAL, a busy timeout, foreign keys, real BEGINs."""
        url = sa.make_url(self._url)
        if url.get_backend_name() != "sqlite":
            return sa.create_engine(url, pool_pre_ping=True)
        engine = sa.create_engine(url)
        busy_ms = round(self._busy_timeout_s * 1000)

        def on_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
            sqlite = cast(sqlite3.Connection, dbapi_connection)
            # pysqlite's own transaction handling skips BEGIN before DDL: the begin hook does it.
            sqlite.isolation_level = None
            for pragma in ("journal_mode=WAL", f"busy_timeout={busy_ms}", "foreign_keys=ON"):
                sqlite.execute(f"PRAGMA {pragma}")

        def on_begin(connection: sa.Connection) -> None:
            flavour = connection.get_execution_options().get(SQLITE_BEGIN, "")
            connection.exec_driver_sql(f"BEGIN {flavour}")

        sa.event.listen(engine, "connect", on_connect)
        sa.event.listen(engine, "begin", on_begin)
        return engine
