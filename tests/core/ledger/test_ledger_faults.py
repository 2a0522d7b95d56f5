"""Faults: a locked SQLite file, an unreachable or restarting PostgreSQL server.

Each failed write leaves nothing behind; the same batch written again later counts once.
"""

from __future__ import annotations

from pathlib import Path
import sqlite3
import time

import pytest
import sqlalchemy as sa

from custom_components.ev_v2g.core.ledger import Ledger, LedgerUnavailableError, WriteResult
from custom_components.ev_v2g.core.records import Authorization, AuthorizationKind
from tests.ledger_servers import (  # the child-process lookup, sockets off
    PostgresServer,
    free_tcp_port,
)

from .build import reading, session

BATCH = [session("s1"), reading(1000.0, 0.0), reading(1060.0, 400.0), reading(1120.0, 900.0)]


def imported(ledger: Ledger) -> float:
    """Every Wh imported, over all time."""
    return sum(usage.import_wh for usage in ledger.usage(0.0, 1e12))


def test_sqlite_locked(tmp_path: Path) -> None:
    """Another writer's lock makes a write fail quickly; once released the same batch goes in."""
    path = tmp_path / "ledger.db"
    ledger = Ledger(f"sqlite:///{path}", busy_timeout_s=0.2)
    ledger.open()
    ledger.write(
        [session("s0", station="st0"), reading(900.0, 5.0, station="st0", session_id="s0")]
    )
    before = ledger.last_readings()

    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        with pytest.raises(LedgerUnavailableError, match="locked") as caught:
            ledger.write(BATCH)
        assert time.monotonic() - started < 3.0
        assert "locked" in caught.value.reason
        assert ledger.last_readings() == before
    finally:
        other.execute("ROLLBACK")
        other.close()

    assert ledger.write(BATCH) == WriteResult(accepted=3, stale=0)
    assert ledger.write(BATCH) == WriteResult(accepted=0, stale=3)
    assert imported(ledger) == 900.0
    ledger.close()


def test_postgres_unreachable_on_open(postgres: PostgresServer) -> None:
    """Nothing listening: open fails as unavailable, and the ledger stays closed."""
    ledger = Ledger(f"postgresql+psycopg2://postgres@127.0.0.1:{free_tcp_port()}/postgres")
    with pytest.raises(LedgerUnavailableError) as caught:
        ledger.open()
    assert caught.value.reason
    ledger.close()


def test_postgres_down_then_back(postgres: PostgresServer) -> None:
    """Writes and reads fail while the server is down; the same batch counts once after."""
    ledger = Ledger(postgres.create_database())
    ledger.open()
    ledger.write(
        [session("s0", station="st0"), reading(900.0, 5.0, station="st0", session_id="s0")]
    )
    before = ledger.last_readings()
    postgres.stop()
    try:
        with pytest.raises(LedgerUnavailableError):
            ledger.write(BATCH)
        with pytest.raises(LedgerUnavailableError):
            ledger.usage(0.0, 1e12)
        assert ledger.last_readings() == before
    finally:
        postgres.start()
    assert ledger.write(BATCH) == WriteResult(accepted=3, stale=0)
    assert ledger.write(BATCH) == WriteResult(accepted=0, stale=3)
    assert imported(ledger) == 900.0
    ledger.close()


def test_postgres_restart_between_writes(postgres: PostgresServer) -> None:
    """A server restart drops the pooled connections: the next write reconnects."""
    ledger = Ledger(postgres.create_database())
    ledger.open()
    assert ledger.write(BATCH[:3]).accepted == 2
    postgres.stop()
    postgres.start()
    assert ledger.write(BATCH[3:]) == WriteResult(accepted=1, stale=0)
    assert imported(ledger) == 900.0
    ledger.close()


def test_a_commit_the_driver_reported_as_failed_is_not_written_twice(ledger_url: str) -> None:
    """The database committed, then the driver raised: the batch written again is skipped.

    Before, the retry met the readings' unique constraint and failed for ever after.
    """
    ledger = Ledger(ledger_url)
    ledger.open()
    engine = ledger._require_engine()  # the fault goes in under the ledger

    def commit_then_fail(connection: sa.Connection) -> None:
        connection.connection.dbapi_connection.commit()  # type: ignore[union-attr]
        raise sa.exc.OperationalError("COMMIT", None, Exception("connection lost after commit"))

    sa.event.listen(engine, "commit", commit_then_fail)
    try:
        with pytest.raises(LedgerUnavailableError):
            ledger.write(BATCH)
    finally:
        sa.event.remove(engine, "commit", commit_then_fail)
    assert ledger.write(BATCH) == WriteResult(accepted=0, stale=3)
    assert imported(ledger) == 900.0
    assert ledger.write([reading(1180.0, 1000.0)]) == WriteResult(accepted=1, stale=0)
    assert imported(ledger) == 1000.0
    ledger.close()


def test_long_names_and_tags_are_stored_cut(ledger_url: str) -> None:
    """A 300-character resident name and a 100-character tag do not refuse the batch.

    PostgreSQL refused "value too long" for the whole batch; SQLite never checked.
    """
    ledger = Ledger(ledger_url)
    ledger.open()
    long = session("s1")
    long.resident_name = "N" * 300
    long.authorization = Authorization(
        kind=AuthorizationKind.ID_TAG, by="T" * 300, id_tag="T" * 100
    )
    assert ledger.write([long, reading(1000.0, 0.0), reading(1060.0, 400.0)]).accepted == 2
    (usage,) = ledger.usage(0.0, 1e12)
    assert usage.resident_name == "N" * 255
    assert usage.import_wh == 400.0
    ledger.close()
