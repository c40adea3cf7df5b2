"""The store: engines and sessions over any SQLAlchemy URL, SQLite tuning, and migrations.

SQLite (the default) runs in WAL mode so readers (the window, the command line) never block
the writer. Every write transaction starts with `BEGIN IMMEDIATE`, which takes the write lock
up front: a transaction that read first and upgraded later could otherwise fail with
SQLITE_BUSY_SNAPSHOT when another process wrote in between. On PostgreSQL the same role is
played by a transaction-scoped advisory lock, so numbering (`iid`) stays serial across
consoles sharing one store.

`synchronous=FULL`: the WAL is synced at every commit, so an alert acknowledged with 2xx
survives not only a killed process but a power loss or OS crash too. Group commit (see
`console.engine.writer`) amortises that sync over every request of a batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
WRITE_LOCK_KEY = 0x1C0501E  # advisory lock id for writes on PostgreSQL
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=15000",
    "PRAGMA temp_store=MEMORY",
    "PRAGMA cache_size=-32000",
)


class StoreError(Exception):
    """The store cannot be opened or used; the message says why."""


def normalise_url(url: str) -> str:
    """Accept a bare file path as a SQLite store, and the `postgresql://` short form."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _prepare_sqlite(engine: Engine, *, immediate: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _prepare_postgres_writer(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")


class Store:
    """One store: a reader engine, a writer engine, and their sessions."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        try:
            parsed = make_url(self.url)
        except ArgumentError as exc:
            raise StoreError(f"not a database URL: {url!r}") from exc
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite and (not parsed.database or parsed.database == ":memory:"):
            # Every connection would get a database of its own: what the writer commits,
            # the readers (and the migrations' tables) would never see.
            raise StoreError(
                "an in-memory SQLite store cannot be shared by the console's connections; "
                "give a file path or a sqlite:///PATH URL"
            )
        if self.is_sqlite and parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine = create_engine(self.url, future=True)
            self.write_engine = create_engine(self.url, future=True, pool_size=2)
        except (ArgumentError, ImportError, SQLAlchemyError) as exc:
            raise StoreError(f"cannot open store {parsed.render_as_string()}: {exc}") from exc
        if self.is_sqlite:
            _prepare_sqlite(self.engine, immediate=False)
            _prepare_sqlite(self.write_engine, immediate=True)
        elif parsed.get_backend_name() == "postgresql":
            _prepare_postgres_writer(self.write_engine)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(self.write_engine, expire_on_commit=False)

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite database file, or None on another database."""
        database = make_url(self.url).database
        return Path(database) if self.is_sqlite and database else None

    @property
    def display_url(self) -> str:
        """The URL with any password hidden."""
        return make_url(self.url).render_as_string(hide_password=True)

    def migrate(self) -> None:
        """Bring the schema to the newest revision (creating it on a new store)."""
        from console.migrations.runner import upgrade_to_head

        try:
            with self.write_engine.begin() as connection:
                upgrade_to_head(connection)
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot prepare store {self.display_url}: {exc}") from exc

    def read(self) -> Session:
        """A session for reading (close it, or use it as a context manager)."""
        return self._reader()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on error."""
        with self._writer() as session, session.begin():
            yield session

    def healthy(self) -> tuple[bool, str]:
        """Whether the store answers a query, and what went wrong if not."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            return False, str(exc).splitlines()[0]
        return True, "ok"

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
        self.write_engine.dispose()


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Open the store at `url`, migrated to the newest schema."""
    store = Store(url)
    if migrate:
        store.migrate()
    return store
