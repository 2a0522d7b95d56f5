"""Schema versions: a version 1 database is migrated with its data; a newer one is refused."""

from __future__ import annotations

from dataclasses import replace

import pytest
import sqlalchemy as sa

from custom_components.ev_v2g.core import ledger_schema
from custom_components.ev_v2g.core.ledger import Ledger, LedgerError
from custom_components.ev_v2g.core.records import Usage

from .build import reading


def test_fresh_database_is_at_the_current_version(ledger: Ledger) -> None:
    """A new database gets every step, up to the code's version."""
    assert ledger.schema_version == ledger_schema.SCHEMA_VERSION == 5


def test_version_1_is_migrated_with_its_data(ledger_url: str) -> None:
    """A database made by version 1's DDL gets every later step, and keeps its rows."""
    engine = sa.create_engine(ledger_url)
    try:
        assert ledger_schema.migrate(engine, target=1) == 1
        with engine.begin() as connection:
            # Version 1's readings had no boot record: the table is made as it was then.
            connection.exec_driver_sql("ALTER TABLE ev_v2g_readings DROP COLUMN meter_boot")
            assert set(sa.inspect(connection).get_table_names()) == {
                "ev_v2g_meta",
                "ev_v2g_sessions",
                "ev_v2g_readings",
            }
            connection.execute(
                sa.insert(ledger_schema.sessions).values(
                    id="s1",
                    station="st1",
                    resident="ann",
                    resident_name="Ann",
                    auth_kind="owner",
                    auth_by="automation",
                    started_at=1000.0,
                )
            )
            rows = [
                {"at": 1000.0, "import_wh": 0.0, "delta": 0.0},
                {"at": 1060.0, "import_wh": 600.0, "delta": 600.0},
            ]
            connection.execute(
                sa.insert(ledger_schema.readings),
                [
                    {
                        "station": "st1",
                        "at": row["at"],
                        "session_id": "s1",
                        "import_wh": row["import_wh"],
                        "export_wh": 0.0,
                        "price": 0.5,
                        "credit_rate": 0.0,
                        "import_delta_wh": row["delta"],
                        "export_delta_wh": 0.0,
                        "cost": row["delta"] / 1000 * 0.5,
                        "credit": 0.0,
                    }
                    for row in rows
                ],
            )
    finally:
        engine.dispose()

    ledger = Ledger(ledger_url)
    ledger.open()
    try:
        assert ledger.schema_version == 5
        migrated = ledger.session("s1")
        assert migrated is not None
        assert (migrated.resident, migrated.authorization.by) == ("ann", "automation")
        assert ledger.usage(0.0, 5000.0) == [
            Usage(
                resident="ann",
                resident_name="Ann",
                station="st1",
                import_wh=600.0,
                export_wh=0.0,
                cost=0.3,
                credit=0.0,
                sessions=1,
            )
        ]
        assert ledger.last_readings()["st1"].import_wh == 600.0
        assert ledger.audit() == []
        assert ledger.write([replace(reading(1120.0, 700.0), meter_boot=7.0)]).accepted == 1
        assert ledger.last_readings()["st1"].meter_boot == 7.0
    finally:
        ledger.close()

    engine = sa.create_engine(ledger_url)
    try:
        inspector = sa.inspect(engine)
        indexed = {
            (table, tuple(index["column_names"]))
            for table in ("ev_v2g_readings", "ev_v2g_sessions", "ev_v2g_audit")
            for index in inspector.get_indexes(table)
        }
        assert {
            ("ev_v2g_readings", ("at",)),
            ("ev_v2g_readings", ("session_id",)),
            ("ev_v2g_sessions", ("resident",)),
            ("ev_v2g_audit", ("session_id",)),
        } <= indexed
    finally:
        engine.dispose()


def test_newer_schema_is_refused(ledger_url: str) -> None:
    """A database written by a newer ev_v2g is not touched."""
    ledger = Ledger(ledger_url)
    ledger.open()
    ledger.close()
    engine = sa.create_engine(ledger_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.update(ledger_schema.meta).values(value=str(ledger_schema.SCHEMA_VERSION + 1))
            )
    finally:
        engine.dispose()
    with pytest.raises(LedgerError, match="written by a newer ev_v2g"):
        ledger.open()
    with pytest.raises(LedgerError, match="not open"):
        ledger.write([])
