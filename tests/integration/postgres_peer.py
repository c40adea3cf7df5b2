"""A real PostgreSQL server for tests: a throwaway cluster in a temporary folder.

The Debian package `postgresql` installs the server programs under
/usr/lib/postgresql/<version>/bin, off PATH. PostgreSQL refuses to run as root, so as
root (CI) the cluster belongs to the package's `postgres` user. Every test gets a database
of its own on the one cluster, reached over TCP on 127.0.0.1 with trust authentication.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from tests.integration.peers import REQUIRE_PEERS, free_port, wait_for

SUPERUSER = "postgres"


def _program(name: str) -> str:
    """`initdb` or `pg_ctl`: on PATH, else from the newest installed server version."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda path: int(Path(path).parts[-3]),
    )
    if candidates:
        return candidates[-1]
    message = f"PostgreSQL's {name} is not installed (apt-get install postgresql, see .ci/run)"
    if os.environ.get(REQUIRE_PEERS):
        pytest.fail(message)
    pytest.skip(message)


def _as_owner(argv: list[str]) -> list[str]:
    """Run as the `postgres` user when we are root (the server refuses root)."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", SUPERUSER, "--", *argv]


@dataclass
class RunningPostgres:
    """A started cluster; `database()` makes a fresh database and returns its URL."""

    folder: Path
    port: int
    pg_ctl: str
    created: int = 0

    @property
    def admin_dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname=postgres"

    def database(self) -> str:
        self.created += 1
        name = f"console_{self.created}"
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        subprocess.run(
            _as_owner([self.pg_ctl, "-D", str(self.folder / "data"), "-m", "immediate", "stop"]),
            check=False,
            capture_output=True,
            timeout=60,
        )


def start_postgres(folder: Path) -> RunningPostgres:
    """initdb a cluster in `folder` and start it on a free port."""
    initdb, pg_ctl = _program("initdb"), _program("pg_ctl")
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(folder, SUPERUSER)
    data = folder / "data"
    subprocess.run(
        _as_owner([initdb, "-D", str(data), "-A", "trust", "-U", SUPERUSER, "--no-sync"]),
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = free_port()
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        _as_owner([pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "start"]),
        check=True,
        capture_output=True,
        timeout=120,
    )
    running = RunningPostgres(folder, port, pg_ctl)

    def accepting() -> bool:
        with psycopg.connect(running.admin_dsn, connect_timeout=2) as conn:
            return conn.execute("SELECT 1").fetchone() == (1,)

    try:
        wait_for(accepting, 60, "PostgreSQL to accept connections")
    except BaseException:
        running.stop()
        raise
    return running
