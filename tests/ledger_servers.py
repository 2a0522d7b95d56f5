"""A PostgreSQL server the ledger's tests start themselves, and loopback sockets for it.

The server comes from Debian's `postgresql` package (scripts/setup installs it as root); it runs
as the `postgres` user when the tests run as root, listens on 127.0.0.1 only, and stops at the end.
A pytest plugin (tests/conftest.py loads it), so the ledger's and the bookkeeping's tests share it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
import itertools
import os
from pathlib import Path
import shutil
import subprocess
import sys
import tempfile

import pytest
import pytest_socket
import sqlalchemy as sa

LOOPBACK = ["127.0.0.1", "::1", "localhost"]
POSTGRES_BINARIES = Path("/usr/lib/postgresql")
# Run in a child process: pytest-socket blocks sockets in this one while fixtures are set up.
FREE_PORT = "from hardware.station_sim.ports import free_tcp_port; print(free_tcp_port())"


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a program, capturing its output."""
    return subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603  # fixed programs, our own arguments


def free_tcp_port() -> int:
    """A TCP port nobody listens on at 127.0.0.1 right now."""
    return int(run([sys.executable, "-c", FREE_PORT]).stdout)


def postgres_bin() -> Path:
    """The newest PostgreSQL server's binaries, or a failed test saying how to get them."""
    found = sorted(
        POSTGRES_BINARIES.glob("*/bin/pg_ctl"), key=lambda path: int(path.parent.parent.name)
    )
    if not found:
        pytest.fail(
            f"PostgreSQL's server is not installed (no {POSTGRES_BINARIES}/*/bin/pg_ctl): "
            "install Debian's postgresql package (scripts/setup does so when run as root)"
        )
    return found[-1].parent


@dataclass
class PostgresServer:
    """A throw-away PostgreSQL cluster on 127.0.0.1."""

    bin_dir: Path
    base: Path
    port: int
    run_as: list[str] = field(default_factory=list)
    databases: Iterator[int] = field(default_factory=itertools.count)

    @property
    def data(self) -> Path:
        """The cluster's data folder."""
        return self.base / "data"

    def run(self, program: str, *args: str) -> None:
        """Run one of the server's programs (as `postgres` when we are root)."""
        command = [*self.run_as, str(self.bin_dir / program), *args]
        done = run(command)
        if done.returncode != 0:
            log = self.base / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            pytest.fail(f"{program} failed:\n{done.stdout}\n{done.stderr}\n{tail}")

    def init(self) -> None:
        """Create the cluster: trust authentication, as only loopback is served."""
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (
            f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        log = str(self.base / "server.log")
        self.run(
            "pg_ctl", "start", "-w", "-t", "30", "-D", str(self.data), "-l", log, "-o", options
        )

    def stop(self) -> None:
        """Stop the server, dropping its connections."""
        self.run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.data))

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of one of its databases."""
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A fresh, empty database; returns its URL."""
        name = f"ledger_{next(self.databases)}"
        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql(f"CREATE DATABASE {name}")
        finally:
            engine.dispose()
        return self.url(name)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the whole session, started from Debian's binaries."""
    bin_dir = postgres_bin()
    # Not under pytest's tmp folder: as root, that one is closed to the `postgres` user.
    base = Path(tempfile.mkdtemp(prefix="ev_v2g-postgres-"))
    run_as: list[str] = []
    if os.getuid() == 0:  # postgres refuses to run as root
        shutil.chown(base, user="postgres", group="postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    server = PostgresServer(bin_dir=bin_dir, base=base, port=free_tcp_port(), run_as=run_as)
    try:
        server.init()
        server.start()
        yield server
    finally:
        run([*run_as, str(bin_dir / "pg_ctl"), "stop", "-m", "immediate", "-D", str(server.data)])
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_loopback(socket_enabled: None) -> None:
    """Allow real sockets, to loopback only."""
    pytest_socket.socket_allow_hosts(LOOPBACK, allow_unix_socket=True)


@pytest.fixture
def postgres(postgres_loopback: None, postgres_server: PostgresServer) -> PostgresServer:
    """The PostgreSQL server, with loopback sockets allowed for the test."""
    return postgres_server
