"""The ledger's tables (SQLAlchemy Core), its schema version and the steps that migrate to it.

Tables are prefixed `ev_v2g_` because the database may be shared; times are POSIX seconds.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

PREFIX = "ev_v2g_"

metadata = sa.MetaData()

# Version 1: the schema version, sessions and meter readings.
meta = sa.Table(
    f"{PREFIX}meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(255), nullable=False),
)

sessions = sa.Table(
    f"{PREFIX}sessions",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("station", sa.String(255), nullable=False),
    sa.Column("resident", sa.String(255)),
    sa.Column("resident_name", sa.String(255)),
    sa.Column("auth_kind", sa.String(32), nullable=False),
    sa.Column("auth_by", sa.String(255), nullable=False),
    sa.Column("auth_user_id", sa.String(64)),
    sa.Column("auth_context_id", sa.String(64)),
    sa.Column("auth_id_tag", sa.String(64)),
    sa.Column("started_at", sa.Double, nullable=False),
    sa.Column("import_start_wh", sa.Double),
    sa.Column("export_start_wh", sa.Double),
    sa.Column("ended_at", sa.Double),
    sa.Column("import_stop_wh", sa.Double),
    sa.Column("export_stop_wh", sa.Double),
    sa.Column("end_reason", sa.String(32)),
)

readings = sa.Table(
    f"{PREFIX}readings",
    metadata,
    # INTEGER (not BIGINT) on SQLite, so that the key is the rowid.
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("station", sa.String(255), nullable=False),
    sa.Column("at", sa.Double, nullable=False),
    sa.Column("session_id", sa.String(64), sa.ForeignKey(sessions.c.id)),
    sa.Column("import_wh", sa.Double, nullable=False),
    sa.Column("export_wh", sa.Double, nullable=False),
    sa.Column("meter_import_wh", sa.Double),
    sa.Column("meter_export_wh", sa.Double),
    sa.Column("power_w", sa.Double),
    sa.Column("price", sa.Double, nullable=False),
    sa.Column("credit_rate", sa.Double, nullable=False),
    sa.Column("import_delta_wh", sa.Double, nullable=False),
    sa.Column("export_delta_wh", sa.Double, nullable=False),
    sa.Column("cost", sa.Double, nullable=False),
    sa.Column("credit", sa.Double, nullable=False),
    sa.UniqueConstraint("station", "at", name=f"{PREFIX}readings_station_at"),
    # Version 5: the station's boot record with its register (created by create_v1 since).
    sa.Column("meter_boot", sa.Double),
)

# Version 2: the audit trail, and indexes for periods, sessions and residents.
audit = sa.Table(
    f"{PREFIX}audit",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("at", sa.Double, nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("session_id", sa.String(64)),
    sa.Column("user_id", sa.String(64)),
    sa.Column("context_id", sa.String(64)),
    sa.Column("detail", sa.Text, nullable=False),
)

# Version 3: when each resident lived here (shared costs are split over the residents present).
residency = sa.Table(
    f"{PREFIX}residency",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("resident", sa.String(255), nullable=False, index=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("since", sa.Double, nullable=False),
    sa.Column("until", sa.Double),
)

# Version 4: the statements of closed periods, kept as issued.
closed_periods = sa.Table(
    f"{PREFIX}closed_periods",
    metadata,
    sa.Column("period_start", sa.Double, primary_key=True),
    sa.Column("period_end", sa.Double, nullable=False),
    sa.Column("closed_at", sa.Double, nullable=False),
    sa.Column("user_id", sa.String(64)),
    sa.Column("statement", sa.Text, nullable=False),
)

V2_INDEXES = (
    (f"{PREFIX}readings_at", readings.name, "at"),
    (f"{PREFIX}readings_session", readings.name, "session_id"),
    (f"{PREFIX}sessions_resident", sessions.name, "resident"),
    (f"{PREFIX}audit_session", audit.name, "session_id"),
)

VERSION_KEY = "schema_version"


def create_v1(connection: sa.Connection) -> None:
    """Version 0 -> 1: the base tables."""
    metadata.create_all(connection, tables=[meta, sessions, readings])


def add_audit_and_indexes(connection: sa.Connection) -> None:
    """Version 1 -> 2: the audit table and the indexes that keep periods and sessions fast."""
    audit.create(connection)
    preparer = connection.dialect.identifier_preparer
    for name, table, column in V2_INDEXES:
        # Plain DDL: Index objects would attach to the tables and leak into version 1's DDL.
        connection.exec_driver_sql(
            f"CREATE INDEX {preparer.quote(name)} ON {preparer.quote(table)} "
            f"({preparer.quote(column)})"
        )


def add_residency(connection: sa.Connection) -> None:
    """Version 2 -> 3: residency, when each resident lived here."""
    residency.create(connection)


def add_closed_periods(connection: sa.Connection) -> None:
    """Version 3 -> 4: closed periods, their statements as issued."""
    closed_periods.create(connection)


def add_meter_boot(connection: sa.Connection) -> None:
    """Version 4 -> 5: the station's boot record beside its raw register.

    A station that reboots while Home Assistant is down is then recognised by its boot record
    as it would be live. Databases created since version 5 already have the column.
    """
    columns = {column["name"] for column in sa.inspect(connection).get_columns(readings.name)}
    if "meter_boot" not in columns:
        preparer = connection.dialect.identifier_preparer
        connection.exec_driver_sql(
            f"ALTER TABLE {preparer.quote(readings.name)} "
            f"ADD COLUMN {preparer.quote('meter_boot')} "
            f"{sa.Double().compile(dialect=connection.dialect)}"
        )


MIGRATIONS: tuple[Callable[[sa.Connection], None], ...] = (
    create_v1,
    add_audit_and_indexes,
    add_residency,
    add_closed_periods,
    add_meter_boot,
)
"""Step n takes the schema from version n to n + 1, each in its own transaction."""

SCHEMA_VERSION = len(MIGRATIONS)


def stored_version(connection: sa.Connection) -> int:
    """The schema version a database holds; 0 for one without the ledger's tables."""
    if not sa.inspect(connection).has_table(meta.name):
        return 0
    value = connection.scalar(sa.select(meta.c.value).where(meta.c.key == VERSION_KEY))
    return 0 if value is None else int(value)


def migrate(engine: sa.Engine, target: int = SCHEMA_VERSION) -> int:
    """Bring the database up to `target` one step at a time; returns the version it holds.

    A database newer than `target` is left alone: the caller decides what that means.
    """
    with engine.begin() as connection:
        version = stored_version(connection)
    while version < target:
        with engine.begin() as connection:
            MIGRATIONS[version](connection)
            version += 1
            if version == 1:
                connection.execute(sa.insert(meta).values(key=VERSION_KEY, value="1"))
            else:
                connection.execute(
                    sa.update(meta).where(meta.c.key == VERSION_KEY).values(value=str(version))
                )
    return version
