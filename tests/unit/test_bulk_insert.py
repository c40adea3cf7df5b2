"""Rows written by the SQLite fast lane read back exactly as SQLAlchemy's own inserts do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import insert, select

from console.engine.bulk_insert import insert_rows
from console.models import Incident


def row(iid: int, moment: datetime) -> dict:
    return {
        "iid": iid,
        "title": f"t{iid}",
        "description": "d",
        "status": "open",
        "severity": "high",
        "labels": ["incident", "ünïcode"],
        "assignees": [],
        "zoom_url": None,
        "author": "a",
        "created_at": moment,
        "updated_at": moment,
        "closed_at": None,
    }


def test_fast_lane_matches_sqlalchemy(store):
    moment = datetime(2026, 11, 29, 10, 15, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    with store.write_engine.begin() as conn:
        insert_rows(conn, Incident, [row(1, moment)])
        conn.execute(insert(Incident), [row(2, moment)])
    with store.read() as session:
        fast, slow = session.scalars(select(Incident).order_by(Incident.iid)).all()
    assert fast.created_at == slow.created_at == moment.astimezone(UTC)
    assert fast.labels == slow.labels == ["incident", "ünïcode"]
    assert fast.closed_at is None and fast.zoom_url is None
    with store.engine.connect() as conn:
        raw = conn.exec_driver_sql("SELECT created_at, labels FROM incidents ORDER BY iid").all()
    assert raw[0][0] == raw[1][0]  # same stored text
