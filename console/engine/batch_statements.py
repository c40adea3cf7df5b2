"""The statements one batch of the alert pipeline runs, for any store and for SQLite.

The pipeline decides; this module reads the open alerts it decides against and writes what
it decided. `CoreStatements` goes through SQLAlchemy and works on every database.
`SqliteStatements` runs the same statements on the driver's cursor inside the same
transaction: SQLAlchemy's execution context cost 20-60 µs per statement, about a dozen
statements per batch, which under a storm was a fixed 0.2-0.3 ms of every batch, paid while
the store's write lock is held (serve workers wait for it). Values are stored exactly as
SQLAlchemy stores them (see console/engine/bulk_insert.py), so reads see no difference.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

import orjson
from sqlalchemy import Connection, bindparam, func, select, update

from console.engine.bulk_insert import insert_rows, time_text
from console.models import (
    Alert,
    AlertStatus,
    Base,
    Incident,
    IncidentStatus,
    Integration,
    IssueTemplate,
)

# (iid, fingerprint, title, status, incident_iid, incident status, monitoring_tool)
OpenAlertRow = tuple[int, str | None, str, str, int | None, str | None, str]


class AlertChange(Protocol):
    """What the batch changes on an alert that was open before it."""

    iid: int
    events_added: int
    last_seen_at: datetime | None
    status: str
    ended_at: datetime | None


class BatchStatements(Protocol):
    def open_alerts(self, fingerprints: Sequence[str]) -> Iterable[OpenAlertRow]: ...
    def max_alert_iid(self) -> int: ...
    def max_incident_iid(self) -> int: ...
    def template(self, name: str) -> str | None: ...
    def insert(self, model: type[Base], rows: list[dict[str, Any]]) -> None: ...
    def update_alerts(self, changes: Iterable[AlertChange], now: datetime) -> None: ...
    def close_incidents(self, iids: list[int], now: datetime) -> None: ...
    def integrations_seen(self, seen: dict[int, datetime]) -> None: ...


# Statements are built once: constructing SQL expressions per batch cost more than running them.
_OPEN_ALERTS = (
    select(
        Alert.iid,
        Alert.fingerprint,
        Alert.title,
        Alert.status,
        Alert.incident_iid,
        Incident.status,
        Alert.monitoring_tool,
    )
    .outerjoin(Incident, Incident.iid == Alert.incident_iid)
    .where(
        Alert.fingerprint.in_(bindparam("fingerprints", expanding=True)),
        Alert.status != AlertStatus.RESOLVED.value,
    )
)
_MAX_ALERT_IID = select(func.max(Alert.iid))
_MAX_INCIDENT_IID = select(func.max(Incident.iid))
_TEMPLATE = select(IssueTemplate.content).where(IssueTemplate.name == bindparam("name"))
_UPDATE_ALERTS = (
    update(Alert)
    .where(Alert.iid == bindparam("b_iid"))
    .values(
        events=Alert.events + bindparam("b_added"),
        last_seen_at=bindparam("b_seen"),
        status=bindparam("b_status"),
        ended_at=func.coalesce(bindparam("b_ended", type_=Alert.ended_at.type), Alert.ended_at),
        updated_at=bindparam("b_now"),
    )
)
_CLOSE_INCIDENTS = (
    update(Incident)
    .where(Incident.iid.in_(bindparam("iids", expanding=True)))
    .values(
        status=IncidentStatus.CLOSED.value,
        closed_at=bindparam("now"),
        updated_at=bindparam("now"),
    )
)
_INTEGRATION_SEEN = (
    update(Integration)
    .where(Integration.id == bindparam("b_id"))
    .values(last_alert_at=bindparam("b_seen"))
)


class CoreStatements:
    """The batch's statements through SQLAlchemy (every database)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def open_alerts(self, fingerprints: Sequence[str]) -> Iterable[OpenAlertRow]:
        rows = self.conn.execute(_OPEN_ALERTS, {"fingerprints": list(fingerprints)})
        return [tuple(row) for row in rows]  # type: ignore[misc]

    def max_alert_iid(self) -> int:
        return int(self.conn.scalar(_MAX_ALERT_IID) or 0)

    def max_incident_iid(self) -> int:
        return int(self.conn.scalar(_MAX_INCIDENT_IID) or 0)

    def template(self, name: str) -> str | None:
        found = self.conn.scalar(_TEMPLATE, {"name": name})
        return str(found) if found is not None else None

    def insert(self, model: type[Base], rows: list[dict[str, Any]]) -> None:
        insert_rows(self.conn, model, rows)

    def update_alerts(self, changes: Iterable[AlertChange], now: datetime) -> None:
        self.conn.execute(
            _UPDATE_ALERTS,
            [
                {
                    "b_iid": c.iid,
                    "b_added": c.events_added,
                    "b_seen": c.last_seen_at,
                    "b_status": c.status,
                    "b_ended": c.ended_at,
                    "b_now": now,
                }
                for c in changes
            ],
        )

    def close_incidents(self, iids: list[int], now: datetime) -> None:
        self.conn.execute(_CLOSE_INCIDENTS, {"iids": iids, "now": now})

    def integrations_seen(self, seen: dict[int, datetime]) -> None:
        self.conn.execute(
            _INTEGRATION_SEEN, [{"b_id": i, "b_seen": moment} for i, moment in seen.items()]
        )


# The same statements in SQLite's SQL. The fingerprints travel as one JSON array: one
# statement text whatever their number, and SQLite still looks each up in the partial
# index of open fingerprints.
_SQLITE_OPEN_ALERTS = (
    "SELECT a.iid, a.fingerprint, a.title, a.status, a.incident_iid, i.status, "
    "a.monitoring_tool FROM alerts AS a LEFT JOIN incidents AS i ON i.iid = a.incident_iid "
    "WHERE a.fingerprint IN (SELECT value FROM json_each(?)) AND a.status != ?"
)
_SQLITE_UPDATE_ALERTS = (
    "UPDATE alerts SET events = events + ?, last_seen_at = ?, status = ?, "
    "ended_at = coalesce(?, ended_at), updated_at = ? WHERE iid = ?"
)
_SQLITE_CLOSE_INCIDENTS = (
    "UPDATE incidents SET status = ?, closed_at = ?, updated_at = ? WHERE iid = ?"
)
_SQLITE_INTEGRATION_SEEN = "UPDATE integrations SET last_alert_at = ? WHERE id = ?"


def _optional_time(value: datetime | None) -> str | None:
    return time_text(value) if value is not None else None


class SqliteStatements:
    """The batch's statements on the SQLite driver's cursor, in the caller's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        driver = conn.connection.driver_connection
        assert driver is not None
        self.cursor = driver.cursor()

    def open_alerts(self, fingerprints: Sequence[str]) -> Iterable[OpenAlertRow]:
        self.cursor.execute(
            _SQLITE_OPEN_ALERTS,
            (orjson.dumps(list(fingerprints)).decode(), AlertStatus.RESOLVED.value),
        )
        rows: list[OpenAlertRow] = self.cursor.fetchall()
        return rows

    def _max(self, table: str) -> int:
        # Names come from our own table definitions, never from input.
        self.cursor.execute(f"SELECT max(iid) FROM {table}")  # noqa: S608
        found = self.cursor.fetchone()[0]
        return int(found or 0)

    def max_alert_iid(self) -> int:
        return self._max("alerts")

    def max_incident_iid(self) -> int:
        return self._max("incidents")

    def template(self, name: str) -> str | None:
        self.cursor.execute("SELECT content FROM templates WHERE name = ?", (name,))
        found = self.cursor.fetchone()
        return str(found[0]) if found is not None else None

    def insert(self, model: type[Base], rows: list[dict[str, Any]]) -> None:
        insert_rows(self.conn, model, rows, cursor=self.cursor)

    def update_alerts(self, changes: Iterable[AlertChange], now: datetime) -> None:
        stamp = time_text(now)
        self.cursor.executemany(
            _SQLITE_UPDATE_ALERTS,
            [
                (
                    c.events_added,
                    _optional_time(c.last_seen_at),
                    c.status,
                    _optional_time(c.ended_at),
                    stamp,
                    c.iid,
                )
                for c in changes
            ],
        )

    def close_incidents(self, iids: list[int], now: datetime) -> None:
        stamp = time_text(now)
        self.cursor.executemany(
            _SQLITE_CLOSE_INCIDENTS,
            [(IncidentStatus.CLOSED.value, stamp, stamp, iid) for iid in iids],
        )

    def integrations_seen(self, seen: dict[int, datetime]) -> None:
        self.cursor.executemany(
            _SQLITE_INTEGRATION_SEEN, [(time_text(moment), i) for i, moment in seen.items()]
        )


def statements_for(conn: Connection) -> BatchStatements:
    """SQLite's own lane on SQLite, SQLAlchemy's elsewhere."""
    if conn.dialect.name == "sqlite":
        return SqliteStatements(conn)
    return CoreStatements(conn)
