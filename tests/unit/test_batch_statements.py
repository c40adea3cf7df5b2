"""SQLite's own lane for the pipeline's statements stores exactly what SQLAlchemy's lane
stores: the same storm, run once through each, leaves the same rows."""

from __future__ import annotations

import re
import sqlite3

import pytest

from console.admin import templates as templates_admin
from console.engine import batch_statements
from console.engine.batch_statements import CoreStatements, SqliteStatements
from console.store import open_store
from tests.conftest import set_settings
from tests.unit.test_pipeline import fixture, generic, run

TABLES = ("alerts", "alert_events", "incidents", "notes", "integrations")
STORED_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$")


def storm(store) -> None:
    with store.write() as session:
        templates_admin.save(session, "Runbook", "## Steps\n\n/label ~db\n")
    set_settings(store, create_incident="true", issue_template="Runbook")
    run(store, generic(title="disk", fingerprint="disk"), generic(title="cpu", fingerprint="cpu"))
    run(store, generic(title="disk again", fingerprint="disk"))
    run(store, fixture("alertmanager-v4-firing.json"))
    run(
        store,
        generic(fingerprint="cpu", end_time="2026-11-29T12:30:00Z"),  # resolves, closes
        generic(title="cpu back", fingerprint="cpu"),  # a new alert in the same batch
        generic(fingerprint="nothing", end_time="2026-11-29T12:30:00Z"),  # no open alert
    )
    run(store, fixture("alertmanager-v4-resolved.json"))


def contents(path: str) -> dict[str, list[tuple]]:
    """Every row of the pipeline's tables, with moments replaced by their shape (the two
    runs happen at different times)."""
    conn = sqlite3.connect(path)
    try:
        found: dict[str, list[tuple]] = {}
        for table in TABLES:
            rows = conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            found[table] = [
                tuple("<time>" if isinstance(v, str) and STORED_TIME.match(v) else v for v in row)
                for row in rows
            ]
        return found
    finally:
        conn.close()


def test_both_lanes_store_the_same_rows(tmp_path, monkeypatch):
    paths = {}
    for lane in (SqliteStatements, CoreStatements):
        path = tmp_path / f"{lane.__name__}.db"
        store = open_store(f"sqlite:///{path}")
        monkeypatch.setattr(batch_statements, "statements_for", lane)
        monkeypatch.setattr("console.engine.pipeline.statements_for", lane)
        try:
            storm(store)
        finally:
            store.dispose()
        paths[lane] = str(path)
    sqlite_lane, core_lane = contents(paths[SqliteStatements]), contents(paths[CoreStatements])
    assert sqlite_lane["alerts"], "the storm wrote nothing"
    assert sqlite_lane == core_lane


def test_sqlite_gets_its_own_lane(store):
    with store.write_engine.begin() as conn:
        assert isinstance(batch_statements.statements_for(conn), SqliteStatements)


@pytest.mark.parametrize("count", [1, 499, 500, 1200])
def test_open_alerts_are_found_however_many_fingerprints_a_batch_has(store, count):
    run(store, *(generic(title=f"a{n}", fingerprint=f"fp-{n}") for n in range(count)))
    [[result]] = run(store, generic(title="again", fingerprint=f"fp-{count - 1}"))
    assert result.outcome == "repeated"
    assert result.alert_iid == count
