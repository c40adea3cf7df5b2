"""Multi-row inserts for the ingest hot path, with a fast lane for SQLite.

SQLAlchemy's executemany runs a bind processor per value: on SQLite every datetime is
formatted to text one by one, about ten per alert, and that formatting was the largest
single cost of committing a batch. On SQLite this module formats each distinct datetime
once (remembered: most rows share their batch's `now` and the alerts' start), encodes JSON
with orjson, and hands plain tuples to the driver. Values are stored exactly as
SQLAlchemy's own types store them (naive UTC text `YYYY-MM-DD HH:MM:SS.ffffff`, JSON
text), so reads through the models see no difference.
Other databases take the ordinary SQLAlchemy path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, cast

import orjson
from sqlalchemy import JSON, Column, Connection, DateTime, Table, insert

from console.models import Base, UTCDateTime

TIMES_REMEMBERED = 4096


@dataclass(frozen=True, slots=True)
class _Statement:
    """An INSERT, and where its datetime and JSON values are."""

    sql: str
    times: tuple[int, ...]
    jsons: tuple[int, ...]


_statements: dict[tuple[str, tuple[str, ...]], _Statement] = {}
_times: dict[datetime, str] = {}


def _is_time(column: Column[Any]) -> bool:
    return isinstance(column.type, DateTime | UTCDateTime)


def _sqlite_statement(table: Table, keys: tuple[str, ...]) -> _Statement:
    """The INSERT for these columns, and the positions of its datetime and JSON values."""
    cached = _statements.get((table.name, keys))
    if cached is None:
        marks = ", ".join("?" for _ in keys)
        # Names come from our own table definitions, never from input.
        sql = f"INSERT INTO {table.name} ({', '.join(keys)}) VALUES ({marks})"  # noqa: S608
        columns = [table.c[key] for key in keys]
        times = tuple(i for i, column in enumerate(columns) if _is_time(column))
        jsons = tuple(i for i, column in enumerate(columns) if isinstance(column.type, JSON))
        cached = _statements[(table.name, keys)] = _Statement(sql, times, jsons)
    return cached


def time_text(value: datetime) -> str:
    """A datetime as SQLAlchemy stores it on SQLite: naive UTC `YYYY-MM-DD HH:MM:SS.ffffff`
    (isoformat gives exactly that, faster than strftime). Remembered: most rows of a batch
    share a few moments (its `now`, the alerts' start)."""
    text = _times.get(value)
    if text is None:
        if len(_times) >= TIMES_REMEMBERED:
            _times.clear()
        naive = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
        text = _times[value] = naive.isoformat(" ", "microseconds")
    return text


def insert_rows(
    conn: Connection,
    model: type[Base],
    rows: list[dict[str, Any]],
    *,
    cursor: Any = None,
) -> None:
    """Insert `rows` into `model`'s table; every row has the keys of the first one.

    On SQLite, `cursor` (the driver's, in `conn`'s transaction) runs the insert directly.
    """
    if not rows:
        return
    table = cast(Table, model.__table__)
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), rows)
        return
    keys = tuple(column.name for column in table.columns if column.name in rows[0])
    statement = _sqlite_statement(table, keys)
    times, jsons = statement.times, statement.jsons
    dumps = orjson.dumps
    pick = itemgetter(*keys)
    params: list[tuple[Any, ...]] = []
    for row in rows:
        picked = pick(row)
        values = list(picked) if len(keys) > 1 else [picked]
        for i in times:
            value = values[i]
            if isinstance(value, datetime):
                values[i] = time_text(value)
        for i in jsons:
            value = values[i]
            if isinstance(value, dict | list):
                values[i] = dumps(value).decode()
        params.append(tuple(values))
    if cursor is not None:
        cursor.executemany(statement.sql, params)
    else:
        conn.exec_driver_sql(statement.sql, params)
