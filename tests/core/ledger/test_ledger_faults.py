"""Faults: a locked SQLite file, an unreachable or restarting PostgreSQL server.

Each failed write leaves nothing behind; the same batch written again later counts once.
"""

from __future__ import annotations

from pathlib import Path
import sqlite3
import time

import pytest

from custom_components.ev_v2g.core.ledger import Ledger, LedgerUnavailableError, WriteResult

from .build import reading, session
from .conftest import PostgresServer, free_tcp_port  # the child-process lookup, sockets off

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
