"""A shared PostgreSQL store, for real: migrations, `serve`, two stations racing, the feed.

Teams that outgrow one desk point every console at one PostgreSQL database. These tests
start a real PostgreSQL cluster (Debian package `postgresql`) and drive the product
through the same commands and HTTP endpoints as on SQLite.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from console.feed import TABS, FeedQuery
from console.models import Alert, AlertEvent, Incident
from console.store import Store, open_store
from tests.conftest import FORMATS, ServeProcess, run_cli
from tests.integration.postgres_peer import RunningPostgres, start_postgres
from tests.unit.test_feed import full_order, populate, sql_order

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def postgres() -> Iterator[RunningPostgres]:
    # Not under pytest's own temporary folder: that is private to root, and the server
    # runs as the `postgres` user.
    folder = Path(tempfile.mkdtemp(prefix="console-postgres-"))
    running = start_postgres(folder)
    yield running
    running.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_url(postgres: RunningPostgres) -> str:
    return postgres.database()


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[Store]:
    opened = open_store(pg_url)
    yield opened
    opened.dispose()


def cli_json(*args: str, db_url: str) -> object:
    done = run_cli(*args, "--json", db_url=db_url)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def cli_ok(*args: str, db_url: str) -> None:
    done = run_cli(*args, db_url=db_url)
    assert done.returncode == 0, done.stderr


def post(base: str, endpoint: dict, body: bytes | dict) -> httpx.Response:
    headers = {"Authorization": f"Bearer {endpoint['token']}"}
    url = base + endpoint["url"]
    if isinstance(body, bytes):
        return httpx.post(url, content=body, headers=headers, timeout=15)
    return httpx.post(url, json=body, headers=headers, timeout=15)


def test_serve_on_postgres_runs_the_whole_alert_lifecycle(pg_url):
    endpoint = cli_json("integrations", "add", "--name", "monitoring", db_url=pg_url)
    assert isinstance(endpoint, dict)
    cli_ok("settings", "set", "create_incident", "true", db_url=pg_url)
    cli_ok("settings", "set", "auto_close_incident", "true", db_url=pg_url)
    server = ServeProcess(pg_url)
    try:
        first = post(server.base, endpoint, {"title": "Disk full", "fingerprint": "disk-1"})
        again = post(server.base, endpoint, {"title": "Disk full", "fingerprint": "disk-1"})
        assert first.status_code == again.status_code == 200
        assert [r["outcome"] for r in first.json() + again.json()] == ["created", "repeated"]
        firing = post(server.base, endpoint, (FORMATS / "alertmanager-v4-firing.json").read_bytes())
        resolved = post(
            server.base, endpoint, (FORMATS / "alertmanager-v4-resolved.json").read_bytes()
        )
        assert {r["outcome"] for r in firing.json()} == {"created"}
        assert {r["outcome"] for r in resolved.json()} == {"resolved"}
        health = httpx.get(f"{server.base}/healthz", timeout=10).json()
        assert health["status"] == "ok" and health["store"]["ok"]
        assert health["store"]["url"].startswith("postgresql")
    finally:
        assert server.stop() == 0

    alerts = cli_json("alerts", "list", db_url=pg_url)
    assert isinstance(alerts, list)
    by_title = {a["title"]: a for a in alerts}
    assert by_title["Disk full"]["events"] == 2 and by_title["Disk full"]["status"] == "triggered"
    closed = [a for a in alerts if a["status"] == "resolved"]
    assert closed and all(a["incident_iid"] for a in closed)
    incidents = cli_json("incidents", "list", db_url=pg_url)
    assert isinstance(incidents, list)
    assert len(incidents) == len(alerts)  # one incident per new alert
    assert {i["status"] for i in incidents if i["alert_iids"][0] in {a["iid"] for a in closed}} == {
        "closed"
    }
    shown = cli_json("incidents", "show", "1", db_url=pg_url)
    assert isinstance(shown, dict)
    assert [n["body"] for n in shown["notes"]] == [
        "logged an alert from monitoring",
        "created incident #1 for this alert",
    ]
    cli_ok("incidents", "note", "1", "/severity low\nchecked the disk", db_url=pg_url)
    cli_ok("incidents", "close", "1", db_url=pg_url)
    shown = cli_json("incidents", "show", "1", db_url=pg_url)
    assert isinstance(shown, dict)
    assert shown["status"] == "closed" and shown["severity"] == "low"
    assert "checked the disk" in [n["body"] for n in shown["notes"]]


def test_two_stations_share_one_postgres_store(pg_url, pg_store):
    # Two `serve` processes, as on two machines, racing on the same fingerprints: the
    # store's write lock keeps one open alert (and one incident) per fingerprint.
    endpoint = cli_json("integrations", "add", "--name", "storm", db_url=pg_url)
    assert isinstance(endpoint, dict)
    cli_ok("settings", "set", "create_incident", "true", db_url=pg_url)
    servers = [ServeProcess(pg_url), ServeProcess(pg_url)]
    fingerprints = [f"fp-{n}" for n in range(15)]
    statuses: list[int] = []
    lock = threading.Lock()

    def sender(offset: int) -> None:
        with httpx.Client(timeout=15) as client:
            for round_ in range(4):
                for n, fp in enumerate(fingerprints):
                    base = servers[(offset + round_ + n) % 2].base
                    response = client.post(
                        base + endpoint["url"],
                        json={"title": fp, "fingerprint": fp},
                        headers={"Authorization": f"Bearer {endpoint['token']}"},
                    )
                    with lock:
                        statuses.append(response.status_code)

    try:
        threads = [threading.Thread(target=sender, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        for server in servers:
            server.stop()

    assert statuses == [200] * (8 * 4 * len(fingerprints))
    with pg_store.read() as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == len(fingerprints)
        assert session.scalar(select(func.count()).select_from(AlertEvent)) == len(statuses)
        assert {a.events for a in session.scalars(select(Alert))} == {8 * 4}
        incidents = list(session.scalars(select(Incident.iid)))
        assert sorted(incidents) == list(range(1, len(fingerprints) + 1))


@pytest.mark.parametrize("sort", ["severity", "started_at", "events", "status"])
def test_the_feed_reads_a_postgres_store(pg_store, sort):
    populate(pg_store, 80)
    for tab in TABS:
        for descending in (True, False):
            query = FeedQuery(tab=tab, sort=sort, descending=descending)
            assert full_order(pg_store, query) == sql_order(pg_store, query)
    with pg_store.read() as session:
        counts = FeedQuery(tab="all").tab_counts(session)
        assert counts["all"] == 80
        alerts = {a.iid: a for a in session.scalars(select(Alert))}
        found = [int(i) for i in FeedQuery(tab="all", search="DISK").order(session)]
        assert found and set(found) == {i for i, a in alerts.items() if "disk" in a.title.lower()}
        # LIKE's wildcards in a term are matched as themselves.
        for term in ("95%", "r_s"):
            found = [int(i) for i in FeedQuery(tab="all", search=term).order(session)]
            assert found and all(term in alerts[i].description for i in found)
