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
from operator import itemgetter
from typing import Any, cast

import orjson
from sqlalchemy import JSON, Column, Connection, DateTime, Table, insert

from console.models import Base, UTCDateTime

_statements: dict[tuple[str, tuple[str, ...]], tuple[str, tuple[int, ...]]] = {}


def _plain(column: Column[Any]) -> bool:
    """Whether the driver can take the column's Python values as they are."""
    return not isinstance(column.type, DateTime | UTCDateTime | JSON)


def _sqlite_statement(table: Table, keys: tuple[str, ...]) -> tuple[str, tuple[int, ...]]:
    """The INSERT for these columns, and the positions whose values need encoding."""
    cached = _statements.get((table.name, keys))
    if cached is None:
        marks = ", ".join("?" for _ in keys)
        # Names come from our own table definitions, never from input.
        sql = f"INSERT INTO {table.name} ({', '.join(keys)}) VALUES ({marks})"  # noqa: S608
        special = tuple(i for i, key in enumerate(keys) if not _plain(table.c[key]))
        cached = _statements[(table.name, keys)] = (sql, special)
    return cached


class _Encoder:
    """Turns datetimes and JSON values into what SQLAlchemy would store, memoizing datetimes."""

    def __init__(self) -> None:
        self._times: dict[datetime, str] = {}

    def __call__(self, value: Any) -> Any:
        if isinstance(value, datetime):
            text = self._times.get(value)
            if text is None:
                naive = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
                # SQLAlchemy's SQLite text: YYYY-MM-DD HH:MM:SS.ffffff (isoformat is faster
                # than strftime, and pads the year to four digits as SQLAlchemy does).
                text = self._times[value] = naive.isoformat(" ", "microseconds")
            return text
        if isinstance(value, dict | list):
            return orjson.dumps(value).decode()
        return value


def insert_rows(conn: Connection, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """Insert `rows` into `model`'s table; every row has the keys of the first one."""
    if not rows:
        return
    table = cast(Table, model.__table__)
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), rows)
        return
    keys = tuple(column.name for column in table.columns if column.name in rows[0])
    sql, special = _sqlite_statement(table, keys)
    encode = _Encoder()
    pick = itemgetter(*keys)
    params: list[tuple[Any, ...]] = []
    for row in rows:
        picked = pick(row)
        values = list(picked) if len(keys) > 1 else [picked]
        for i in special:
            values[i] = encode(values[i])
        params.append(tuple(values))
    conn.exec_driver_sql(sql, params)
