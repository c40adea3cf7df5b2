"""Fill a SQLite store with many realistic alerts, fast, for the feed benchmark.

    python bench/fill_store.py PATH [--alerts 1000000] [--seed 7]

The schema comes from the console's own migrations (so every index the console declares is
there); rows are then written with plain `executemany` in large transactions with syncing
off, which is what makes a million alerts take seconds instead of hours. The mix: most
alerts are old and resolved, the newest ones are triggered or acknowledged, a few are
ignored; severities, titles, services and tools vary; each alert has one to a few events
(its raw notifications), an activity note or two, and one alert in fifty has an incident.
Prints one JSON line per figure (rows, seconds, file size).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from console import feed_search
from console.admin import integrations as integrations_admin
from console.store import open_store

CHUNK = 50_000
SEVERITIES = (
    ("critical", 5),
    ("high", 15),
    ("medium", 30),
    ("low", 25),
    ("info", 20),
    ("unknown", 5),
)
SERVICES = [
    f"{name}-{region}"
    for name in ("orders", "payments", "search", "checkout", "auth", "catalog", "mail", "cdn")
    for region in ("eu", "us", "ap", "sa", "af")
]
TOOLS = ("Prometheus", "Datadog", "Zabbix", "Nagios", "Grafana", "Icinga", "custom-probe")
TITLES = (
    "High CPU usage on {host}",
    "Disk almost full on {host}",
    "HTTP 5xx rate above 5% for {service}",
    "Latency p99 above 2s for {service}",
    "Instance {host} down",
    "Certificate for {service} expires in 7 days",
    "Queue backlog growing on {service}",
    "Memory pressure on {host}",
    "Replication lag on {host}",
    "Error budget burn for {service}",
)
DESCRIPTIONS = (
    "The value stayed above the threshold for 5 minutes.",
    "Fired by the {tool} rule for {service}; see the runbook.",
    "",
    "Free space below 5 percent on /var.",
)
OPEN_WINDOW = 50_000  # the newest alerts may still be open
SQL_TIME = "%Y-%m-%d %H:%M:%S.%f"


def sql_time(moment: datetime) -> str:
    """How SQLAlchemy stores a naive UTC datetime in SQLite."""
    return moment.strftime(SQL_TIME)


def pick_status(rng: random.Random, iid: int, total: int) -> str:
    if rng.random() < 0.01:
        return "ignored"
    if total - iid < OPEN_WINDOW:
        roll = rng.random()
        if roll < 0.35:
            return "triggered"
        if roll < 0.6:
            return "acknowledged"
    return "resolved"


def generate(
    total: int, seed: int, integration_id: int
) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Chunks of (alert rows, event rows, note rows)."""
    rng = random.Random(seed)
    severities = [name for name, weight in SEVERITIES for _ in range(weight)]
    now = datetime.now(UTC).replace(tzinfo=None)
    span = timedelta(days=365)
    step = span / max(total, 1)
    first = now - span
    event_id = 0
    alerts: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    notes: list[tuple[Any, ...]] = []
    for iid in range(1, total + 1):
        started = first + step * iid + timedelta(seconds=rng.uniform(-600, 0))
        host = f"web-{rng.randrange(400):03d}"
        service = rng.choice(SERVICES)
        tool = rng.choice(TOOLS)
        title = rng.choice(TITLES).format(host=host, service=service)
        severity = rng.choice(severities)
        status = pick_status(rng, iid, total)
        count = 1 + int(rng.expovariate(1.0))
        fingerprint = hashlib.sha1(f"{title}:{iid}".encode()).hexdigest()
        payload = {
            "title": title,
            "severity": severity,
            "service": service,
            "monitoring_tool": tool,
            "hosts": [host],
            "start_time": started.isoformat() + "Z",
            "fingerprint": fingerprint[:12],
        }
        payload_text = json.dumps(payload)
        last_seen = started + timedelta(minutes=count - 1)
        ended = sql_time(last_seen + timedelta(minutes=5)) if status == "resolved" else None
        incident = iid // 50 if iid % 50 == 0 else None
        description = rng.choice(DESCRIPTIONS).format(tool=tool, service=service)
        alerts.append(
            (
                iid,
                integration_id,
                fingerprint,
                title,
                description,
                status,
                severity,
                service,
                tool,
                host,
                "production",
                f"https://runbooks.example.com/{service}" if iid % 3 == 0 else "",
                f'rate(http_requests_total{{service="{service}"}}[5m]) > 0.05',
                "",
                "{}",
                count,
                sql_time(started),
                ended,
                sql_time(started),
                sql_time(last_seen),
                sql_time(last_seen),
                incident,
            )
        )
        for n in range(count):
            event_id += 1
            kind = "trigger" if n == 0 else "repeat"
            received = sql_time(started + timedelta(minutes=n))
            events.append((event_id, iid, integration_id, kind, received, payload_text))
        notes.append(
            (iid, incident, "Alert Bot", f"logged an alert from {tool}", sql_time(started))
        )
        if status != "triggered":
            body = f"changed the status to {status.capitalize()}"
            notes.append((iid, incident, "Alert Bot", body, sql_time(last_seen)))
        if len(alerts) >= CHUNK:
            yield alerts, events, notes
            alerts, events, notes = [], [], []
    if alerts:
        yield alerts, events, notes


def fill(path: Path, total: int, seed: int) -> dict[str, float]:
    if path.exists():
        raise SystemExit(f"{path} exists; give a new path")
    store = open_store(str(path))
    with store.write() as session:
        integration_id = integrations_admin.create(session, "bench", "http").integration.id
    store.dispose()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-400000")
    started = time.perf_counter()
    incidents = [
        (
            n,
            f"Incident {n}",
            "#### Summary",
            "closed" if n < total // 50 - 500 else "open",
            "high",
            '["incident"]',
            "[]",
            None,
            "Alert Bot",
        )
        for n in range(1, total // 50 + 1)
    ]
    stamp = sql_time(datetime.now(UTC).replace(tzinfo=None))
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO incidents (iid, title, description, status, severity, labels, assignees,"
        " zoom_url, author, created_at, updated_at, closed_at)"
        f" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '{stamp}', '{stamp}', NULL)",
        incidents,
    )
    conn.execute("COMMIT")
    counts = {"alerts": 0, "events": 0, "notes": 0}
    for alerts, events, notes in generate(total, seed, integration_id):
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO alerts (iid, integration_id, fingerprint, title, description, status,"
            " severity, service, monitoring_tool, hosts, environment, runbook, full_query,"
            " source_key, details, events, started_at, ended_at, created_at, last_seen_at,"
            " updated_at, incident_iid) VALUES"
            " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            alerts,
        )
        conn.executemany(
            "INSERT INTO alert_events (id, alert_iid, integration_id, kind, received_at, payload)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            events,
        )
        conn.executemany(
            "INSERT INTO notes (alert_iid, incident_iid, author, body, system, created_at)"
            " VALUES (?, ?, ?, ?, 1, ?)",
            notes,
        )
        conn.execute("COMMIT")
        counts["alerts"] += len(alerts)
        counts["events"] += len(events)
        counts["notes"] += len(notes)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    seconds = time.perf_counter() - started
    # A console that has been running keeps its search index current; so does this store.
    store = open_store(str(path), migrate=False)
    while True:
        with store.write() as session:
            if not feed_search.index_pending(session, limit=200_000):
                break
    store.dispose()
    indexed = time.perf_counter() - started - seconds
    size = path.stat().st_size
    return {
        **counts,
        "seconds": round(seconds, 1),
        "index_seconds": round(indexed, 1),
        "bytes": size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="the new SQLite file")
    parser.add_argument("--alerts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    figures = fill(args.path, args.alerts, args.seed)
    for name in ("alerts", "events", "notes"):
        print(json.dumps({"figure": f"{name}_written", "value": figures[name]}))
    print(json.dumps({"figure": "fill_seconds", "value": figures["seconds"]}))
    print(json.dumps({"figure": "search_index_seconds", "value": figures["index_seconds"]}))
    size_mb = round(figures["bytes"] / 1e6, 1)
    print(json.dumps({"figure": "store_size_mb", "value": size_mb}))


if __name__ == "__main__":
    main()
