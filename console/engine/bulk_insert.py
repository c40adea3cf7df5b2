"""Multi-row inserts for the ingest hot path, with a fast lane for SQLite.

SQLAlchemy's executemany runs a bind processor per value: on SQLite every datetime is
formatted to text one by one, about ten per alert, and that formatting was the largest
single cost of committing a batch. On SQLite this module formats each distinct datetime
once per batch (most rows share `now`), encodes JSON with orjson, and hands plain tuples to
the driver. Values are stored exactly as SQLAlchemy's own types store them (naive UTC text
`YYYY-MM-DD HH:MM:SS.ffffff`, JSON text), so reads through the models see no difference.
Other databases take the ordinary SQLAlchemy path.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import orjson
from sqlalchemy import Connection, Table, insert

from console.models import Base

SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"
_statements: dict[str, tuple[str, tuple[str, ...]]] = {}


def _sqlite_statement(table: Table) -> tuple[str, tuple[str, ...]]:
    cached = _statements.get(table.name)
    if cached is None:
        columns = tuple(column.name for column in table.columns)
        marks = ", ".join("?" for _ in columns)
        # Names come from our own table definitions, never from input.
        sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
        cached = _statements[table.name] = (sql, columns)
    return cached


class _Encoder:
    """Turns Python values into what the sqlite3 driver stores, memoizing datetimes."""

    def __init__(self) -> None:
        self._times: dict[datetime, str] = {}

    def __call__(self, value: Any) -> Any:
        if value is None or isinstance(value, str | int | float):
            return value
        if isinstance(value, datetime):
            text = self._times.get(value)
            if text is None:
                naive = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
                text = self._times[value] = naive.strftime(SQLITE_DATETIME)
            return text
        if isinstance(value, dict | list):
            return orjson.dumps(value).decode()
        return value


def insert_rows(conn: Connection, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (dicts keyed by column name; missing columns are NULL) into `model`'s table."""
    if not rows:
        return
    table = cast(Table, model.__table__)
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), rows)
        return
    sql, columns = _sqlite_statement(table)
    encode = _Encoder()
    params = [tuple(encode(row.get(column)) for column in columns) for row in rows]
    conn.exec_driver_sql(sql, params)
